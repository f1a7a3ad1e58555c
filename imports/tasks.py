"""Thin tasks: take a batch id, call the service. Both are idempotent (status-guarded)."""

from celery import shared_task

from . import services


@shared_task(name="imports.validate_batch")
def validate_batch(batch_id: int) -> str:
    return services.batch_validate(batch_id=batch_id).status


@shared_task(name="imports.commit_batch")
def commit_batch(batch_id: int) -> str:
    return services.batch_commit(batch_id=batch_id).status
