"""Celery tasks of the policy engine: thin, idempotent, one county per task (docs/architecture.md Flow 3)."""

from __future__ import annotations

import datetime as dt

from celery import group, shared_task
from django.utils import timezone


# A county whose sweep was interrupted this many times by the death of its process (OOM kill, abort)
# is not tried again by the same message: it is left 失败 for the reaper's report and a click.
MAX_INTERRUPTIONS = 3
INTERRUPTED = "运行中断（执行该任务的后台进程退出或被终止），本县的变更已整体回滚"


def mark_interrupted(runs) -> int:
    """Mark the 「运行中」 runs of ``runs`` failed as interrupted (their process is gone)."""
    from .models import SweepRun

    ended = 0
    for run in runs.filter(status=SweepRun.Status.RUNNING):
        ended += SweepRun.objects.filter(pk=run.pk, status=SweepRun.Status.RUNNING).update(
            status=SweepRun.Status.FAILED, finished_at=timezone.now(), counts={},
            errors=[*run.errors, {"kind": "interrupted", "message": INTERRUPTED}],
        )
    return ended


@shared_task(name="eligibility.sweep_county", bind=True)
def sweep_county(self, county_code: str, as_of: str | None = None, full: bool = False) -> dict:
    """Sweep one county. Safe to run twice (the second run writes nothing) and after a crash (the
    county's changes commit together or not at all; a named advisory lock keeps two copies apart).

    A message redelivered after its pool child died (``task_reject_on_worker_lost``) finds the dead
    attempt's 「运行中」 row by the task id, marks it interrupted and sweeps again; while the dead
    attempt's database session still holds the county lock it waits and retries."""
    from .models import SweepRun
    from .policy.sweep import sweep_county as run_sweep

    day = dt.date.fromisoformat(as_of) if as_of else timezone.localdate()
    task_id = self.request.id or ""
    earlier = SweepRun.objects.filter(task_id=task_id) if task_id and not self.request.is_eager else SweepRun.objects.none()
    mark_interrupted(earlier)
    redelivered = earlier.exists()
    if sum(run.interrupted for run in earlier) >= MAX_INTERRUPTIONS:
        return {"run": None, "county": county_code, "status": "gave_up", "totals": {}}
    run = run_sweep(as_of=day, county_code=county_code, task_id=task_id, full=full)
    busy = run.status == SweepRun.Status.FAILED and any(e.get("kind") == "busy" for e in run.errors)
    if busy and redelivered and self.request.retries < 8:
        raise self.retry(countdown=5)
    return {"run": run.pk, "county": run.county_code, "status": run.status, "totals": run.counts.get("totals", {})}


@shared_task(name="eligibility.nightly_sweep")
def nightly_sweep(as_of: str | None = None) -> list[str]:
    """Fan out one sweep task per county with elders (a group, not a chord: each SweepRun row records
    its own result). Returns the county codes sent."""
    from .policy.sweep import counties_with_elders

    day = as_of or timezone.localdate().isoformat()
    counties = counties_with_elders()
    group(sweep_county.s(code, day) for code in counties).apply_async()
    return counties
