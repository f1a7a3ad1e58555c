"""The reaper: runs and batches whose worker died are marked 失败 with a reason; batches whose task
never reached a worker are queued again. Every 5 minutes (beat) and ``manage.py reap_stuck``.

"Dead" is decided without guessing from a clock alone:

- a 「运行中」 SweepRun holds its county's advisory lock for as long as its process lives (the lock is
  transaction-scoped: PostgreSQL drops it with the session of a killed process). Started more than
  ``RELIABILITY_REAP_GRACE`` seconds ago and the county lock free → nobody is sweeping → interrupted.
  A slow live run still holds the lock and is left alone.
- a 校验中/导入中 batch whose task started holds the batch's session lock (``imports.tasks``): the same
  test. The grace covers the instant between the task's stamp and its lock.
- on SQLite (no advisory locks) a run or batch counts as dead only when it started longer ago than
  the hard task time limit (``CELERY_TASK_TIME_LIMIT``): no live task can be that old.
- a 待校验 batch whose validation was never queued (the broker was down at upload) is queued now; one
  queued ``RELIABILITY_REQUEUE_AFTER`` seconds ago (past the visibility timeout, after which Redis
  would have redelivered it) that never started is queued again; a 导入中 batch likewise. Both tasks
  are status-guarded, so a late duplicate does nothing.

Interrupted runs are not re-run here: the next night's sweep covers every county again, and the
health page and the admin offer 「重新运行」 at once.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass, field

from django.conf import settings
from django.db import connection, transaction
from django.db.models import F, Q
from django.utils import timezone

from eligibility.public import SweepRun, try_xact_lock
from imports import recovery
from imports.models import ImportBatch
from imports.tasks import batch_lock

from .locks import is_free
from .tasks import BrokerUnavailable

log = logging.getLogger(__name__)
B = ImportBatch.Status


@dataclass
class Reaped:
    runs: list[int] = field(default_factory=list)
    batches: list[int] = field(default_factory=list)
    requeued: list[int] = field(default_factory=list)
    broker_down: bool = False

    def as_dict(self) -> dict:
        return {"runs": self.runs, "batches": self.batches, "requeued": self.requeued, "broker_down": self.broker_down}


def _grace() -> dt.timedelta:
    return dt.timedelta(seconds=settings.RELIABILITY_REAP_GRACE)


def _time_limit() -> dt.timedelta:
    return dt.timedelta(seconds=settings.CELERY_TASK_TIME_LIMIT)


def run_is_dead(run: SweepRun, *, now: dt.datetime) -> bool:
    """Only within a transaction: on PostgreSQL this takes the county lock when it is free (so no
    sweep of the county can start before the caller's transaction ends)."""
    age = now - run.started_at
    if connection.vendor == "postgresql":
        return age > _grace() and try_xact_lock(f"eligibility.sweep:{run.county_code}")
    return age > _time_limit()


def reap_runs(now: dt.datetime) -> list[int]:
    from eligibility.public import mark_interrupted

    reaped = []
    for pk in SweepRun.objects.filter(status=SweepRun.Status.RUNNING, started_at__lt=now - _grace()).values_list(
        "pk", flat=True
    ):
        with transaction.atomic():
            run = SweepRun.objects.select_for_update().filter(pk=pk, status=SweepRun.Status.RUNNING).first()
            if run is None or not run_is_dead(run, now=now):
                continue
            if mark_interrupted(SweepRun.objects.filter(pk=pk)):
                reaped.append(pk)
                log.warning("reaper: sweep run %s of %s interrupted", pk, run.county_code)
    return reaped


def batch_is_dead(batch: ImportBatch, *, now: dt.datetime) -> bool:
    started = batch.task_started_at
    if started is None:
        return False
    free = is_free(batch_lock(batch.pk))
    if free is None:
        return now - started > _time_limit()
    return free and now - started > _grace()


def reap_batches(now: dt.datetime) -> list[int]:
    reaped = []
    working = ImportBatch.objects.filter(
        status__in=[B.VALIDATING, B.COMMITTING], task_started_at__lt=now - _grace(),
    ).filter(Q(queued_at__isnull=True) | Q(task_started_at__gte=F("queued_at")))
    for batch in working:
        if not batch_is_dead(batch, now=now):
            continue
        stage = "validate" if batch.status == B.VALIDATING else "commit"
        if recovery.mark_interrupted(batch.pk, stage=stage):
            reaped.append(batch.pk)
            log.warning("reaper: import batch %s interrupted while %s", batch.pk, stage)
    return reaped


def requeue_batches(now: dt.datetime) -> tuple[list[int], bool]:
    """Batches whose current stage never started: never queued (the broker was down), or queued
    longer ago than a redelivery would take. Returns (queued again, broker down)."""
    stale = now - dt.timedelta(seconds=settings.RELIABILITY_REQUEUE_AFTER)
    not_started = Q(task_started_at__isnull=True) | Q(task_started_at__lt=F("queued_at"))
    candidates = ImportBatch.objects.filter(
        Q(status=B.PENDING, queued_at__isnull=True, created_at__lt=now - _grace())
        | (Q(status__in=[B.PENDING, B.COMMITTING], queued_at__lt=stale) & not_started)
    ).order_by("pk")
    requeued: list[int] = []
    for batch in candidates:
        stage = "validate" if batch.status == B.PENDING else "commit"
        try:
            recovery.dispatch(batch, stage)
        except BrokerUnavailable:
            return requeued, True
        requeued.append(batch.pk)
    return requeued, False


def reap(now: dt.datetime | None = None) -> Reaped:
    now = now or timezone.now()
    result = Reaped()
    result.runs = reap_runs(now)
    result.batches = reap_batches(now)
    result.requeued, result.broker_down = requeue_batches(now)
    return result
