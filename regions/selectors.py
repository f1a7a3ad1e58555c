"""Read queries about regions that views share (the area picker)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from core.scoping import area_prefixes, code_in_area

from .models import Region, StaffAssignment


@dataclass
class PickerLevel:
    label: str
    options: list[Region]
    selected: str  # code or ""
    parent_code: str = ""  # what "all" at this level means: the parent region


def area_roots(user: Any) -> list[Region]:
    """The top regions a user may pick from: their assignments' regions, or provinces for a superuser."""
    prefixes = area_prefixes(user)
    if prefixes is None:
        return list(Region.objects.filter(level=Region.Level.PROVINCE).order_by("code"))
    codes = StaffAssignment.objects.active().filter(user_id=user.pk).values_list("region__code", flat=True)
    roots = [r for r in Region.objects.filter(code__in=list(codes)).order_by("code") if r.prefix in prefixes]
    return roots


def resolve_area(user: Any, code: str | None) -> Region | None:
    """The region a user picked, if it exists and lies inside their area; otherwise None."""
    if not code:
        return None
    region = Region.objects.filter(code=code).first()
    if region is None or not code_in_area(user, region.code):
        return None
    return region


LEVEL_LABELS = dict(Region.Level.choices)


def picker_levels(user: Any, selected: Region | None) -> list[PickerLevel]:
    """Cascading selects from the user's root(s) down to the selected region and its children."""
    roots = area_roots(user)
    if not roots:
        return []
    chain: list[Region] = []
    if selected is not None:
        root_codes = {r.code for r in roots}
        node: Region | None = selected
        while node is not None:
            chain.append(node)
            if node.code in root_codes:
                break
            node = node.parent
        chain.reverse()
    levels = [PickerLevel(LEVEL_LABELS[roots[0].level], roots, chain[0].code if chain else "")]
    parent = chain[0] if chain else (roots[0] if len(roots) == 1 else None)
    if parent is not None and not chain:
        levels[0].selected = parent.code
    depth = 1
    while parent is not None and parent.level != Region.Level.VILLAGE:
        children = list(Region.objects.filter(parent=parent).order_by("code"))
        if not children:
            break
        chosen = chain[depth].code if depth < len(chain) else ""
        levels.append(PickerLevel(LEVEL_LABELS[children[0].level], children, chosen, parent.code))
        parent = chain[depth] if depth < len(chain) else None
        depth += 1
    return levels
