"""Monthly visit rate (distinct elders visited ÷ elders in scope) per village and township, the
lists, the Excel export and the 12-month chart."""

from __future__ import annotations

import datetime as dt
import io
import uuid

import pytest
from django.urls import reverse
from django.utils import timezone

from tests.conftest import NEIGHBOUR_VILLAGE, OTHER_COUNTY_VILLAGE, OTHER_VILLAGE_SAME_TOWNSHIP, VILLAGE
from tests.factories import ElderFactory, make_visit, make_visit_rule
from visits import exports, selectors
from visits.models import Visit, VisitRecord


D = dt.date
NOV = D(2026, 11, 1)
pytestmark = pytest.mark.usefixtures("frozen")


def record(visit, user, *, at=None, risk="low", mode="home", notes=""):
    at = at or timezone.make_aware(dt.datetime(2026, 11, 10, 9, 0))
    rec = VisitRecord.objects.create(visit=visit, elder=visit.elder, region_code=visit.region_code, recorded_by=user,
                                     visited_at=at, mode=mode, risk_level=risk, idempotency_key=uuid.uuid4(), notes=notes)
    Visit.objects.filter(pk=visit.pk).update(status="done")
    return rec


@pytest.fixture
def scene(regions, village_worker):
    """Our village: 3 elders in scope, 2 visited (one of them twice). The other village of our township:
    1 in scope, not visited. Next township: 1 in scope, visited. Another county: 1, visited."""
    rule = make_visit_rule()
    far_rule = make_visit_rule(code="LF", jurisdiction="141000000000")
    e = {k: ElderFactory(region=regions[code], name=k, living_arrangement="alone") for k, code in [
        ("a", VILLAGE), ("b", VILLAGE), ("c", VILLAGE), ("d", OTHER_VILLAGE_SAME_TOWNSHIP),
        ("n", NEIGHBOUR_VILLAGE), ("far", OTHER_COUNTY_VILLAGE), ("gone", VILLAGE)]}
    v = {k: make_visit(e[k], far_rule if k == "far" else rule, due_on=D(2026, 11, 30)) for k in e}
    Visit.objects.filter(pk=v["gone"].pk).update(status="cancelled")  # cancelled: not in scope
    record(v["a"], village_worker, risk="high", notes="=HYPERLINK(\"http://x\")")
    second = make_visit(e["a"], rule, due_on=D(2026, 11, 15))
    record(second, village_worker, at=timezone.make_aware(dt.datetime(2026, 11, 14, 9, 0)))
    record(v["b"], village_worker, mode="phone")
    record(v["n"], village_worker)
    record(v["far"], village_worker)
    # a visit recorded in October does not count for November
    oct_visit = make_visit(e["c"], rule, due_on=D(2026, 10, 31))
    record(oct_visit, village_worker, at=timezone.make_aware(dt.datetime(2026, 10, 20, 9, 0)))
    overdue = make_visit(e["d"], rule, due_on=D(2026, 10, 31), status="overdue")
    return {"elders": e, "visits": v, "overdue": overdue}


def test_the_visit_rate_counts_distinct_elders_per_village_and_township(superuser, scene):
    report = selectors.visit_rate_report(superuser, NOV)
    villages = {r.code: (r.in_scope, r.visited, r.rate) for r in report["villages"]}
    assert villages[VILLAGE] == (3, 2, 66.7)
    assert villages[OTHER_VILLAGE_SAME_TOWNSHIP] == (1, 0, 0.0)
    assert villages[NEIGHBOUR_VILLAGE] == (1, 1, 100.0)
    townships = {r.code: (r.in_scope, r.visited, r.rate) for r in report["townships"]}
    assert townships["610403001000"] == (4, 2, 50.0)
    assert townships["610403002000"] == (1, 1, 100.0)
    assert (report["total"].in_scope, report["total"].visited) == (6, 4)


def test_the_officer_sees_only_their_township_in_the_report(client, officer, scene):
    report = selectors.visit_rate_report(officer, NOV)
    assert [r.code for r in report["townships"]] == ["610403001000"]
    assert (report["total"].in_scope, report["total"].visited, report["total"].rate) == (4, 2, 50.0)
    client.force_login(officer)
    html = client.get(reverse("visits:report") + "?month=2026-11").content.decode()
    assert 'data-testid="total-rate">50.0%' in html
    assert "n" not in [r.name for r in report["villages"]]


def test_the_report_page_lists_overdue_high_risk_and_visitors_and_draws_12_bars(client, officer, scene, village_worker):
    client.force_login(officer)
    response = client.get(reverse("visits:report") + "?month=2026-11")
    html = response.content.decode()
    assert response.status_code == 200
    assert len(response.context["history"]) == 12 and response.context["history"][-1]["label"] == "2026-11"
    assert html.count('class="bar"') == 12
    assert response.context["history"][-2]["label"] == "2026-10"
    assert [v.pk for v in response.context["overdue"]] == [scene["overdue"].pk]
    assert [r.elder.name for r in response.context["high_risk"]] == ["a"]
    per = response.context["per_visitor"]
    assert per[0]["recorded_by__username"] == village_worker.username and per[0]["records"] == 3 and per[0]["elders"] == 2


def test_the_export_neutralises_formulas_and_is_logged(client, officer, scene):
    import openpyxl

    from audit.models import AuditEvent

    client.force_login(officer)
    response = client.get(reverse("visits:report_export") + "?month=2026-11")
    assert response.status_code == 200 and response["Content-Type"].startswith("application/vnd.openxmlformats")
    book = openpyxl.load_workbook(io.BytesIO(response.content))
    assert book.sheetnames == ["乡镇(街道)探访率", "村(社区)探访率", "逾期未访", "高风险", "探访人工作量"]
    town = list(book["乡镇(街道)探访率"].values)
    assert town[1][2:] == (4, 2, 50) and town[-1][1] == "合计"
    high = list(book["高风险"].values)
    assert high[1][5].startswith("'=HYPERLINK")
    assert "*" in high[1][1]  # masked ID number
    logged = AuditEvent.objects.get(event="visits.report_export", user=officer)
    assert logged.detail["rows"] == len(list(book["逾期未访"].values)) - 1 + len(high) - 1


@pytest.mark.parametrize("text", ["=1+1", "+1", "-1", "@SUM(A1)", "\tx", "\rx", "＝1"])
def test_the_neutraliser_escapes_every_formula_start(text):
    assert exports.neutralise(text) == "'" + text
    assert exports.neutralise("王秀兰") == "王秀兰" and exports.neutralise(5) == 5


def test_an_empty_month_has_no_rate_rather_than_zero(client, officer):
    client.force_login(officer)
    html = client.get(reverse("visits:report") + "?month=2020-01").content.decode()
    assert 'data-testid="total-rate">—' in html
