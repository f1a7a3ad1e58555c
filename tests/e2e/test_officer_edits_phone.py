"""A township officer's day in the browser: log in, see only their own elders, correct a phone number."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from playwright.sync_api import expect

from tests.conftest import NEIGHBOUR_VILLAGE, OTHER_COUNTY_VILLAGE, OTHER_VILLAGE_SAME_TOWNSHIP, PASSWORD, VILLAGE
from tests.factories import ElderFactory

pytestmark = pytest.mark.e2e

OLD_PHONE = "13812341234"
NEW_PHONE = "13998765432"


@pytest.fixture
def elders(regions):
    """Two elders in our township (杨陵街道), one next door (李台街道), one in another county."""
    return {
        "ours": ElderFactory(
            region=regions[VILLAGE], name="王秀兰", sex="F", birth_date=dt.date(1946, 12, 3), phone=OLD_PHONE
        ),
        "ours_too": ElderFactory(
            region=regions[OTHER_VILLAGE_SAME_TOWNSHIP], name="张桂芳", sex="F", birth_date=dt.date(1952, 4, 9)
        ),
        "neighbour": ElderFactory(
            region=regions[NEIGHBOUR_VILLAGE], name="李建国", sex="M", birth_date=dt.date(1950, 1, 1)
        ),
        "far": ElderFactory(
            region=regions[OTHER_COUNTY_VILLAGE], name="赵德胜", sex="M", birth_date=dt.date(1940, 6, 1)
        ),
    }


def test_officer_sees_own_township_and_edits_phone(page, officer, elders):
    # log in through the real login page
    page.goto("/elders/")
    expect(page).to_have_url(re.compile(r"/accounts/login/\?next=/elders/$"))
    page.locator("#id_username").fill(officer.username)
    page.locator("#id_password").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()

    # the ?next= brings the officer back to the elder list, logged in
    expect(page).to_have_url(re.compile(r"/elders/$"))
    expect(page.get_by_test_id("user-menu")).to_have_text(officer.username)

    # only our township's elders
    table = page.locator("table.table-elders tbody")
    expect(page.get_by_test_id("total-count")).to_have_text("共 2 人")
    expect(table.get_by_role("link", name="王秀兰")).to_be_visible()
    expect(table.get_by_role("link", name="张桂芳")).to_be_visible()
    expect(table.locator("tr")).to_have_count(2)
    body = page.locator("body")
    expect(body).not_to_contain_text("李建国")
    expect(body).not_to_contain_text("赵德胜")

    # open one elder and change the phone number
    table.get_by_role("link", name="王秀兰").click()
    expect(page.get_by_role("heading", name="王秀兰")).to_be_visible()
    expect(page.get_by_test_id("phone")).to_have_text(OLD_PHONE)
    page.get_by_role("link", name="修改信息").click()

    expect(page.get_by_role("heading", name="修改老年人信息")).to_be_visible()
    phone = page.locator("#id_phone")
    expect(phone).to_have_value(OLD_PHONE)
    phone.fill(NEW_PHONE)
    page.get_by_role("button", name="保存").click()

    # back on the detail page: the new number, and the change in the history
    expect(page).to_have_url(re.compile(rf"/elders/{elders['ours'].pk}/$"))
    expect(page.get_by_role("alert")).to_contain_text("已保存修改")
    expect(page.get_by_test_id("phone")).to_have_text(NEW_PHONE)
    history = page.get_by_test_id("history")
    change = history.locator(".history-change", has_text="联系电话")
    expect(change).to_have_count(1)
    expect(change.locator("del")).to_have_text(OLD_PHONE)
    expect(change.locator("ins")).to_have_text(NEW_PHONE)
    expect(history.locator("li").first).to_contain_text(officer.username)

    # and the database agrees
    elders["ours"].refresh_from_db()
    assert elders["ours"].phone == NEW_PHONE
