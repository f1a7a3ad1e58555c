"""A village worker records a visit on a phone-sized screen (390 px) and refers the elder for an
assessment; the referral waits on the township's follow-up list."""

from __future__ import annotations

import os
import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from tests.conftest import PASSWORD, VILLAGE
from tests.factories import ElderFactory, make_visit, make_visit_rule
from visits import rules
from visits.models import FollowUp, Visit, VisitRecord

pytestmark = pytest.mark.e2e

PHONE = {"width": 390, "height": 844}


def test_village_worker_records_a_visit_with_a_referral_on_a_phone(page, village_worker, regions, live_server):
    today = timezone.localdate()
    elder = ElderFactory(region=regions[VILLAGE], name="王秀兰", living_arrangement="alone", address="凤岗路12号")
    visit = make_visit(elder, make_visit_rule(), due_on=rules.month_end(today), starts_on=rules.month_start(today),
                       visitor=village_worker)
    page.set_viewport_size(PHONE)

    page.goto("/visits/")
    expect(page).to_have_url(re.compile(r"/accounts/login/\?next=/visits/$"))
    page.locator("#id_username").fill(village_worker.username)
    page.locator("#id_password").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()

    # my visits: the elder is on the list; tap the card
    expect(page).to_have_url(re.compile(r"/visits/$"))
    card = page.get_by_test_id(f"visit-{visit.pk}")
    expect(card).to_contain_text("王秀兰")
    card.click()

    # the form fits the phone: no sideways scrolling, big tap targets
    expect(page.get_by_role("heading", name="王秀兰")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    home = page.locator("label[for='id_mode_0']")
    box = home.bounding_box()
    assert box and box["height"] >= 44
    home.click()
    page.locator("label", has_text="老人本人").click()
    page.locator("label", has_text="患病/身体不适").click()
    page.locator("label", has_text="燃气").click()
    page.locator("label", has_text="适老化改造").first.click()
    page.locator("#id_notes").fill("咳嗽两周，燃气灶老化")
    page.get_by_test_id("field-risk_level").locator("label", has_text="高").click()
    page.locator("label", has_text="申请能力评估").click()
    page.locator("#id_referral_note").fill("近期行动不便，建议评估")
    if os.environ.get("VISITS_SCREENSHOT"):
        page.screenshot(path=os.environ["VISITS_SCREENSHOT"], full_page=True)
    page.get_by_test_id("save-visit").click()

    # back on my visits with a confirmation; the visit is done
    expect(page).to_have_url(re.compile(r"/visits/$"))
    expect(page.get_by_role("alert").first).to_contain_text("已登记 王秀兰 的探访，转介 1 项")
    expect(page.get_by_test_id(f"visit-{visit.pk}")).to_have_count(0)

    rec = VisitRecord.objects.get()
    assert (rec.mode, rec.risk_level, rec.people_present) == ("home", "high", ["self"])
    assert rec.checklists["health"] == ["ill"] and rec.checklists["safety"] == ["gas"]
    assert rec.checklists["needs"] == ["adaptation"]
    assert Visit.objects.get(pk=visit.pk).status == "done"
    fu = FollowUp.objects.get()
    assert (fu.kind, fu.status, fu.note) == ("assessment", "open", "近期行动不便，建议评估")
