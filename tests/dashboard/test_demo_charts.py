"""`make demo` shows filled charts: a year of enrolments and the nightly figures are there."""

from __future__ import annotations

from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.urls import reverse

from dashboard.models import MonthlyFigure


@pytest.mark.django_db
def test_the_demo_fills_the_statistics_pages(client):
    out = StringIO()
    call_command("demo", elders=120, password="demo-password-for-tests", stdout=out)
    assert "统计报表" in out.getvalue()
    assert "补充此前11个月探访记录 0 次" not in out.getvalue()
    figures = MonthlyFigure.objects.count()
    rerun = StringIO()
    call_command("demo", elders=120, password="demo-password-for-tests", stdout=rerun)  # a rerun adds nothing
    assert "补充此前11个月探访记录 0 次" in rerun.getvalue()
    assert MonthlyFigure.objects.values("period").distinct().count() == 12 and MonthlyFigure.objects.count() == figures
    client.force_login(get_user_model().objects.get(username="county_admin"))
    services = client.get(reverse("dashboard:statistics_services")).context
    enrolments = services["enrolments"]
    rates = services["visits"]["rates"]
    assert all(r is not None and 60 <= r <= 100 for r in rates[:-1]), rates  # demo: ≈ 84–96 % drawn at random
    assert enrolments["series"] and sum(1 for n in enrolments["series"][0]["counts"] if n) >= 6
    assert client.get(reverse("dashboard:statistics")).context["stats"]["total"] > 0
    rows = {r.key: r for r in client.get(reverse("dashboard:indicators")).context["indicators"]}
    assert rows["social_workers_per_1k"].value is not None and len(rows["assessment_80"].trend_labels) == 12
