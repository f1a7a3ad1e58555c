"""The payroll benchmark at tiny scale, so it cannot rot (docs/contributing.md "Benchmarks"). PostgreSQL only:
its set-based setup and COPY export are PostgreSQL's."""

from __future__ import annotations

import pytest
from django.db import connection

from tests.conftest import ensure_regions
from tests.factories import ElderFactory, village


@pytest.mark.bench
@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_the_payroll_benchmark_runs_at_tiny_scale():
    if connection.vendor != "postgresql":
        reason = "the payroll benchmark's setup SQL and COPY export are PostgreSQL's"
        print(f"\nSKIP bench smoke: {reason}")
        pytest.skip(reason)
    from bench import payroll

    ensure_regions()
    for _ in range(12):
        ElderFactory(region=village())
    outcome = payroll.run_benchmark(n=10, sample=5, runs=1)
    assert outcome["enrolments"] == 10 and outcome["lines"] == 10
    assert {m.benchmark for m in outcome["measurements"]} >= {"generate", "export csv"}
    from eligibility.models import Benefit

    assert not Benefit.objects.filter(code=payroll.BENEFIT).exists()  # cleaned up
