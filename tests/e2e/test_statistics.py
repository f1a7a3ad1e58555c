"""A county administrator opens 统计报表 in the browser: the charts draw (ECharts canvases, no
console errors), a click drills down to a township, and one click downloads the Excel export."""

from __future__ import annotations

import datetime as dt
import io
import re
from io import StringIO

import pytest
from django.core.management import call_command
from openpyxl import load_workbook
from playwright.sync_api import expect

from tests.conftest import OTHER_VILLAGE_SAME_TOWNSHIP, PASSWORD, TOWNSHIP, VILLAGE
from tests.factories import ElderFactory

pytestmark = pytest.mark.e2e


def test_county_admin_sees_charts_drills_down_and_exports(page, county_admin, regions):
    for code, sex, born, econ in ((VILLAGE, "F", dt.date(1940, 5, 1), "tekun_home"), (VILLAGE, "M", dt.date(1955, 2, 2), "normal"),
                                  (OTHER_VILLAGE_SAME_TOWNSHIP, "F", dt.date(1948, 8, 8), "dibao")):
        ElderFactory(region=regions[code], sex=sex, birth_date=born, economic_status=econ, living_arrangement="alone")
    call_command("dashboard_snapshot", stdout=StringIO())  # what the nightly task does
    page.goto("/statistics/")
    page.locator("#id_username").fill(county_admin.username)
    page.locator("#id_password").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    expect(page).to_have_url(re.compile(r"/statistics/$"))
    expect(page.get_by_test_id("total")).to_have_text("3")

    for chart in ("pyramid", "special", "economic", "ability", "living"):
        expect(page.get_by_test_id(f"chart-{chart}").locator("canvas").first).to_be_attached()
    assert page.evaluate("() => document.querySelectorAll('[data-chart] canvas').length") >= 5

    # drill down: the county's table lists townships; the township's lists its villages
    page.get_by_test_id(f"area-row-{TOWNSHIP}").get_by_role("link").click()
    expect(page.get_by_test_id("area-name")).to_have_text("杨陵街道")
    expect(page.get_by_test_id(f"area-row-{VILLAGE}")).to_contain_text("2")

    with page.expect_download() as download_info:
        page.get_by_test_id("export-areas").click()
    download = download_info.value
    assert download.suggested_filename.endswith(".xlsx")
    sheet = load_workbook(io.BytesIO(open(download.path(), "rb").read())).active
    assert sheet.freeze_panes == "A2"
    rows = {row[0]: row for row in sheet.iter_rows(min_row=2, values_only=True)}
    assert rows[VILLAGE][2] == 2 and rows[OTHER_VILLAGE_SAME_TOWNSHIP][2] == 1

    # the other statistics pages draw too
    page.get_by_role("link", name="指标与目标").click()
    expect(page.get_by_test_id("indicator-assessment_80")).to_be_visible()
    page.get_by_role("link", name="享受待遇与探访").click()
    expect(page.get_by_test_id("chart-visit-rate").locator("canvas").first).to_be_attached()
