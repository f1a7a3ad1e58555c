"""The one scoping rule: a staff member sees rows whose region_code starts with one of their prefixes.

Every queryset that reaches a staff member goes through ``.visible_to(user)``; every staff view goes
through ``AreaScopedMixin``; the admin through ``ScopedAdminMixin``. It fails closed: an anonymous
or inactive user, or one without any assignment, sees nothing. A superuser sees everything.
Batch jobs acting for a county use ``.in_area(prefix)`` explicitly, which is easy to spot in review.
"""

from __future__ import annotations

from functools import reduce
from operator import or_
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from django.db import models
from django.db.models import Q

from .rules import prefix_for

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser, AnonymousUser

_CACHE_ATTR = "_yiyang_area_prefixes"


def minimal_prefixes(prefixes: list[str]) -> list[str]:
    """Drop prefixes already covered by a shorter one (a county covers its townships)."""
    kept: list[str] = []
    for prefix in sorted(set(prefixes), key=len):
        if not any(prefix.startswith(k) for k in kept):
            kept.append(prefix)
    return sorted(kept)


def area_prefixes(user: AbstractBaseUser | AnonymousUser | None) -> list[str] | None:
    """The code prefixes a user may see; ``None`` means unrestricted (superuser), [] means nothing.

    Only active grants count: a grant awaiting its second administrator gives no area."""
    if user is None or not user.is_authenticated or not user.is_active:
        return []
    if user.is_superuser:
        return None
    cached = getattr(user, _CACHE_ATTR, None)
    if cached is not None:
        return list(cached)
    from .models import StaffAssignment  # local: models import this module

    rows = StaffAssignment.objects.active().filter(user_id=user.pk).values_list("region__code", "region__level")
    prefixes = minimal_prefixes([prefix_for(code, level) for code, level in rows])
    try:
        setattr(user, _CACHE_ATTR, tuple(prefixes))
    except AttributeError:  # pragma: no cover - exotic user objects
        pass
    return prefixes


def forget_area_cache(user: Any) -> None:
    """Call after changing a user's assignments within the same request/test."""
    if hasattr(user, "__dict__") and _CACHE_ATTR in user.__dict__:
        delattr(user, _CACHE_ATTR)
    wrapped = getattr(user, "_wrapped", None)
    if wrapped is not None and hasattr(wrapped, "__dict__") and _CACHE_ATTR in wrapped.__dict__:
        delattr(wrapped, _CACHE_ATTR)


def prefix_q(field: str, prefixes: list[str]) -> Q:
    return reduce(or_, (Q(**{f"{field}__startswith": p}) for p in prefixes))


def filter_for_area(qs: models.QuerySet, user: Any, area_q: Callable[[list[str]], Q]) -> models.QuerySet:
    """The scoping rule for rows that do not carry a plain ``region_code`` (a jurisdiction prefix, a
    county code, rules above the area): ``area_q(prefixes)`` says which rows the prefixes reach. Fails
    closed like ``visible_to``: everything for a superuser, nothing without an assignment."""
    prefixes = area_prefixes(user)
    if prefixes is None:
        return qs
    if not prefixes:
        return qs.none()
    return qs.filter(area_q(prefixes))


def code_in_area(user: Any, code: str) -> bool:
    """Whether a single 12-digit code lies inside the user's area (same rule as visible_to)."""
    prefixes = area_prefixes(user)
    if prefixes is None:
        return True
    return any(code.startswith(p) for p in prefixes)


class ScopedQuerySet(models.QuerySet):
    """QuerySet of a model that stores a 12-character ``region_code`` (or ``scope_field``)."""

    scope_field = "region_code"

    def visible_to(self, user: Any) -> ScopedQuerySet:
        prefixes = area_prefixes(user)
        if prefixes is None:
            return self
        if not prefixes:
            return self.none()
        return self.filter(prefix_q(self.scope_field, prefixes))

    def in_area(self, prefix: str) -> ScopedQuerySet:
        """Unscoped batch access for one area (e.g. a county's sweep). Not for views."""
        return self.filter(**{f"{self.scope_field}__startswith": prefix})
