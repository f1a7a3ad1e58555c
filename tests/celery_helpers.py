"""A real Celery worker for task integration tests (docs/contributing.md "Tests": no mocks of our own queue),
and the one place tests switch Celery's ``task_always_eager`` — always restored afterwards
(``tasks_eager``; fixtures ``eager_tasks`` / ``queued_tasks`` in tests/conftest.py). tests/test_meta.py
fails on an assignment to the setting anywhere else in the tests."""

from __future__ import annotations

import contextlib

from django.conf import settings


@contextlib.contextmanager
def tasks_eager(eager: bool = True):
    """Run Celery tasks in-process (``eager``) or through the broker for the block, then put the app's
    previous setting back, so no test leaks its choice into the next one."""
    from config.celery import app

    before = app.conf.task_always_eager
    app.conf.task_always_eager = eager
    try:
        yield app
    finally:
        app.conf.task_always_eager = before


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

    with tasks_eager(False), start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=30) as worker:
        yield worker
