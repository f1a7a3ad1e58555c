"""「重新运行」 of a failed sweep run (admin action, health page). Scoped by area, audited."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction

from audit.services import record
from core.scoping import code_in_area
from core.tasks import enqueue

from .models import SweepRun

RERUN_PERMISSION = "eligibility.rerun_sweeprun"


def sweep_retry(*, actor: Any, run: SweepRun) -> None:
    """Queue the county's sweep for the failed run's date again (a new SweepRun records it). Refused
    outside the actor's area, for a run that did not fail, and when a later run of the same county and
    date is already running or done. BrokerUnavailable when the broker is down (nothing recorded)."""
    if not actor.has_perm(RERUN_PERMISSION) or not code_in_area(actor, run.county_code):
        raise PermissionDenied("无权重新运行该县的服务找人")
    from .tasks import sweep_county

    with transaction.atomic():
        locked = SweepRun.objects.select_for_update().get(pk=run.pk)
        if locked.status != SweepRun.Status.FAILED:
            raise ValidationError(f"{locked.county_code} {locked.as_of} 的运行状态为「{locked.get_status_display()}」，不需要重新运行")
        later = SweepRun.objects.filter(
            county_code=locked.county_code, as_of=locked.as_of, started_at__gt=locked.started_at,
            status__in=[SweepRun.Status.RUNNING, SweepRun.Status.DONE],
        )
        if later.exists():
            raise ValidationError(f"{locked.county_code} {locked.as_of} 已有更新的运行，不需要重新运行")
        enqueue(sweep_county, locked.county_code, locked.as_of.isoformat())
        record(actor=actor, event="eligibility.sweep_retry", region_code=locked.county_code,
               detail={"run": locked.pk, "county": locked.county_code, "as_of": locked.as_of.isoformat()})
