"""Thin tasks: take a batch id, call the service. Both are idempotent (status-guarded).

Each task stamps the batch (task id, start time, attempt) and holds the batch's session lock while it
works, so ``core.reaper`` can tell a dead task from a slow one; a message redelivered after its pool
child died runs the stage again (the commit is one transaction: the dead attempt wrote nothing). A
file that kills its process every time is stopped after ``MAX_ATTEMPTS`` starts."""

from celery import shared_task
from celery.signals import before_task_publish
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from core.locks import held, import_batch_lock

from . import services
from .models import ImportBatch

MAX_ATTEMPTS = 3
S = ImportBatch.Status


def _start(batch_id: int, task_id: str, stage: str) -> bool:
    """Stamp the start; False (and the batch 失败) when the stage already died MAX_ATTEMPTS times."""
    with transaction.atomic():
        batch = ImportBatch.objects.select_for_update().get(pk=batch_id)
        working = (S.PENDING, S.VALIDATING) if stage == "validate" else (S.COMMITTING,)
        if batch.status not in working:
            return True  # the service's status guard returns it unchanged
        if batch.attempts >= MAX_ATTEMPTS:
            label = "校验" if stage == "validate" else "导入"
            batch.status = S.FAILED
            batch.interrupted = stage
            batch.message = (f"后台进程在{label}本文件时已连续中断{batch.attempts}次（文件可能过大或格式异常），"
                             "未写入任何数据；请检查文件后重新上传，或联系管理员")
            batch.save(update_fields=["status", "interrupted", "message"])
            return False
        ImportBatch.objects.filter(pk=batch_id).update(
            task_id=(task_id or "")[:64], task_started_at=timezone.now(), attempts=F("attempts") + 1,
        )
    return True


@shared_task(name="imports.validate_batch", bind=True)
def validate_batch(self, batch_id: int) -> str:
    with held(import_batch_lock(batch_id)):
        if not _start(batch_id, self.request.id, "validate"):
            return str(S.FAILED)
        return services.batch_validate(batch_id=batch_id).status


@shared_task(name="imports.commit_batch", bind=True)
def commit_batch(self, batch_id: int) -> str:
    with held(import_batch_lock(batch_id)):
        if not _start(batch_id, self.request.id, "commit"):
            return str(S.FAILED)
        return services.batch_commit(batch_id=batch_id).status


@before_task_publish.connect
def _stamp_queued(sender=None, body=None, **kwargs):
    """Whoever publishes a stage (a page, a service's on_commit, the reaper, a retry), the batch
    records when: the reaper measures "queued but never started" from it, and the stage's attempts
    count from zero. Runs before the message leaves, so the task's own start stamp comes after it."""
    if sender not in ("imports.validate_batch", "imports.commit_batch"):
        return
    args = body[0] if isinstance(body, list | tuple) and body else []
    if args and isinstance(args[0], int):
        ImportBatch.objects.filter(pk=args[0]).update(queued_at=timezone.now(), attempts=0)
