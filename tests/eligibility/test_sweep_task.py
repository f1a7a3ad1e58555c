"""The sweep as a Celery task (a group per county) and its nightly schedule."""

from __future__ import annotations

import datetime as dt
from io import StringIO

import pytest
from django.core.management import call_command

from eligibility.models import Enrolment, SweepRun
from eligibility.tasks import nightly_sweep, sweep_county
from tests.celery_helpers import real_worker_if_broker
from tests.conftest import COUNTY, ensure_regions
from tests.factories import ElderFactory, village


@pytest.mark.celery_worker
@pytest.mark.django_db(transaction=True)
def test_a_worker_runs_the_county_sweep_and_a_second_run_writes_nothing():
    """Task "eligibility.sweep_county" through a real worker when a broker is configured."""
    ensure_regions()
    call_command("load_policy", "yangling", stdout=StringIO())
    elder = ElderFactory(region=village(), birth_date=dt.date(1944, 5, 20))
    with real_worker_if_broker():
        first = sweep_county.delay(COUNTY, "2026-11-25").get(timeout=120)
        second = sweep_county.delay(COUNTY, "2026-11-25").get(timeout=120)
    assert first["status"] == "done" and first["totals"]["activated"] >= 1
    assert second["totals"] == {}
    assert Enrolment.objects.get(elder=elder, benefit__code="age_allowance").status == "active"
    assert SweepRun.objects.filter(county_code=COUNTY).count() == 2


@pytest.mark.celery_worker
@pytest.mark.django_db(transaction=True)
def test_eligibility_nightly_sweep_fans_out_one_task_per_county():
    import time

    ensure_regions()
    call_command("load_policy", "yangling", stdout=StringIO())
    ElderFactory(region=village(), birth_date=dt.date(1944, 5, 20))
    ElderFactory(region=village("141002001001"), birth_date=dt.date(1940, 6, 1))
    with real_worker_if_broker():
        sent = nightly_sweep.delay("2026-11-25").get(timeout=120)
        deadline = time.monotonic() + 120
        while SweepRun.objects.filter(status="done").count() < 2 and time.monotonic() < deadline:
            time.sleep(0.2)
    assert sent == ["141002000000", COUNTY]
    assert SweepRun.objects.filter(as_of=dt.date(2026, 11, 25), status="done").count() == 2


@pytest.mark.django_db
def test_the_sweep_is_scheduled_nightly_at_two_in_beijing_time():
    from django_celery_beat.models import PeriodicTask

    task = PeriodicTask.objects.get(task="eligibility.nightly_sweep")
    assert (task.crontab.hour, task.crontab.minute, str(task.crontab.timezone)) == ("2", "0", "Asia/Shanghai")
    assert task.enabled
