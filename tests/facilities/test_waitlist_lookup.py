"""登记轮候申请: the elder is looked up by ID number inside the clerk's scope (the same lookup as 办理入住),
and a number that is missing and one registered outside the area get the same answer (nothing leaks,
nothing is created)."""

from __future__ import annotations

import pytest
from django.urls import reverse

from facilities import services
from facilities.forms import WaitlistApplyForm
from facilities.models import WaitlistApplication
from tests.conftest import NEIGHBOUR_VILLAGE
from tests.factories import ElderFactory, FacilityFactory

from .helpers import grant

NOT_FOUND = services.ELDER_NOT_FOUND  # 未找到该老年人，或其不在您的管辖范围内
UNREGISTERED = "610403194612030000"  # well-formed, registered nowhere


def _apply(client, facility, number):
    return client.post(reverse("facilities:waitlist_apply", args=[facility.pk]), {
        "elder": number, "applied_on": "2026-11-20", "wants_centralised": "on"})


def test_a_township_officer_registers_an_elder_of_their_area(client, officer, facility, elder, today):
    client.force_login(officer)
    response = _apply(client, facility, elder.id_number.lower())
    assert response.status_code == 302
    application = WaitlistApplication.objects.get()
    assert application.elder == elder and application.facility == facility
    assert application.created_by == officer


@pytest.mark.parametrize("who", ["unregistered", "next_door", "other_county"])
def test_the_apply_page_answers_missing_and_out_of_area_alike(client, officer, facility, neighbour_elder,
                                                              far_elder, today, who):
    number = {"unregistered": UNREGISTERED, "next_door": neighbour_elder.id_number,
              "other_county": far_elder.id_number}[who]
    client.force_login(officer)
    response = _apply(client, facility, number)
    html = response.content.decode()
    assert response.status_code == 200 and NOT_FOUND in html
    assert neighbour_elder.name not in html and far_elder.name not in html  # no name leaks back
    assert not WaitlistApplication.objects.exists()


def test_the_form_gives_the_same_error_for_missing_and_out_of_area_numbers(officer, facility, neighbour_elder,
                                                                            far_elder):
    def errors(number):
        form = WaitlistApplyForm({"elder": number, "applied_on": "2026-11-20"}, facility=facility, user=officer)
        assert not form.is_valid()
        return form.errors["elder"]

    assert errors(UNREGISTERED) == errors(neighbour_elder.id_number) == errors(far_elder.id_number) == [NOT_FOUND]


def test_the_apply_form_without_a_user_fails_closed(facility, elder):
    form = WaitlistApplyForm({"elder": elder.id_number, "applied_on": "2026-11-20"}, facility=facility)
    assert not form.is_valid() and form.errors["elder"] == [NOT_FOUND]


def test_a_granted_manager_registers_a_county_elder_through_the_page(client, facility_manager, regions, today):
    facility = FacilityFactory(region=regions[NEIGHBOUR_VILLAGE], name="李台敬老院", kind="tekun", ownership="public")
    grant(facility_manager, facility)
    county_elder = ElderFactory(region=regions[NEIGHBOUR_VILLAGE])
    client.force_login(facility_manager)
    response = _apply(client, facility, county_elder.id_number)
    assert response.status_code == 302, response.content.decode()[-2000:]
    assert WaitlistApplication.objects.get().elder == county_elder
