"""统计报表: the numbers on the page equal counts taken independently on the fixtures, and every
figure stays inside the viewer's area (a village worker's charts count only their village)."""

from __future__ import annotations

import datetime as dt
import io
import json
import re

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from tests.conftest import COUNTY, NEIGHBOUR_TOWNSHIP, TOWNSHIP, VILLAGE

pytestmark = pytest.mark.django_db
TODAY = dt.date(2026, 11, 25)


def _alive(elders, prefix):
    return [e for e in elders if e.region_code.startswith(prefix) and e.deceased_on is None]


def _chart_data(response) -> dict:
    match = re.search(r'<script id="chart-data" type="application/json">(.*?)</script>', response.content.decode(), re.S)
    assert match, "the page embeds its chart data with json_script"
    return json.loads(match.group(1))


def _testid(response, testid: str) -> str:
    match = re.search(rf'data-testid="{re.escape(testid)}">([^<]*)<', response.content.decode())
    assert match, testid
    return match.group(1).strip()


def test_the_county_admin_sees_the_county_counted_by_age_sex_status_level_and_arrangement(
    client, county_admin, county_world, snapshot
):
    snapshot()
    client.force_login(county_admin)
    response = client.get(reverse("dashboard:statistics"))
    assert response.status_code == 200
    mine = _alive(county_world, COUNTY[:6])
    assert int(_testid(response, "total")) == len(mine) == 7
    stats = response.context["stats"]
    # independent counts, taken in Python on the fixture list
    for key, attr in (("economic", "economic_status"), ("living", "living_arrangement")):
        expected = {}
        for e in mine:
            expected[getattr(e, attr)] = expected.get(getattr(e, attr), 0) + 1
        assert {r["key"]: r["n"] for r in stats[key].rows if r["n"]} == expected
    assert {r["key"]: r["n"] for r in stats["ability"].rows if r["n"]} == {"3": 1, "1": 1, "none": 2, "4": 1, "2": 1, "0": 1}
    assert int(_testid(response, "economic-tekun_home")) == 1
    assert int(_testid(response, "aged-80")) == sum(1 for e in mine if e.age_on(TODAY) >= 80) == 4
    assert int(_testid(response, "tekun")) == 2
    pyramid = _chart_data(response)["pyramid"]
    assert sum(pyramid["male"]) == sum(1 for e in mine if e.sex == "M") == 3
    assert sum(pyramid["female"]) == sum(1 for e in mine if e.sex == "F") == 4
    assert pyramid["female"][pyramid["labels"].index("100岁及以上")] == 1
    assert pyramid["male"][pyramid["labels"].index("80–84岁")] == 1


def test_the_county_table_drills_down_from_townships_to_villages(client, county_admin, county_world, snapshot):
    snapshot()
    client.force_login(county_admin)
    rows = {r["code"]: r for r in client.get(reverse("dashboard:statistics")).context["table"]["rows"]}
    assert rows[TOWNSHIP]["total"] == 5 and rows[NEIGHBOUR_TOWNSHIP]["total"] == 2
    response = client.get(reverse("dashboard:statistics"), {"area": TOWNSHIP})
    assert _testid(response, "area-name") == "杨陵街道"
    villages = {r["code"]: r for r in response.context["table"]["rows"]}
    assert villages[VILLAGE]["total"] == 3 and villages[VILLAGE]["tekun"] == 1 and villages[VILLAGE]["alone"] == 1
    assert sum(r["total"] for r in villages.values()) == 5


def test_a_village_worker_charts_count_only_their_village(client, village_worker, county_world, snapshot):
    snapshot()
    client.force_login(village_worker)
    response = client.get(reverse("dashboard:statistics"))
    assert response.status_code == 200
    mine = _alive(county_world, VILLAGE)
    assert int(_testid(response, "total")) == len(mine) == 3
    data = _chart_data(response)
    assert sum(data["pyramid"]["male"]) + sum(data["pyramid"]["female"]) == 3
    assert sum(data["economic"]["values"]) == 3


def test_picking_an_area_outside_ones_own_shows_ones_own_area_only(client, officer, county_world, snapshot):
    snapshot()
    client.force_login(officer)
    response = client.get(reverse("dashboard:statistics"), {"area": NEIGHBOUR_TOWNSHIP})
    assert int(_testid(response, "total")) == len(_alive(county_world, TOWNSHIP[:9])) == 5


def test_before_the_first_snapshot_the_page_says_when_figures_come(client, village_worker, county_world, frozen):
    client.force_login(village_worker)
    response = client.get(reverse("dashboard:statistics"))
    assert response.status_code == 200 and 'data-testid="no-snapshot"' in response.content.decode()


def test_an_empty_area_says_so(client, village_worker, regions, snapshot):
    from tests.factories import ElderFactory

    ElderFactory(region=regions["141002001001"])
    snapshot()
    client.force_login(village_worker)
    response = client.get(reverse("dashboard:statistics"))
    assert "暂无在册老年人" in response.content.decode()


def test_the_figures_are_last_nights_until_the_next_snapshot(client, village_worker, county_world, snapshot, regions):
    from tests.factories import ElderFactory

    snapshot()
    ElderFactory(region=regions[VILLAGE])
    client.force_login(village_worker)
    response = client.get(reverse("dashboard:statistics"))
    assert int(_testid(response, "total")) == 3 and "统计快照数据，截至" in response.content.decode()
    snapshot()
    assert int(_testid(client.get(reverse("dashboard:statistics")), "total")) == 4


def test_enrolments_per_benefit_over_twelve_months(client, officer, regions, frozen):
    from tests import factories

    b = factories.benefit_with_tiers()
    e1, e2, far = factories.elder_with_account(), factories.elder_with_account(), factories.elder_with_account("141002001001")
    factories.enrol(e1, b, start=dt.date(2026, 1, 1), amount="100")
    factories.enrol(e2, b, start=dt.date(2026, 6, 1), end=dt.date(2026, 9, 1), status="ended", amount="200")
    factories.enrol(far, b, start=dt.date(2026, 1, 1))
    client.force_login(officer)
    response = client.get(reverse("dashboard:statistics_services"))
    enrol = response.context["enrolments"]
    assert enrol["labels"][0] == "2025-12" and enrol["labels"][-1] == "2026-11"
    (series,) = enrol["series"]
    by_month = dict(zip(enrol["labels"], series["counts"], strict=True))
    assert by_month["2025-12"] == 0 and by_month["2026-01"] == 1 and by_month["2026-07"] == 2
    assert by_month["2026-09"] == 2 and by_month["2026-10"] == 1
    amounts = dict(zip(enrol["labels"], series["amounts"], strict=True))
    assert amounts["2026-07"] == 300.0 and amounts["2026-11"] == 100.0
    assert _chart_data(response)["enrolments"]["series"][0]["values"] == series["counts"]


def test_visit_rate_over_twelve_months_follows_the_visits_definition(client, officer, regions, frozen):
    from tests.factories import ElderFactory, make_follow_up, make_visit

    visited = ElderFactory(region=regions[VILLAGE], living_arrangement="alone")
    missed = ElderFactory(region=regions[VILLAGE], living_arrangement="alone")
    make_follow_up(make_visit(visited, status="done"), officer)  # a record at "now" (November)
    make_visit(missed, rule=visited.visits.first().rule)
    client.force_login(officer)
    visits = client.get(reverse("dashboard:statistics_services")).context["visits"]
    assert visits["labels"][-1] == "2026-11"
    assert (visits["in_scope"][-1], visits["visited"][-1], visits["rates"][-1]) == (2, 1, 50.0)


def test_beds_count_nursing_share_and_occupancy(client, county_admin, regions, frozen):
    from tests.factories import BedFactory, FacilityFactory

    home = FacilityFactory(region=regions[VILLAGE])
    BedFactory.create_batch(3, facility=home, kind="nursing")
    BedFactory(facility=home, kind="normal", status="occupied")
    BedFactory(facility=FacilityFactory(region=regions["141002001001"]), kind="normal")  # other county
    client.force_login(county_admin)
    response = client.get(reverse("dashboard:statistics_beds"))
    assert int(_testid(response, "beds-total")) == 4
    assert _testid(response, "nursing-share") == "75.0"
    assert _testid(response, "occupancy") == "25.0"
    assert sum(sum(s["values"]) for s in _chart_data(response)["beds"]["series"]) == 4


def test_a_village_worker_is_not_shown_beds(client, village_worker, frozen):
    client.force_login(village_worker)
    response = client.get(reverse("dashboard:statistics_beds"))
    assert response.status_code == 200 and "不查看养老机构床位" in response.content.decode()


def test_export_is_a_formatted_workbook_of_the_same_numbers(client, county_admin, county_world, snapshot):
    snapshot()
    client.force_login(county_admin)
    response = client.get(reverse("dashboard:export"), {"table": "areas", "area": TOWNSHIP})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    # a Chinese file name the browser keeps: the table, the area and the day
    from urllib.parse import quote

    disposition = response["Content-Disposition"]
    assert disposition.startswith("attachment; filename*=utf-8''" + quote(f"分区域特殊困难老年人-{TOWNSHIP}-"))
    assert disposition.endswith(".xlsx")
    book = load_workbook(io.BytesIO(b"".join(response.streaming_content) if response.streaming else response.content))
    sheet = book.active
    assert sheet.freeze_panes == "A2"
    assert sheet.cell(1, 1).font.bold
    assert sheet.column_dimensions["C"].width >= 8
    rows = {row[0]: row for row in sheet.iter_rows(min_row=2, values_only=True)}
    assert rows[VILLAGE][2] == 3
    assert rows[None][1] == "合计" and rows[None][2] == 5


@pytest.mark.parametrize("table", ["elders", "areas", "enrolments", "visits", "beds", "indicators"])
def test_every_table_exports(client, county_admin, county_world, frozen, table):
    client.force_login(county_admin)
    response = client.get(reverse("dashboard:export"), {"table": table})
    assert response.status_code == 200
    assert load_workbook(io.BytesIO(response.content)).active.max_row >= 1


def test_export_of_a_table_the_role_may_not_see_is_not_found(client, village_worker, frozen):
    client.force_login(village_worker)
    assert client.get(reverse("dashboard:export"), {"table": "beds"}).status_code == 404
    assert client.get(reverse("dashboard:export"), {"table": "nonsense"}).status_code == 404


def test_the_workbook_writer_neutralises_formulas():
    from dashboard.exports import workbook

    content = workbook([("表", ["名称", "数值"], [["=HYPERLINK(\"http://x\")", 1], ["＋1", 2], ["@SUM(A1)", None]])])
    sheet = load_workbook(io.BytesIO(content)).active
    assert sheet.cell(2, 1).value == "'=HYPERLINK(\"http://x\")" and sheet.cell(2, 1).data_type == "s"
    assert sheet.cell(3, 1).value == "'＋1"
    assert sheet.cell(4, 1).value == "'@SUM(A1)"
    assert sheet.cell(2, 2).value == 1
