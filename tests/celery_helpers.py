"""A real Celery worker for task integration tests (docs/contributing.md "Tests": no mocks of our own queue)."""

from __future__ import annotations

import contextlib

from django.conf import settings


@contextlib.contextmanager
def real_worker_if_broker():
    """With CELERY_BROKER_URL set (CI on Redis) start an in-process worker thread; otherwise tasks
    run eagerly, which is the embedded default the demo uses."""
    if not settings.CELERY_BROKER_URL:
        print("[celery] no CELERY_BROKER_URL: task runs eagerly in-process (set it to test a real worker)")
        yield None
        return
    from celery.contrib.testing.worker import start_worker

    from config.celery import app

    app.conf.task_always_eager = False
    with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=30) as worker:
        yield worker
