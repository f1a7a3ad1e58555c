"""办理入住: the elder is looked up by ID number inside the clerk's scope, by the service, and a number
that is missing and one registered outside the area get the same answer (nothing leaks)."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from facilities import services
from facilities.forms import AdmitForm
from facilities.models import Admission
from regions import roles
from tests.conftest import NEIGHBOUR_VILLAGE, OTHER_COUNTY, OTHER_COUNTY_VILLAGE, make_staff
from tests.factories import BedFactory, ElderFactory, FacilityFactory

from .helpers import grant

NOT_FOUND = services.ELDER_NOT_FOUND
UNREGISTERED = "610403194612030000"  # well-formed, registered nowhere


def _answer(actor, facility, number):
    with pytest.raises(ValidationError) as caught:
        services.admission_elder_lookup(actor=actor, facility=facility, id_number=number)
    return caught.value.message_dict


def test_the_lookup_finds_an_elder_of_the_officers_area_however_the_number_is_typed(officer, facility, elder):
    typed = " ".join([elder.id_number[:6], elder.id_number[6:14], elder.id_number[14:]]).lower()
    assert services.admission_elder_lookup(actor=officer, facility=facility, id_number=typed) == elder


def test_a_missing_and_an_out_of_area_number_get_the_same_answer(officer, facility, neighbour_elder, far_elder):
    missing = _answer(officer, facility, UNREGISTERED)
    assert missing == {"elder": [NOT_FOUND]}
    assert _answer(officer, facility, neighbour_elder.id_number) == missing  # the township next door
    assert _answer(officer, facility, far_elder.id_number) == missing  # another county
    assert _answer(officer, facility, "") == missing


def test_a_user_without_an_area_finds_nobody(unassigned, facility, elder):
    assert _answer(unassigned, facility, elder.id_number) == {"elder": [NOT_FOUND]}
    assert _answer(None, facility, elder.id_number) == {"elder": [NOT_FOUND]}


def test_a_granted_manager_finds_elders_of_the_facilitys_county_only(facility_manager, regions):
    facility = FacilityFactory(region=regions[NEIGHBOUR_VILLAGE], name="李台养老院")
    grant(facility_manager, facility)
    county_elder = ElderFactory(region=regions[NEIGHBOUR_VILLAGE])
    far_elder = ElderFactory(region=regions[OTHER_COUNTY_VILLAGE])
    assert services.admission_elder_lookup(
        actor=facility_manager, facility=facility, id_number=county_elder.id_number) == county_elder
    assert _answer(facility_manager, facility, far_elder.id_number) == {"elder": [NOT_FOUND]}


def test_a_manager_from_elsewhere_reaches_the_county_only_through_the_grant(regions):
    manager = make_staff("manager_far", roles.FACILITY_MANAGER, OTHER_COUNTY)  # own area: another county
    granted = FacilityFactory(region=regions[NEIGHBOUR_VILLAGE], name="李台养老院")
    not_granted = FacilityFactory(region=regions[NEIGHBOUR_VILLAGE], name="未授权的养老院")
    grant(manager, granted)
    county_elder = ElderFactory(region=regions[NEIGHBOUR_VILLAGE])
    assert services.admission_elder_lookup(actor=manager, facility=granted, id_number=county_elder.id_number) \
        == county_elder
    assert _answer(manager, not_granted, county_elder.id_number) == {"elder": [NOT_FOUND]}


def test_the_admit_form_without_a_user_fails_closed(facility, beds, elder):
    form = AdmitForm({"elder": elder.id_number, "bed": beds[0].pk, "admitted_on": "2026-11-20"}, facility=facility)
    assert not form.is_valid() and form.errors["elder"] == [NOT_FOUND]


@pytest.mark.parametrize("who", ["unregistered", "next_door", "other_county"])
def test_the_admit_page_answers_missing_and_out_of_area_alike(client, officer, facility, beds, neighbour_elder,
                                                              far_elder, who):
    number = {"unregistered": UNREGISTERED, "next_door": neighbour_elder.id_number,
              "other_county": far_elder.id_number}[who]
    client.force_login(officer)
    response = client.post(reverse("facilities:admit", args=[facility.pk]), {
        "elder": number, "bed": beds[0].pk, "admitted_on": "2026-11-20"})
    html = response.content.decode()
    assert response.status_code == 200 and NOT_FOUND in html
    assert neighbour_elder.name not in html and far_elder.name not in html  # no name leaks back
    assert not Admission.objects.exists()


def test_the_admit_page_admits_an_elder_of_the_area(client, officer, facility, beds, elder, today):
    client.force_login(officer)
    response = client.post(reverse("facilities:admit", args=[facility.pk]), {
        "elder": elder.id_number.lower(), "bed": beds[0].pk, "admitted_on": "2026-11-20"})
    assert response.status_code == 302
    assert Admission.objects.get().elder == elder


def test_a_granted_manager_admits_a_county_elder_through_the_page(client, facility_manager, regions, today):
    facility = FacilityFactory(region=regions[NEIGHBOUR_VILLAGE], name="李台养老院")
    grant(facility_manager, facility)
    bed = BedFactory(facility=facility)
    county_elder = ElderFactory(region=regions[NEIGHBOUR_VILLAGE])
    client.force_login(facility_manager)
    response = client.post(reverse("facilities:admit", args=[facility.pk]), {
        "elder": county_elder.id_number, "bed": bed.pk, "admitted_on": "2026-11-20"})
    assert response.status_code == 302, response.content.decode()[-2000:]
    assert Admission.objects.get().elder == county_elder
