"""Who sees which facility: area staff by their area, facility managers by guardian grants only —
and the guardian admin pages, which only county administrators may use."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from guardian.shortcuts import get_perms

from audit.models import AuditEvent
from facilities import selectors, services
from facilities.models import Facility
from regions import roles
from tests.conftest import NEIGHBOUR_VILLAGE, OTHER_COUNTY_VILLAGE, VILLAGE, make_staff
from tests.factories import BedFactory, ElderFactory, FacilityFactory

from .helpers import grant


@pytest.fixture
def three(regions):
    return {
        "ours": FacilityFactory(region=regions[VILLAGE], name="我们的敬老院"),
        "next_door": FacilityFactory(region=regions[NEIGHBOUR_VILLAGE], name="李台养老院"),
        "far": FacilityFactory(region=regions[OTHER_COUNTY_VILLAGE], name="尧都养老院"),
    }


def names(qs):
    return sorted(qs.values_list("name", flat=True))


def test_area_staff_see_their_area(three, officer, county_admin, auditor, superuser):
    assert names(selectors.facilities_for(officer)) == ["我们的敬老院"]
    assert names(selectors.facilities_for(county_admin)) == ["我们的敬老院", "李台养老院"]
    assert names(selectors.facilities_for(auditor)) == ["我们的敬老院", "李台养老院"]
    assert len(selectors.facilities_for(superuser)) == 3


def test_a_manager_sees_only_granted_facilities_whatever_their_area(three, facility_manager):
    # the persona is assigned the whole county, yet without a grant sees nothing
    assert names(selectors.facilities_for(facility_manager)) == []
    grant(facility_manager, three["next_door"])
    assert names(selectors.facilities_for(facility_manager)) == ["李台养老院"]
    assert names(selectors.facilities_for(facility_manager, write=True)) == ["李台养老院"]


def test_a_view_only_grant_does_not_let_a_manager_change_anything(client, three, facility_manager):
    grant(facility_manager, three["ours"], "view_facility")
    client.force_login(facility_manager)
    assert client.get(reverse("facilities:facility_detail", args=[three["ours"].pk])).status_code == 200
    for name in ("facility_update", "bed_create", "admit", "waitlist_apply"):
        assert client.get(reverse(f"facilities:{name}", args=[three["ours"].pk])).status_code == 403, name


def test_an_inactive_manager_sees_nothing_though_guardian_still_holds_the_grant(three, facility_manager):
    grant(facility_manager, three["ours"])
    facility_manager.is_active = False
    facility_manager.save()
    from guardian.shortcuts import get_objects_for_user

    # the trap: guardian's get_objects_for_user still answers for an inactive user
    assert three["ours"] in get_objects_for_user(facility_manager, "facilities.change_facility", accept_global_perms=False)
    assert not selectors.facilities_for(facility_manager).exists()


def test_a_manager_manages_beds_and_residents_of_their_facility_only(client, three, facility_manager, regions):
    grant(facility_manager, three["ours"])
    theirs_bed = BedFactory(facility=three["next_door"])
    client.force_login(facility_manager)
    assert client.get(reverse("facilities:bed_create", args=[three["ours"].pk])).status_code == 200
    assert client.get(reverse("facilities:bed_create", args=[three["next_door"].pk])).status_code == 404
    assert client.get(reverse("facilities:bed_status", args=[theirs_bed.pk])).status_code == 404
    html = client.get(reverse("facilities:facility_list")).content.decode()
    assert "我们的敬老院" in html and "李台养老院" not in html


def test_a_manager_admits_elders_of_the_facilitys_county_not_of_another(three, facility_manager, regions):
    grant(facility_manager, three["ours"])
    bed = BedFactory(facility=three["ours"])
    county_elder = ElderFactory(region=regions[NEIGHBOUR_VILLAGE])
    far_elder = ElderFactory(region=regions[OTHER_COUNTY_VILLAGE])
    with pytest.raises(Exception, match="不在您的管辖范围内"):
        services.admission_admit(actor=facility_manager, bed=bed, elder=far_elder, admitted_on=dt.date(2026, 11, 1))
    services.admission_admit(actor=facility_manager, bed=bed, elder=county_elder, admitted_on=dt.date(2026, 11, 1))


def test_a_manager_cannot_move_their_facility_to_another_division(three, facility_manager, regions):
    grant(facility_manager, three["ours"])
    with pytest.raises(Exception, match="不能修改机构所在区划"):
        services.facility_update(actor=facility_manager, facility=three["ours"], data={"region": regions[NEIGHBOUR_VILLAGE]})


# --- the guardian admin pages ------------------------------------------------------------------


def perms_url(facility, user=None):
    if user is None:
        return reverse("admin:facilities_facility_permissions", args=[facility.pk])
    return reverse("admin:facilities_facility_permissions_manage_user", args=[facility.pk, user.pk])


def test_a_county_admin_grants_a_manager_their_facility_in_the_admin(client, three, county_admin, facility_manager):
    client.force_login(county_admin)
    assert client.get(perms_url(three["ours"])).status_code == 200
    response = client.post(perms_url(three["ours"]), {"user": facility_manager.username, "submit_manage_user": "1"})
    assert response.status_code == 302 and response["Location"].endswith(perms_url(three["ours"], facility_manager))
    response = client.post(perms_url(three["ours"], facility_manager), {"permissions": ["view_facility", "change_facility"]})
    assert response.status_code == 302
    assert set(get_perms(facility_manager, three["ours"])) == {"view_facility", "change_facility"}
    assert AuditEvent.objects.filter(event="facilities.manager_grant", object_id=str(three["ours"].pk)).exists()
    assert names(selectors.facilities_for(facility_manager)) == ["我们的敬老院"]


def test_only_view_and_change_can_be_granted(client, three, county_admin, facility_manager):
    client.force_login(county_admin)
    client.post(perms_url(three["ours"], facility_manager), {"permissions": ["delete_facility", "change_facility"]})
    assert get_perms(facility_manager, three["ours"]) == []  # an invalid choice saves nothing


def test_staff_who_may_change_facilities_cannot_grant_themselves(client, three, regions):
    clerk = make_staff("staff_officer", roles.TOWNSHIP_OFFICER, VILLAGE, is_staff=True)
    from django.contrib.auth.models import Permission

    clerk.user_permissions.add(Permission.objects.get(codename="change_facility"))
    clerk = type(clerk).objects.get(pk=clerk.pk)
    client.force_login(clerk)
    assert client.get(perms_url(three["ours"])).status_code == 403
    assert client.post(perms_url(three["ours"], clerk), {"permissions": ["change_facility"]}).status_code == 403
    assert get_perms(clerk, three["ours"]) == []


def test_a_county_admin_cannot_grant_themselves_or_a_non_manager_or_a_group(client, three, county_admin, officer):
    client.force_login(county_admin)
    assert client.post(perms_url(three["ours"], county_admin), {"permissions": ["change_facility"]}).status_code == 403
    assert client.post(perms_url(three["ours"], officer), {"permissions": ["change_facility"]}).status_code == 403
    response = client.post(perms_url(three["ours"]), {"user": officer.username, "submit_manage_user": "1"})
    assert response.status_code == 200 and "只能授权给具有“机构管理员”角色的在用账号" in response.content.decode()
    from django.contrib.auth.models import Group

    group = Group.objects.get(name=roles.FACILITY_MANAGER)
    url = reverse("admin:facilities_facility_permissions_manage_group", args=[three["ours"].pk, group.pk])
    assert client.post(url, {"permissions": ["change_facility"]}).status_code == 403
    assert get_perms(county_admin, three["ours"]) == [] and get_perms(officer, three["ours"]) == []


def test_a_county_admin_cannot_open_the_permissions_of_a_facility_outside_the_county(client, three, county_admin):
    client.force_login(county_admin)
    assert client.get(perms_url(three["far"])).status_code == 404


def test_a_staff_manager_sees_no_facility_in_the_admin(client, three, regions):
    manager = make_staff("staff_manager", roles.FACILITY_MANAGER, VILLAGE, is_staff=True)
    grant(manager, three["ours"])
    client.force_login(manager)
    assert client.get(reverse("admin:facilities_facility_changelist")).status_code == 403
    assert client.get(reverse("admin:facilities_facility_change", args=[three["ours"].pk])).status_code in (302, 403)
    assert Facility.objects.count() == 3
