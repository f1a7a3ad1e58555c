"""The public waitlist: applications, the order from the rules table, each applicant's position and why."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from facilities import selectors, services
from facilities.models import PriorityRule, WaitlistApplication
from tests.conftest import VILLAGE
from tests.factories import ElderFactory


@pytest.fixture
def applicants(regions):
    v = regions[VILLAGE]
    return {
        "normal_early": ElderFactory(region=v, name="普通甲", birth_date=dt.date(1955, 1, 1)),
        "dibao_disabled": ElderFactory(region=v, name="低保失能乙", economic_status="dibao", ability_level=3),
        "dibao_veteran": ElderFactory(region=v, name="低保优抚丙", economic_status="dibao", ability_level=2,
                                      veteran_category="martyr_family"),
        "tekun": ElderFactory(region=v, name="特困丁", economic_status="tekun_home"),
    }


def test_the_default_rules_are_loaded_as_data(db):
    assert list(PriorityRule.objects.values_list("tier", flat=True)) == [1, 2]
    assert PriorityRule.objects.get(tier=1).requires_centralised


def test_the_waitlist_orders_tekun_then_difficult_with_veterans_first_then_others(facility, officer, applicants):
    days = {"normal_early": 1, "dibao_disabled": 2, "dibao_veteran": 3, "tekun": 4}
    for key, day in days.items():
        services.waitlist_apply(actor=officer, facility=facility, elder=applicants[key], applied_on=dt.date(2026, 5, day))
    rows = selectors.waitlist(facility, today=dt.date(2026, 11, 25))
    assert [r.application.elder.name for r in rows] == ["特困丁", "低保优抚丙", "低保失能乙", "普通甲"]
    assert rows[1].reason.startswith("第2位（共4人）：属第2优先档") and "优抚对象" in rows[1].reason
    assert "不属于优先档" in rows[3].reason


def test_an_elder_waits_once_per_facility_and_admission_closes_the_application(facility, beds, officer, applicants):
    elder = applicants["tekun"]
    application = services.waitlist_apply(actor=officer, facility=facility, elder=elder, applied_on=dt.date(2026, 5, 1))
    with pytest.raises(ValidationError, match="已在本机构轮候中"):
        services.waitlist_apply(actor=officer, facility=facility, elder=elder, applied_on=dt.date(2026, 5, 2))
    services.admission_admit(actor=officer, bed=beds[0], elder=elder, admitted_on=dt.date(2026, 6, 1))
    application.refresh_from_db()
    assert application.status == "admitted" and application.closed_on == dt.date(2026, 6, 1)


def test_only_public_institutions_keep_a_waitlist(county_admin, regions, applicants):
    private = services.facility_create(actor=county_admin, data={
        "name": "民办康养院", "kind": "institution", "ownership": "private", "region": regions[VILLAGE]})
    with pytest.raises(ValidationError, match="公办"):
        services.waitlist_apply(actor=county_admin, facility=private, elder=applicants["tekun"], applied_on=dt.date(2026, 5, 1))
    assert not WaitlistApplication.objects.exists()


def test_withdrawing_leaves_the_waitlist(facility, officer, applicants, today):
    application = services.waitlist_apply(actor=officer, facility=facility, elder=applicants["tekun"], applied_on=dt.date(2026, 5, 1))
    services.waitlist_withdraw(actor=officer, application=application, on=today, note="本人放弃")
    assert selectors.waitlist(facility, today=today) == []
    with pytest.raises(ValidationError, match="不在轮候中"):
        services.waitlist_withdraw(actor=officer, application=application, on=today)


def test_the_waitlist_page_shows_each_position_and_why(client, facility, officer, applicants, today):
    for i, key in enumerate(["normal_early", "tekun"], start=1):
        services.waitlist_apply(actor=officer, facility=facility, elder=applicants[key], applied_on=dt.date(2026, 5, i))
    client.force_login(officer)
    html = client.get(reverse("facilities:waitlist", args=[facility.pk])).content.decode()
    assert html.index("特困丁") < html.index("普通甲")
    assert "第1位（共2人）：属第1优先档“特困人员申请集中供养”" in html
    assert applicants["tekun"].id_number not in html  # masked in the list


def test_applying_through_the_page_tells_the_position(client, facility, officer, applicants, today):
    client.force_login(officer)
    response = client.post(reverse("facilities:waitlist_apply", args=[facility.pk]), {
        "elder": applicants["dibao_disabled"].id_number, "applied_on": "2026-11-20", "wants_centralised": "on",
    }, follow=True)
    assert "第1位（共1人）：属第2优先档" in response.content.decode()


def test_attack_facility_manager_reads_the_full_id_from_the_admit_form_of_a_waitlist_application(
        client, facility, facility_manager, officer, applicants):
    """A facility manager has no full-ID rights: the admit form opened from the waitlist names the
    applicant with a masked ID instead of pre-filling the full number; an officer gets it pre-filled."""
    from tests.facilities.helpers import grant

    elder = applicants["tekun"]
    application = services.waitlist_apply(actor=officer, facility=facility, elder=elder, applied_on=dt.date(2026, 5, 1))
    grant(facility_manager, facility, "view_facility", "change_facility")
    url = reverse("facilities:admit", args=[facility.pk]) + f"?application={application.pk}"
    client.force_login(facility_manager)
    page = client.get(url)
    assert page.status_code == 200
    html = page.content.decode()
    assert elder.id_number not in html and elder.name in html and elder.masked_id_number in html
    client.force_login(officer)
    assert elder.id_number in client.get(url).content.decode()
