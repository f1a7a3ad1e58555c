"""Two generations at once (PostgreSQL) and a generation through a real Celery worker."""

from __future__ import annotations

import pytest

from payouts.models import PayrollLine, PayrollRun
from payouts.tasks import generate_run
from tests.celery_helpers import real_worker_if_broker
from tests.concurrency import race, require_postgres
from tests.conftest import COUNTY, ensure_regions
from tests.factories import benefit_with_tiers, elder_with_account, enrol

from .helpers import PERIOD, generate


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_generations_at_once_leave_one_run_and_one_set_of_lines():
    require_postgres("needs PostgreSQL advisory locks and concurrent transactions; SQLite serialises writers")
    ensure_regions()
    b = benefit_with_tiers()
    elders = [elder_with_account() for _ in range(30)]
    for e in elders:
        enrol(e, b)
    outcomes = race([generate, generate, generate])
    assert outcomes == ["ok", "ok", "ok"]
    assert PayrollRun.objects.count() == 1
    assert PayrollLine.objects.count() == 30
    assert set(PayrollLine.objects.values_list("elder_id", flat=True)) == {e.pk for e in elders}


@pytest.mark.celery_worker
@pytest.mark.django_db(transaction=True)
def test_a_worker_generates_a_run_and_a_second_task_regenerates_the_same_draft():
    """Task "payouts.generate_run" through a real worker when a broker is configured."""
    ensure_regions()
    b = benefit_with_tiers()
    for _ in range(5):
        enrol(elder_with_account(), b)
    with real_worker_if_broker():
        first = generate_run.delay(COUNTY, f"{PERIOD:%Y-%m}").get(timeout=120)
        second = generate_run.delay(COUNTY, f"{PERIOD:%Y-%m}").get(timeout=120)
    assert first == second == {"run": PayrollRun.objects.get().pk, "lines": 5, "total": "500.00"}
    assert PayrollLine.objects.count() == 5
