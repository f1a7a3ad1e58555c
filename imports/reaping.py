"""The reaper's steps for import batches (registered with core.reaper in ImportsConfig.ready).

- a 校验中/导入中 batch whose task started holds the batch's session lock (``imports.tasks``): its
  lock free and started more than the grace ago → interrupted (失败 with a reason, retryable). The
  grace covers the instant between the task's stamp and its lock.
- a 待校验 batch whose validation was never queued (the broker was down at upload) is queued now; one
  queued ``RELIABILITY_REQUEUE_AFTER`` seconds ago (past the visibility timeout, after which Redis
  would have redelivered it) that never started is queued again; a 导入中 batch likewise. Both tasks
  are status-guarded, so a late duplicate does nothing.
"""

from __future__ import annotations

import datetime as dt
import logging

from django.db.models import F, Q

from core.locks import import_batch_lock, is_free
from core.reaper import grace, lock_says_dead, requeue_after

from . import recovery
from .models import ImportBatch

log = logging.getLogger(__name__)
B = ImportBatch.Status


def batch_is_dead(batch: ImportBatch, *, now: dt.datetime) -> bool:
    started = batch.task_started_at
    if started is None:
        return False
    return lock_says_dead(is_free(import_batch_lock(batch.pk)), started=started, now=now)


def reap_batches(now: dt.datetime, reaped: list[int]) -> None:
    working = ImportBatch.objects.filter(
        status__in=[B.VALIDATING, B.COMMITTING], task_started_at__lt=now - grace(),
    ).filter(Q(queued_at__isnull=True) | Q(task_started_at__gte=F("queued_at")))
    for batch in working:
        if not batch_is_dead(batch, now=now):
            continue
        stage = "validate" if batch.status == B.VALIDATING else "commit"
        if recovery.mark_interrupted(batch.pk, stage=stage):
            reaped.append(batch.pk)
            log.warning("reaper: import batch %s interrupted while %s", batch.pk, stage)


def requeue_batches(now: dt.datetime, requeued: list[int]) -> None:
    """Batches whose current stage never started: never queued (the broker was down), or queued
    longer ago than a redelivery would take. BrokerUnavailable (from ``recovery.dispatch``) stops
    the step; the reaper reports the broker down."""
    stale = now - requeue_after()
    not_started = Q(task_started_at__isnull=True) | Q(task_started_at__lt=F("queued_at"))
    candidates = ImportBatch.objects.filter(
        Q(status=B.PENDING, queued_at__isnull=True, created_at__lt=now - grace())
        | (Q(status__in=[B.PENDING, B.COMMITTING], queued_at__lt=stale) & not_started)
    ).order_by("pk")
    for batch in candidates:
        stage = "validate" if batch.status == B.PENDING else "commit"
        recovery.dispatch(batch, stage)
        requeued.append(batch.pk)
