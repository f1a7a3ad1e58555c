"""A county administrator's afternoon in the browser: register a 敬老院, add beds, admit an elder,
print the bed labels (一人一床一码), discharge."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from facilities.models import Admission, Bed, Facility
from tests.conftest import PASSWORD, VILLAGE

pytestmark = pytest.mark.e2e


def test_county_admin_creates_a_facility_admits_prints_labels_and_discharges(page, county_admin, elder, regions):
    page.goto("/facilities/")
    page.locator("#id_username").fill(county_admin.username)
    page.locator("#id_password").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    expect(page).to_have_url(re.compile(r"/facilities/$"))

    # register the facility
    page.get_by_role("link", name="登记机构").click()
    page.locator("#id_name").fill("凤岗路社区敬老院")
    page.locator("#id_kind").select_option("tekun")
    page.locator("#id_ownership").select_option("public")
    page.locator("#id_region").select_option(str(regions[VILLAGE].pk))
    page.locator("#id_fire_approved").check()
    page.locator("#id_fire_approved_on").fill("2024-03-01")
    page.get_by_label("特困人员").check()
    page.get_by_role("button", name="保存").click()
    expect(page.get_by_role("heading", name="凤岗路社区敬老院")).to_be_visible()
    facility = Facility.objects.get(name="凤岗路社区敬老院")

    # two nursing beds in room 201
    page.get_by_role("link", name="添加床位").click()
    page.locator("#id_room").fill("201")
    page.locator("#id_count").fill("2")
    page.get_by_role("button", name="添加床位").click()
    expect(page.get_by_role("alert")).to_contain_text("已添加 2 张床位")
    expect(page.get_by_test_id("bed-counts")).to_have_text("共 2 张 · 在住 0 · 空闲 2")
    first, second = (f"F{facility.pk:04d}-201-01", f"F{facility.pk:04d}-201-02")

    # admit 王秀兰 to the first bed
    page.get_by_role("link", name="办理入住").click()
    page.locator("#id_elder").fill(elder.id_number)
    page.locator("#id_bed").select_option(str(Bed.objects.get(code=first).pk))
    page.locator("#id_admitted_on").fill("2026-11-20")
    page.get_by_role("button", name="确认入住").click()
    expect(page.get_by_role("alert")).to_contain_text(f"王秀兰 已入住床位 {first}")
    residents = page.get_by_test_id("residents")
    expect(residents).to_contain_text("王秀兰")
    expect(residents).to_contain_text(elder.masked_id_number)
    expect(page.get_by_test_id(f"bed-{first}")).to_contain_text("在住")

    # print the labels: each code as text and as a QR code
    page.get_by_role("link", name="打印床位码").click()
    labels = page.get_by_test_id("label")
    expect(labels).to_have_count(2)
    expect(page.get_by_test_id("label-code")).to_have_text([first, second])
    expect(labels.first.locator("svg")).to_be_visible()
    page.emulate_media(media="print")
    expect(page.locator("nav.navbar")).to_be_hidden()
    page.emulate_media(media="screen")
    page.get_by_role("link", name="返回").click()

    # discharge
    page.get_by_role("link", name="办理离开").click()
    page.locator("#id_discharged_on").fill("2026-11-24")
    page.locator("#id_reason").select_option("home")
    page.get_by_role("button", name="确认离开").click()
    expect(page.get_by_role("alert")).to_contain_text(f"王秀兰 已办理离开，床位 {first} 已空出")
    expect(page.get_by_test_id("residents")).to_contain_text("暂无在住老年人")
    expect(page.get_by_test_id("past")).to_contain_text("返回家庭")

    admission = Admission.objects.get()
    elder.refresh_from_db()
    assert admission.discharged_on is not None and elder.care_setting == "home"
    assert Bed.objects.get(code=first).status == "vacant"
