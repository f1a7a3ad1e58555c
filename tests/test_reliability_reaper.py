"""The reaper: a run or batch whose process died is marked failed with a reason, a live one is left
alone; 「重新运行」 from the health page and the admin runs it again."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from django.core.management import call_command
from django.db import connection, transaction
from django.urls import reverse
from django.utils import timezone

from audit.models import AuditEvent
from core.reaper import reap
from eligibility.models import SweepRun
from imports.models import ImportBatch

from .conftest import COUNTY, OTHER_COUNTY
from .imports.helpers import new_id, roll

AS_OF = dt.date(2026, 11, 25)


@pytest.fixture(autouse=True)
def _media_in_tmp(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture(autouse=True)
def _tasks_in_process():
    """A retry runs its task here, in-process, even when a broker is configured (the worker itself is
    tested in tests/test_reliability_worker.py)."""
    from .test_reliability_broker_down import broker

    with broker(None):
        yield


def _running(county=COUNTY, *, minutes_ago: int) -> SweepRun:
    run = SweepRun.objects.create(as_of=AS_OF, period=dt.date(2026, 12, 1), county_code=county, task_id="t-dead")
    SweepRun.objects.filter(pk=run.pk).update(started_at=timezone.now() - dt.timedelta(minutes=minutes_ago))
    return run


def _later(settings) -> dt.datetime:
    """A moment past the task time limit (the SQLite rule) and the grace (the PostgreSQL rule)."""
    return timezone.now() + dt.timedelta(seconds=settings.CELERY_TASK_TIME_LIMIT + 60)


@pytest.mark.django_db
def test_fault_worker_died_mid_sweep_the_reaper_marks_the_run_failed_with_a_reason(settings):
    dead = _running(minutes_ago=1)
    fresh_other = _running(OTHER_COUNTY, minutes_ago=0)
    SweepRun.objects.filter(pk=fresh_other.pk).update(started_at=_later(settings))  # just started, at "now"

    result = reap(now=_later(settings))

    assert result.runs == [dead.pk]
    dead.refresh_from_db()
    assert dead.status == SweepRun.Status.FAILED and dead.finished_at and dead.interrupted
    assert "运行中断" in dead.failure_message
    fresh_other.refresh_from_db()
    assert fresh_other.status == SweepRun.Status.RUNNING
    assert reap(now=_later(settings)).runs == []  # once


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_fault_reaper_leaves_a_slow_live_sweep_alone_while_it_holds_the_county_lock(settings):
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL advisory locks")
    from core.locks import try_xact_lock

    live = _running(minutes_ago=90)
    holding, release = threading.Event(), threading.Event()

    def slow_sweep():
        with transaction.atomic():
            assert try_xact_lock(f"eligibility.sweep:{COUNTY}")
            holding.set()
            release.wait(30)
        connection.close()

    thread = threading.Thread(target=slow_sweep)
    thread.start()
    try:
        assert holding.wait(10)
        assert reap().runs == []
        live.refresh_from_db()
        assert live.status == SweepRun.Status.RUNNING
    finally:
        release.set()
        thread.join()
    assert reap().runs == [live.pk]  # the lock is gone with its session: now it is dead


@pytest.mark.django_db(transaction=True)
def test_fault_worker_died_mid_validation_the_batch_is_failed_then_retried_from_the_health_page(
    client, county_admin, officer, tmp_path, settings
):
    from imports import services

    batch = services.batch_create(actor=officer, kind="roll", file=roll(tmp_path, [[new_id(), "张三", "H1", "凤岗路社区"]]),
                                  enqueue=False)
    ImportBatch.objects.filter(pk=batch.pk).update(
        status=ImportBatch.Status.VALIDATING, task_id="t-dead", task_started_at=timezone.now(), attempts=1,
        queued_at=timezone.now() - dt.timedelta(seconds=1),
    )
    call_command("reap_stuck", stdout=open("/dev/null", "w"))  # now: within the grace, left alone
    batch.refresh_from_db()
    assert batch.status == ImportBatch.Status.VALIDATING

    assert reap(now=_later(settings)).batches == [batch.pk]
    batch.refresh_from_db()
    assert batch.status == ImportBatch.Status.FAILED and batch.interrupted == "validate" and batch.can_retry
    assert "后台进程中断" in batch.message

    client.force_login(county_admin)
    page = client.get(reverse("health")).content.decode()
    assert f'data-testid="retry-batch-{batch.pk}"' in page and "后台进程中断" in page
    response = client.post(reverse("health_retry"), {"kind": "batch", "pk": batch.pk})
    assert response.status_code == 200
    batch.refresh_from_db()
    assert batch.status == ImportBatch.Status.READY and batch.can_confirm  # validated again (eager here)
    assert AuditEvent.objects.filter(event="imports.batch_retry", object_id=str(batch.pk)).exists()


@pytest.mark.django_db(transaction=True)
def test_fault_interrupted_sweep_rerun_from_the_health_page_sweeps_the_county_again(
    client, county_admin, officer, settings
):
    dead = _running(minutes_ago=1)
    reap(now=_later(settings))
    client.force_login(county_admin)
    page = client.get(reverse("health")).content.decode()
    assert f'data-testid="rerun-{dead.pk}"' in page

    client.force_login(officer)  # a township officer may not
    assert client.post(reverse("health_retry"), {"kind": "run", "pk": dead.pk}).status_code == 403

    client.force_login(county_admin)
    response = client.post(reverse("health_retry"), {"kind": "run", "pk": dead.pk})
    assert response.status_code == 200
    rerun = SweepRun.objects.exclude(pk=dead.pk).get(county_code=COUNTY)
    assert rerun.status == SweepRun.Status.DONE and rerun.as_of == AS_OF
    assert AuditEvent.objects.filter(event="eligibility.sweep_retry").count() == 1
    # a second click finds a later finished run and queues nothing
    client.post(reverse("health_retry"), {"kind": "run", "pk": dead.pk})
    assert SweepRun.objects.filter(county_code=COUNTY).count() == 2


@pytest.mark.django_db
def test_attack_county_admin_cannot_rerun_or_see_another_countys_run(client, county_admin, settings):
    foreign = _running(OTHER_COUNTY, minutes_ago=1)
    reap(now=_later(settings))
    client.force_login(county_admin)
    assert f"rerun-{foreign.pk}" not in client.get(reverse("health")).content.decode()
    assert client.post(reverse("health_retry"), {"kind": "run", "pk": foreign.pk}).status_code == 404
    assert SweepRun.objects.count() == 1


@pytest.mark.django_db
def test_admin_action_rerun_queues_the_failed_countys_sweep(client, superuser, settings):
    dead = _running(minutes_ago=1)
    reap(now=_later(settings))
    client.force_login(superuser)
    url = reverse("admin:eligibility_sweeprun_changelist")
    response = client.post(url, {"action": "rerun", "_selected_action": [dead.pk]}, follow=True)
    assert response.status_code == 200 and "已重新运行 1 个县" in response.content.decode()
    assert SweepRun.objects.filter(county_code=COUNTY, status=SweepRun.Status.DONE).count() == 1
    page = client.get(reverse("admin:eligibility_sweeprun_change", args=[dead.pk])).content.decode()
    assert "失败原因" in page and "运行中断" in page


@pytest.mark.django_db
def test_reaper_is_scheduled_every_five_minutes():
    from django_celery_beat.models import PeriodicTask

    task = PeriodicTask.objects.get(task="core.reap_stuck")
    assert (task.interval.every, task.interval.period, task.enabled) == (5, "minutes", True)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_race_two_clicks_on_retry_of_an_interrupted_batch_run_it_once(county_admin, officer, tmp_path, settings):
    from imports import recovery, services

    from .concurrency import race, require_postgres
    require_postgres()
    batch = services.batch_create(actor=officer, kind="roll", file=roll(tmp_path, [[new_id(), "张三", "H1", "凤岗路社区"]]),
                                  enqueue=False)
    ImportBatch.objects.filter(pk=batch.pk).update(status=ImportBatch.Status.FAILED, interrupted="validate")
    outcomes = race([lambda: recovery.batch_retry(actor=county_admin, batch=batch)] * 2)
    # the loser finds the batch already 待校验 or, validated by then, 待确认
    assert outcomes[1] == "ok" and outcomes[0].startswith("ValidationError: 该批次当前状态为") and "不需要重新运行" in outcomes[0]
    batch.refresh_from_db()
    assert batch.status == ImportBatch.Status.READY
    assert AuditEvent.objects.filter(event="imports.batch_retry").count() == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_race_two_clicks_on_rerun_of_a_failed_sweep_sweep_the_county_once(county_admin, settings):
    from eligibility.retry import sweep_retry

    from .concurrency import race, require_postgres
    require_postgres()
    dead = _running(minutes_ago=1)
    reap(now=_later(settings))
    outcomes = race([lambda: sweep_retry(actor=county_admin, run=dead)] * 2)
    assert outcomes[1] == "ok" and outcomes[0].startswith("ValidationError:") and "已有更新的运行" in outcomes[0]
    assert SweepRun.objects.filter(county_code=COUNTY, status=SweepRun.Status.DONE).count() == 1
    assert AuditEvent.objects.filter(event="eligibility.sweep_retry").count() == 1
