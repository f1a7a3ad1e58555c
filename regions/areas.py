"""Where a staff member's area comes from: their active assignments. Registered with the scoping rule
(core.scoping.register_area_resolver) in RegionsConfig.ready."""

from __future__ import annotations

from typing import Any

from .models import StaffAssignment
from .rules import prefix_for


def assigned_prefixes(user: Any) -> list[str]:
    """The significant prefixes of the user's active assignments (a grant awaiting its second
    administrator gives no area)."""
    rows = StaffAssignment.objects.active().filter(user_id=user.pk).values_list("region__code", "region__level")
    return [prefix_for(code, level) for code, level in rows]
