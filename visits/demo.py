"""Demo data for visits and care, called once at the end of ``manage.py demo``."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.utils import timezone

from regions.models import Region, StaffAssignment

from . import services
from .models import VisitorKind


def load_demo(*, stdout: Any = None, county: str = "610403000000") -> dict[str, int]:
    """Load the default rules, lay out this and next month's visits of the demo county, and make the
    demo village worker the visitor of their village's elders. Safe to rerun."""
    rules = services.visit_rules_load()
    result = services.schedule_county(as_of=timezone.localdate(), county_code=county)
    assigned = 0
    worker = get_user_model().objects.filter(username="village_worker").first()
    if worker is not None:
        for a in StaffAssignment.objects.filter(user=worker, region__level=Region.Level.VILLAGE).select_related("region"):
            assigned += _assign(a.region, worker)
    if stdout is not None:
        stdout.write(
            f"探访关爱：规则新增 {rules['created']}、更新 {rules['updated']}；{result.elders} 位服务对象，"
            f"新增探访任务 {result.created}；为 {assigned} 位老人分配探访人 village_worker"
        )
    return {"elders": result.elders, "created": result.created, "assigned": assigned}


def _assign(village: Region, worker: Any) -> int:
    # The demo acts as the system (no staff actor), so the area check uses the worker's own area.
    return services.visitor_assign_bulk(
        actor=worker, village=village, visitor=worker, kind=VisitorKind.VILLAGE_WORKER, only_unassigned=False
    )
