"""指标与目标: targets are data per jurisdiction (the most local wins); values, gaps and trends."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse

from dashboard.models import IndicatorTarget, MonthlyFigure, WorkforceCount
from tests.conftest import COUNTY, OTHER_COUNTY_VILLAGE, TOWNSHIP, VILLAGE

pytestmark = pytest.mark.django_db


def _rows(response):
    return {r.key: r for r in response.context["indicators"]}


def test_the_seeds_targets_ship_as_data_and_the_most_local_one_applies(regions):
    from dashboard.indicators import target_for

    assert IndicatorTarget.objects.count() >= 11
    assert target_for("nursing_beds", "610403001001").target == Decimal("60")  # 杨陵区 over 全国 55 %
    assert target_for("nursing_beds", "320602000000").target == Decimal("75")  # 南通
    assert target_for("nursing_beds", "500101000000").target == Decimal("55")  # 全国
    assert target_for("nursing_beds", "141002001001").target == Decimal("60")  # 山西
    assert target_for("carers_per_10k", "141002000000").target == Decimal("20")  # 临汾
    assert target_for("carers_per_10k", COUNTY) is None  # 杨陵区 has no carer target
    assert target_for("social_workers_per_1k", COUNTY).target == Decimal("1.2")


def test_assessment_coverage_of_the_80_plus(client, county_admin, assessor, regions, frozen):
    from tests.assessments import helpers as a
    from tests.conftest import make_staff
    from tests.factories import ElderFactory
    from regions import roles

    covered = ElderFactory(region=regions[VILLAGE], birth_date=dt.date(1940, 1, 1))
    ElderFactory(region=regions[VILLAGE], birth_date=dt.date(1941, 1, 1))
    ElderFactory(region=regions[VILLAGE], birth_date=dt.date(1960, 1, 1))  # under 80: not counted
    ElderFactory(region=regions[OTHER_COUNTY_VILLAGE], birth_date=dt.date(1940, 1, 1))  # elsewhere
    second = make_staff("assessor2", roles.ASSESSOR, COUNTY)
    a.approved(assessor, county_admin, covered, assessor, second)
    client.force_login(county_admin)
    row = _rows(client.get(reverse("dashboard:indicators")))["assessment_80"]
    assert (row.numerator, row.denominator, row.value) == (1, 2, 50.0)
    assert row.target is None  # the 100 % target is Nantong's


def test_nursing_beds_against_yanglings_target_with_gap(client, county_admin, regions, frozen):
    from tests.factories import BedFactory, FacilityFactory

    f = FacilityFactory(region=regions[VILLAGE])
    BedFactory.create_batch(1, facility=f, kind="nursing")
    BedFactory.create_batch(3, facility=f, kind="normal")
    client.force_login(county_admin)
    response = client.get(reverse("dashboard:indicators"))
    row = _rows(response)["nursing_beds"]
    assert (row.value, row.target, row.gap, row.met) == (25.0, Decimal("60"), 35.0, False)
    html = response.content.decode()
    assert 'data-testid="gap-nursing_beds">35.0<' in html and "未达标" in html


def test_tekun_facilities_per_county_and_graded_township_institutions(client, county_admin, officer, regions, frozen):
    from tests.factories import FacilityFactory, RatingFactory

    graded = FacilityFactory(region=regions[VILLAGE], kind="tekun", ownership="public")
    RatingFactory(facility=graded, level=1)
    FacilityFactory(region=regions[VILLAGE], kind="regional_centre", ownership="public")  # not graded
    FacilityFactory(region=regions[VILLAGE], kind="institution", ownership="private")  # not public
    client.force_login(county_admin)
    rows = _rows(client.get(reverse("dashboard:indicators")))
    assert rows["tekun_facilities"].value == 1.0
    assert (rows["graded_township"].numerator, rows["graded_township"].denominator, rows["graded_township"].value) == (1, 2, 50.0)
    client.force_login(officer)
    assert _rows(client.get(reverse("dashboard:indicators")))["tekun_facilities"].applicable is False


def test_social_workers_come_from_the_countys_entries_and_say_so(client, county_admin, regions, frozen):
    from tests.factories import ElderFactory

    ElderFactory.create_batch(4, region=regions[VILLAGE])
    client.force_login(county_admin)
    row = _rows(client.get(reverse("dashboard:indicators")))["social_workers_per_1k"]
    assert row.value is None and "尚未录入" in row.note and "县级管理员" in row.note
    WorkforceCount.objects.create(kind="social_workers", region=regions[COUNTY], as_of=dt.date(2026, 6, 30), count=1)
    WorkforceCount.objects.create(kind="social_workers", region=regions[TOWNSHIP], as_of=dt.date(2026, 6, 30), count=9)
    row = _rows(client.get(reverse("dashboard:indicators")))["social_workers_per_1k"]
    assert row.value == 250.0  # the county figure (1 per 4 elders), never added to its townships' figures
    assert (row.target, row.met) == (Decimal("1.2"), True)


def test_snapshot_is_idempotent_and_feeds_the_trend(client, county_admin, regions, frozen):
    from dashboard.services import snapshot_month
    from dashboard.tasks import nightly_snapshot
    from tests.factories import BedFactory, ElderFactory, FacilityFactory

    ElderFactory(region=regions[VILLAGE], birth_date=dt.date(1940, 1, 1))
    ElderFactory(region=regions[OTHER_COUNTY_VILLAGE], birth_date=dt.date(1940, 1, 1))
    BedFactory(facility=FacilityFactory(region=regions[VILLAGE]), kind="nursing")
    snapshot_month(period=dt.date(2026, 10, 1))
    assert nightly_snapshot.name == "dashboard.nightly_snapshot"  # the name beat's schedule (migration 0003) sends
    result = nightly_snapshot("2026-11-25")  # the task body, in-process (a real worker: test_snapshot_task_*)
    assert result["months"] == ["2026-11"] and not result["skipped"]
    first = sorted(MonthlyFigure.objects.values_list("period", "region_code", "metric", "value"))
    nightly_snapshot("2026-11-25")
    assert sorted(MonthlyFigure.objects.values_list("period", "region_code", "metric", "value")) == first
    assert (dt.date(2026, 10, 1), VILLAGE, "a80_elders", Decimal("1.00")) in first
    assert (dt.date(2026, 11, 1), VILLAGE, "beds_nursing", Decimal("1.00")) in first
    assert not any(p == dt.date(2026, 10, 1) and m.startswith("beds") for p, _, m, _ in first)  # no bed history
    client.force_login(county_admin)
    row = _rows(client.get(reverse("dashboard:indicators")))["assessment_80"]
    assert row.trend_labels == ["2026-10", "2026-11"] and row.trend_values == [0.0, 0.0]


def test_the_first_of_the_month_also_closes_last_month(regions, frozen):
    from dashboard.tasks import nightly_snapshot

    assert nightly_snapshot("2026-11-01")["months"] == ["2026-10", "2026-11"]


@pytest.mark.celery_worker
@pytest.mark.django_db(transaction=True)
def test_snapshot_task_runs_through_a_real_worker_when_a_broker_is_set(regions):
    from dashboard.tasks import nightly_snapshot
    from tests.celery_helpers import real_worker_if_broker
    from tests.factories import ElderFactory

    ElderFactory(region=regions[VILLAGE])
    with real_worker_if_broker():
        first = nightly_snapshot.delay("2026-11-25").get(timeout=120)
        second = nightly_snapshot.delay("2026-11-25").get(timeout=120)
    assert first["rows"] == second["rows"] > 0
    assert MonthlyFigure.objects.filter(period=dt.date(2026, 11, 1), region_code=VILLAGE, metric="elders_alive").get().value == 1


def test_the_snapshot_is_scheduled_nightly_after_the_sweep():
    from django_celery_beat.models import PeriodicTask

    task = PeriodicTask.objects.get(task="dashboard.nightly_snapshot")
    assert (task.crontab.hour, task.crontab.minute, str(task.crontab.timezone)) == ("3", "30", "Asia/Shanghai")


def test_the_target_is_editable_data_in_the_admin(client, superuser):
    client.force_login(superuser)
    target = IndicatorTarget.objects.get(indicator="visit_rate", jurisdiction_prefix="610403")
    response = client.get(reverse("admin:dashboard_indicatortarget_change", args=[target.pk]))
    assert response.status_code == 200 and "杨陵区" in response.content.decode()


def test_the_snapshot_command_fills_the_months_asked_for(regions, frozen):
    from io import StringIO

    from django.core.management import call_command

    from tests.factories import ElderFactory

    ElderFactory(region=regions[VILLAGE])
    out = StringIO()
    call_command("dashboard_snapshot", months=3, stdout=out)
    assert "2026-11" in out.getvalue() and "2026-09" in out.getvalue()
    assert sorted(set(MonthlyFigure.objects.values_list("period", flat=True))) == [
        dt.date(2026, 9, 1), dt.date(2026, 10, 1), dt.date(2026, 11, 1)]


def test_the_visit_rate_trend_ends_with_the_last_complete_month_once(client, officer, regions, frozen):
    from dashboard.services import snapshot_month
    from tests.factories import ElderFactory, make_follow_up, make_visit

    e = ElderFactory(region=regions[VILLAGE], living_arrangement="alone")
    visit = make_visit(e, due_on=dt.date(2026, 10, 31), status="done")
    frozen.move_to(dt.datetime(2026, 10, 20, 10, 0, tzinfo=dt.UTC))
    make_follow_up(visit, officer)  # recorded in October
    frozen.move_to(dt.datetime(2026, 11, 25, 2, 0, tzinfo=dt.UTC))
    for month in (dt.date(2026, 9, 1), dt.date(2026, 10, 1), dt.date(2026, 11, 1)):
        snapshot_month(period=month)
    client.force_login(officer)
    row = _rows(client.get(reverse("dashboard:indicators")))["visit_rate"]
    assert (row.numerator, row.denominator, row.value) == (1, 1, 100.0)
    assert row.trend_labels == ["2026-10"] and row.trend_values == [100.0]
