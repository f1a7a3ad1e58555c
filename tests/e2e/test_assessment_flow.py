"""An assessment in the browser: an assessor fills in the whole GB/T 42195-2022 form on a tablet-sized
screen and submits it; a county administrator (a different user) approves it; the elder's level follows."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from playwright.sync_api import expect

from assessments.forms import item_field_name
from regions import roles
from tests.assessments.helpers import answers_for_total
from tests.conftest import COUNTY, PASSWORD, VILLAGE, make_staff
from tests.factories import ElderFactory

pytestmark = pytest.mark.e2e


def log_in(page, user, next_url):
    page.goto(next_url)
    page.locator("#id_username").fill(user.username)
    page.locator("#id_password").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()


def log_out(page):
    toggler = page.locator(".navbar-toggler")
    if toggler.is_visible():  # the menu is folded on a tablet
        toggler.click()
    page.get_by_test_id("user-menu").click()
    page.get_by_role("button", name="退出登录").click()


def test_assessor_fills_the_form_and_a_county_admin_approves_it(page, assessor, county_admin, regions):
    second = make_staff("assessor2", roles.ASSESSOR, COUNTY, first_name="李评估")
    elder = ElderFactory(region=regions[VILLAGE], name="王秀兰", sex="F", birth_date=dt.date(1946, 12, 3))
    page.set_viewport_size({"width": 768, "height": 1024})  # a tablet held upright

    # the assessor finds the elder on the due list
    log_in(page, assessor, "/assessments/")
    expect(page).to_have_url(re.compile(r"/assessments/$"))
    row = page.get_by_test_id("due-table").locator("tr", has_text="王秀兰")
    expect(row).to_contain_text("未评估")
    row.get_by_role("link", name="开始评估").click()
    expect(page.get_by_role("heading", name="新建能力评估")).to_be_visible()

    # section A
    page.locator("#id_place").fill("老人家中")
    page.locator("#id_assessor_2").select_option(label="李评估")
    page.locator("#id_informant_name").fill("王小明")
    page.locator("#id_informant_relation").fill("儿子")
    page.locator("#id_diagnoses").fill("F03")

    # section B: every one of the 26 items, with the running sub-totals following
    answers = answers_for_total(70)
    for code, score in answers.items():
        page.locator(f'label[for="{item_field_name(code)}_{score}"]').click()
    expect(page.get_by_test_id("subtotal-B.1")).to_have_text("32")
    expect(page.get_by_test_id("subtotal-B.4")).to_have_text(str(sum(v for k, v in answers.items() if k.startswith("B.4"))))
    expect(page.get_by_test_id("total")).to_have_text("70")
    expect(page.get_by_test_id("preliminary-level")).to_have_text("轻度失能")
    page.get_by_role("button", name="保存评估").click()

    # the draft: 70 points, 轻度 raised one level for the dementia diagnosis
    expect(page.get_by_test_id("status")).to_have_text("草稿")
    expect(page.get_by_test_id("total-score")).to_have_text("70 分")
    expect(page.get_by_test_id("final-level")).to_have_text("中度失能")
    page.get_by_role("button", name="提交审核").click()
    expect(page.get_by_test_id("status")).to_have_text("待审核")
    expect(page.get_by_role("button", name="审核通过")).to_have_count(0)  # assessors cannot approve
    # action buttons answer on their own URL (like the import pages): go back through the detail URL
    from assessments.models import Assessment

    detail_url = f"/assessments/{Assessment.objects.get(elder=elder).pk}/"
    log_out(page)

    # a different user with the approve permission approves it
    log_in(page, county_admin, detail_url)
    expect(page.get_by_test_id("status")).to_have_text("待审核")
    page.get_by_role("button", name="审核通过").click()
    expect(page.get_by_test_id("status")).to_have_text("已审核")
    expect(page.get_by_role("alert").first).to_contain_text("已审核通过：最终等级 中度失能")

    # the elder's page shows the new level and the assessment history
    page.goto(f"/elders/{elder.pk}/")
    expect(page.locator("body")).to_contain_text("中度失能")
    expect(page.get_by_test_id("elder-assessments")).to_contain_text("已审核")

    elder.refresh_from_db()
    assert elder.ability_level == 2
    assert second.pk  # the second assessor signed it
