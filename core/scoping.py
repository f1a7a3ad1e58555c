"""The one scoping rule: a staff member sees rows whose region_code starts with one of their prefixes.

Every queryset that reaches a staff member goes through ``.visible_to(user, action)`` (or the module
function ``visible_to(model_or_queryset, user, action)``); every staff view goes through
``core.mixins.AreaScopedMixin``; the admin through ``core.admin.ScopedAdminMixin``. It fails closed:
an anonymous or inactive user, or one without any assignment, sees nothing. A superuser sees
everything. Batch jobs acting for a county use ``.in_area(prefix)`` (or ``code_under_q``)
explicitly, which is easy to spot in review.

This module is the only place where the prefix rule is written (tests/test_architecture.py fails on
a ``__startswith`` or ``.startswith(`` on a division code anywhere else).

Where the user's area comes from is not known here: the app that keeps staff assignments registers
a resolver at startup (``register_area_resolver``; the regions app does, in its AppConfig.ready).
Without a resolver nobody but a superuser has an area (fail closed).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from functools import reduce
from operator import or_
from typing import TYPE_CHECKING, Any

from django.db import models
from django.db.models import Q

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser, AnonymousUser

_CACHE_ATTR = "_yiyang_area_prefixes"

# user → the significant code prefixes of the user's active assignments (any order, may overlap)
AreaResolver = Callable[[Any], Iterable[str]]
_area_resolver: AreaResolver | None = None

VIEW, CHANGE, APPROVE = "view", "change", "approve"


def register_area_resolver(resolver: AreaResolver | None) -> None:
    """Called once at startup by the app that keeps staff assignments (regions.apps)."""
    global _area_resolver
    _area_resolver = resolver


def minimal_prefixes(prefixes: Iterable[str]) -> list[str]:
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
    if _area_resolver is None:
        return []  # fail closed: nobody registered where areas come from
    prefixes = minimal_prefixes(_area_resolver(user))
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


# --- the prefix rule, written once ------------------------------------------------------------------


def code_under(code: str, prefix: str) -> bool:
    """Whether a division code lies inside the division whose significant prefix is ``prefix``."""
    return code.startswith(prefix)


def code_within(code: str, prefixes: list[str] | None) -> bool:
    """Whether a code lies inside any of ``prefixes``; ``None`` (unrestricted) → always True."""
    return prefixes is None or any(code.startswith(p) for p in prefixes)


def code_under_q(field: str, prefix: str) -> Q:
    """Rows whose ``field`` (a division code) lies under one prefix: a county's batch job."""
    return Q(**{f"{field}__startswith": prefix})


def prefix_q(field: str, prefixes: list[str]) -> Q:
    """Rows whose ``field`` lies under any of ``prefixes`` (none: no row)."""
    if not prefixes:
        return Q(pk__in=[])
    return reduce(or_, (Q(**{f"{field}__startswith": p}) for p in prefixes))


def prefix_within(prefix: str, prefixes: list[str] | None) -> bool:
    """Whether a jurisdiction prefix (a rule's or a target's) lies inside the user's area."""
    return code_within(prefix, prefixes)


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
    return code_within(code, area_prefixes(user))


def county_reach_q(field: str, prefixes: list[str]) -> Q:
    """Rows keyed by a 12-digit county code (``610403000000``: a payroll run, a sweep run) that an
    area reaches: the counties inside a county-or-wider area, and the county of a township or
    village area."""
    q = Q(pk__in=[])
    for p in prefixes:
        q |= Q(**{f"{field}__startswith": p}) if len(p) <= 6 else Q(**{field: p[:6] + "000000"})
    return q


def counties_covered_q(field: str, prefixes: list[str]) -> Q:
    """Rows keyed by a county code whose whole county lies inside the area (county-or-wider
    assignments only; a township area covers no county)."""
    return prefix_q(field, [p for p in prefixes if len(p) <= 6])


# --- the one door -----------------------------------------------------------------------------------


class ScopedQuerySet(models.QuerySet):
    """QuerySet of a model that stores a 12-character ``region_code`` (or ``scope_field``).

    ``visible_to(user)`` — the user's area; ``visible_to(user, action)`` — the rows the user may
    ``action`` ("view", "change", "approve"): the area's rows when the user holds the model permission
    of the action (``area_permissions``), plus, for a model with ``object_grants``, the rows granted
    to the user one by one (django-guardian object permissions, ``object_permissions``); nothing else.
    """

    scope_field = "region_code"
    object_grants = False  # True: guardian object permissions add single rows beside the area

    def area_q(self, prefixes: list[str]) -> Q:
        """The rows an area (non-empty prefixes) reaches; a model keyed otherwise overrides this."""
        return prefix_q(self.scope_field, prefixes)

    def _perm(self, action: str) -> str:
        opts = self.model._meta
        return f"{opts.app_label}.{action}_{opts.model_name}"

    def area_permissions(self, action: str) -> list[str]:
        """Model permissions (any of them) that give the area's rows for ``action``."""
        if action == VIEW:
            return [self._perm(VIEW), self._perm(CHANGE)]
        return [self._perm(action)]

    def object_permissions(self, action: str) -> list[str]:
        """Object permissions (any of them) that give a single granted row for ``action``."""
        if action == VIEW:
            return [self._perm(VIEW), self._perm(CHANGE)]
        return [self._perm(action)]

    def _granted_pks(self, user: Any, action: str) -> models.QuerySet:
        from guardian.shortcuts import get_objects_for_user

        perms = [p.split(".", 1)[1] for p in self.object_permissions(action)]
        return get_objects_for_user(
            user, perms, klass=self.model, any_perm=True, with_superuser=False, accept_global_perms=False
        ).values("pk")

    def visible_to(self, user: Any, action: str | None = None) -> ScopedQuerySet:
        if action is None:
            prefixes = area_prefixes(user)
            if prefixes is None:
                return self
            if not prefixes:
                return self.none()
            return self.filter(self.area_q(prefixes))
        if user is None or not user.is_authenticated or not user.is_active:
            return self.none()
        if user.is_superuser:
            return self
        condition = Q(pk__in=[])
        if any(user.has_perm(p) for p in self.area_permissions(action)):
            prefixes = area_prefixes(user)
            if prefixes is None:  # pragma: no cover - only superusers are unrestricted
                return self
            if prefixes:
                condition |= self.area_q(prefixes)
        if self.object_grants:
            condition |= Q(pk__in=self._granted_pks(user, action))
        return self.filter(condition)

    def in_area(self, prefix: str) -> ScopedQuerySet:
        """Unscoped batch access for one area (e.g. a county's sweep). Not for views."""
        return self.filter(code_under_q(self.scope_field, prefix))


def visible_to(source: type[models.Model] | models.QuerySet, user: Any, action: str | None = None) -> models.QuerySet:
    """The one entry point: the rows of a scoped model (or queryset) that ``user`` may ``action``."""
    qs = source if isinstance(source, models.QuerySet) else source._default_manager.all()
    if not isinstance(qs, ScopedQuerySet):
        raise TypeError(f"{qs.model._meta.label} is not a scoped model (its queryset is not a ScopedQuerySet)")
    return qs.visible_to(user, action)
