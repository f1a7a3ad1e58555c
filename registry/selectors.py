"""Read queries over the registry shared by views, exports and reports."""

from __future__ import annotations

from typing import Any

from django.db.models import Q

from regions.models import Region

from . import rules
from .models import Elder, ElderQuerySet


def search_q(q: str, *, partial_id: bool = True) -> Q:
    """A search box that takes a name, a phone number, or a full or partial ID number.

    Without ``partial_id`` (roles that may not see full ID numbers) only a complete ID number finds
    anyone: a partial match answers "which digits come next", ten guesses per digit, and would
    rebuild the number the mask hides."""
    text = q.strip()
    normalized = rules.normalize_id_number(text)
    if len(normalized) in (15, 18):
        try:
            return Q(id_number=rules.parse_id_number(normalized).number)
        except rules.IdNumberError:
            pass
    if normalized and all(c.isdigit() or c == "X" for c in normalized):
        phone = rules.normalize_phone(text)
        by_id = Q(id_number__contains=normalized) if partial_id else Q(pk__in=[])
        if len(phone) == 11 and phone.startswith("1"):
            return Q(phone=phone) | by_id
        return by_id | Q(phone__contains=normalized)
    return Q(name__contains=text)


def elder_list(*, user: Any, area: Region | None) -> ElderQuerySet:
    """The staff elder list before its filters (forms.ElderFilterSet): scoped to the user, to the
    chosen area, in (village, name) order."""
    qs = Elder.objects.visible_to(user)
    if area is not None:
        qs = qs.in_area(area.prefix)
    return qs.select_related("region", "region__parent").order_by("region_code", "name", "id")
