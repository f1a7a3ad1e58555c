"""Tasks survive their worker: the same county swept twice at once ends as once; a pool child killed
mid-sweep (SIGKILL) does not lose the county — the message is redelivered and completes."""

from __future__ import annotations

import datetime as dt
import os
import signal
import subprocess
import sys
import time
from io import StringIO
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from django.db import connection

from eligibility.models import Enrolment, EnrolmentEvent, SweepRun
from eligibility.tasks import sweep_county
from tests.conftest import COUNTY, ensure_regions
from tests.factories import ElderFactory, village

pytestmark = [pytest.mark.celery_worker, pytest.mark.postgres]


def _needs_broker_and_postgres():
    if not settings.CELERY_BROKER_URL or connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL and CELERY_BROKER_URL (a real worker on Redis)")


def _world() -> list:
    ensure_regions()
    call_command("load_policy", "yangling", stdout=StringIO())
    return [ElderFactory(region=village(), birth_date=dt.date(1940 + i, 5, 20)) for i in range(6)]


def _end_state() -> tuple:
    return (
        sorted(Enrolment.objects.values_list("elder_id", "benefit__code", "status", "amount")),
        EnrolmentEvent.objects.count(),
    )


@pytest.mark.django_db(transaction=True)
def test_fault_same_county_sweep_task_twice_at_once_ends_as_once(queued_tasks):
    _needs_broker_and_postgres()
    from celery.contrib.testing.worker import start_worker

    app = queued_tasks
    _world()
    with start_worker(app, pool="threads", concurrency=2, perform_ping_check=False, shutdown_timeout=30):
        results = [sweep_county.delay(COUNTY, "2026-11-25"), sweep_county.delay(COUNTY, "2026-11-25")]
        outcomes = [r.get(timeout=60) for r in results]
    statuses = sorted(o["status"] for o in outcomes)
    assert statuses[0] == "done"  # one swept; the other found nothing to do or the county busy
    twice = _end_state()
    assert twice[1] > 0
    assert not SweepRun.objects.filter(status=SweepRun.Status.RUNNING).exists()

    # the same world swept once by one task gives the same enrolments and events
    EnrolmentEvent.objects.all().delete()
    Enrolment.objects.all().delete()
    SweepRun.objects.all().delete()
    with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=30):
        sweep_county.delay(COUNTY, "2026-11-25").get(timeout=60)
    once = _end_state()
    assert twice == once


def _children(pid: int) -> list[int]:
    path = Path(f"/proc/{pid}/task/{pid}/children")
    return [int(c) for c in path.read_text().split()] if path.exists() else []


@pytest.mark.django_db(transaction=True)
def test_fault_pool_child_sigkilled_mid_sweep_the_task_is_redelivered_and_completes(queued_tasks):
    """A real prefork worker (one child); the sweep is held inside its county transaction by a row
    lock this test takes on an enrolment the sweep must end; the child is SIGKILLed there. With
    task_reject_on_worker_lost the message goes back to the queue, a new child sweeps the county."""
    _needs_broker_and_postgres()
    elders = _world()
    from eligibility.policy.sweep import sweep_county as run_sweep

    run_sweep(as_of=dt.date(2026, 11, 25), county_code=COUNTY)  # enrolments exist
    dying = elders[0]
    dying.deceased_on = dt.date(2026, 11, 1)
    dying.save()
    target = Enrolment.objects.filter(elder=dying, status="active").first()
    assert target is not None

    db = settings.DATABASES["default"]
    auth = db["USER"] + (f":{db['PASSWORD']}" if db.get("PASSWORD") else "")
    where = f"{db.get('HOST') or '127.0.0.1'}:{db.get('PORT') or 5432}"
    env = {**os.environ, "DATABASE_URL": f"postgres://{auth}@{where}/{db['NAME']}",
           "CELERY_BROKER_URL": settings.CELERY_BROKER_URL}
    worker = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "config", "worker", "--pool", "prefork", "--concurrency", "1",
         "--loglevel", "WARNING", "-n", f"killtest-{os.getpid()}@%h", "--without-mingle", "--without-gossip"],
        cwd=settings.BASE_DIR, env=env, start_new_session=True, stdout=subprocess.DEVNULL,
        stderr=open(os.environ.get("RELIABILITY_WORKER_LOG", os.devnull), "w"),  # noqa: SIM115
    )
    blocker = connection.copy()
    try:
        with blocker.cursor() as cur:
            cur.execute("BEGIN")
            cur.execute("SELECT id FROM eligibility_enrolment WHERE id = %s FOR UPDATE", [target.pk])
            result = sweep_county.delay(COUNTY, "2026-11-26")
            deadline = time.monotonic() + 30
            waiting = None
            while time.monotonic() < deadline and not waiting:
                cur.execute("SELECT pg_stat_clear_snapshot()")  # statistics views are frozen within a transaction
                cur.execute("SELECT pid FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND datname = %s",
                            [db["NAME"]])
                waiting = cur.fetchone()
                time.sleep(0.2)
            assert waiting, "the sweep never reached the locked enrolment"
            children = _children(worker.pid)
            assert len(children) == 1
            os.kill(children[0], signal.SIGKILL)
            cur.execute("SELECT pg_terminate_backend(%s)", [waiting[0]])  # as PostgreSQL does on its next read
            cur.execute("ROLLBACK")
        outcome = result.get(timeout=25)
    finally:
        blocker.close()
        os.killpg(worker.pid, signal.SIGTERM)
        try:
            worker.wait(20)
        except subprocess.TimeoutExpired:
            os.killpg(worker.pid, signal.SIGKILL)
    assert outcome["status"] == "done"
    runs = list(SweepRun.objects.filter(as_of=dt.date(2026, 11, 26)).order_by("started_at"))
    assert [r.status for r in runs] == ["failed", "done"] and runs[0].interrupted
    assert runs[0].task_id == runs[1].task_id == result.id
    target.refresh_from_db()
    assert target.status == "ended"
