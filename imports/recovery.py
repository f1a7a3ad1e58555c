"""Batches whose task never ran or died: put back where the clerk can act, retried, or reaped.

- ``dispatch_failed``: the broker was down when a stage was to be queued — a 导入中 batch goes back to
  待确认 (confirmable and cancellable again); a new 待校验 batch stays as it is (cancellable; the
  reaper queues its validation once the broker is back).
- ``mark_interrupted``: the reaper found the stage's process dead — 失败 with a reason, retryable.
- ``batch_retry``: 「重新运行」 on an interrupted batch — the stage is queued again.

Every change takes the batch's row lock, checks the state it expects and is audited.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction

from audit.services import record
from core.tasks import BrokerUnavailable, enqueue

from .models import ImportBatch

S = ImportBatch.Status
INTERRUPTED = {
    "validate": "校验过程中后台进程中断（可能内存不足被终止），未写入任何数据；可点击「重新运行」或取消本批次",
    "commit": "导入过程中后台进程中断，整批已回滚、未写入任何数据；可点击「重新运行」或取消本批次",
}


def stage_task(stage: str):
    from .tasks import commit_batch, validate_batch

    return validate_batch if stage == "validate" else commit_batch


def dispatch(batch: ImportBatch, stage: str) -> None:
    """Queue ``stage`` for the batch (BrokerUnavailable when the broker is down). ``queued_at`` is
    stamped as the message is published (imports.tasks); a publish that failed is not "queued"."""
    before = ImportBatch.objects.filter(pk=batch.pk).values_list("queued_at", flat=True).first()
    try:
        enqueue(stage_task(stage), batch.pk)
    except BrokerUnavailable:
        ImportBatch.objects.filter(pk=batch.pk).update(queued_at=before)
        raise


def dispatch_failed(*, actor: Any, batch_id: int, stage: str) -> ImportBatch:
    """The stage's task could not be queued. A 导入中 batch whose commit never started goes back to
    待确认; anything else is left as it is."""
    with transaction.atomic():
        locked = ImportBatch.objects.select_for_update().get(pk=batch_id)
        # Nothing was published, so no commit of this confirm can be running.
        if stage == "commit" and locked.status == S.COMMITTING:
            locked.status = S.READY
            locked.progress = 100
            locked.save(update_fields=["status", "progress"])
        record(actor=actor, event="imports.batch_dispatch_failed", obj=locked, outcome="error",
               detail={"stage": stage, "status": locked.status})
    return locked


def mark_interrupted(batch_id: int, *, stage: str, reason: str = "") -> bool:
    """Reaper: the stage's process is gone. 失败 + the stage, if the batch still says it is working."""
    working = (S.PENDING, S.VALIDATING) if stage == "validate" else (S.COMMITTING,)
    with transaction.atomic():
        locked = ImportBatch.objects.select_for_update().get(pk=batch_id)
        if locked.status not in working:
            return False
        locked.status = S.FAILED
        locked.interrupted = stage
        locked.message = reason or INTERRUPTED[stage]
        locked.save(update_fields=["status", "interrupted", "message"])
        record(actor=None, event="imports.batch_interrupted", obj=locked, outcome="error",
               detail={"stage": stage, "task_id": locked.task_id, "attempts": locked.attempts})
    return True


def batch_requeue(*, actor: Any, batch: ImportBatch, ip_address: str | None = None) -> str:
    """「重新投递」: a batch whose task never reached a worker (待校验 or 导入中, not started since it was
    queued) is queued again. Under the batch's row lock, so two clicks check the state one after the
    other; returns the stage queued."""
    with transaction.atomic():
        locked = ImportBatch.objects.select_for_update().get(pk=batch.pk)
        not_started = locked.task_started_at is None or (
            locked.queued_at is not None and locked.task_started_at < locked.queued_at)
        if locked.status not in (S.PENDING, S.COMMITTING) or not not_started:
            raise ValidationError(f"该批次当前状态为「{locked.get_status_display()}」，不需要重新运行")
        stage = "validate" if locked.status == S.PENDING else "commit"
        record(actor=actor, event="imports.batch_requeue", obj=locked, ip_address=ip_address, detail={"stage": stage})
    dispatch(locked, stage)
    return stage


def batch_retry(*, actor: Any, batch: ImportBatch) -> ImportBatch:
    """「重新运行」: an interrupted batch's stage is queued again (validation from 待校验, the commit from
    导入中 — the commit re-reads the file and writes in one transaction, as the first time)."""
    with transaction.atomic():
        locked = ImportBatch.objects.select_for_update().get(pk=batch.pk)
        if not locked.can_retry:
            raise ValidationError(f"该批次当前状态为「{locked.get_status_display()}」，不需要重新运行")
        stage = locked.interrupted
        locked.status = S.PENDING if stage == "validate" else S.COMMITTING
        locked.progress = 0
        locked.interrupted = ""
        locked.message = ""
        locked.save(update_fields=["status", "progress", "interrupted", "message"])
        record(actor=actor, event="imports.batch_retry", obj=locked, detail={"stage": stage})
    try:
        dispatch(locked, stage)
    except BrokerUnavailable:
        with transaction.atomic():
            again = ImportBatch.objects.select_for_update().get(pk=batch.pk)
            if again.status in (S.PENDING, S.COMMITTING) and again.task_started_at == locked.task_started_at:
                again.status = S.FAILED
                again.interrupted = stage
                again.message = INTERRUPTED[stage]
                again.save(update_fields=["status", "interrupted", "message"])
        raise
    locked.refresh_from_db()
    return locked
