from celery import shared_task

from . import services


@shared_task(name="audit.purge_expired")
def purge_expired() -> int:
    """Nightly retention purge; idempotent (a second run deletes nothing)."""
    return services.purge_expired()
