"""The Django admin for county administrators: same scoping, no privilege escalation."""

from __future__ import annotations

import json

from django.contrib.auth.models import Group
from django.urls import reverse

from eligibility.models import Elder
from regions import roles
from regions.models import Region, StaffAssignment
from tests.conftest import COUNTY, VILLAGE, make_staff


def test_county_admin_sees_only_their_county_in_the_elder_changelist(client, county_admin, elder, far_elder):
    client.force_login(county_admin)
    response = client.get(reverse("admin:eligibility_elder_changelist"))
    assert response.status_code == 200
    html = response.content.decode()
    assert elder.name in html and far_elder.name not in html


def test_other_county_elder_is_not_found_in_the_admin(client, county_admin, far_elder):
    client.force_login(county_admin)
    response = client.get(reverse("admin:eligibility_elder_change", args=[far_elder.pk]))
    # Outside the area is "not found", as in the staff portal (404, the same answer as a missing row).
    assert response.status_code == 404
    assert far_elder.name not in response.content.decode()


def test_region_autocomplete_offers_only_villages_in_the_area(client, county_admin):
    client.force_login(county_admin)
    response = client.get(
        reverse("admin:autocomplete"),
        {"app_label": "eligibility", "model_name": "elder", "field_name": "region", "term": "社区"},
    )
    assert response.status_code == 200
    codes = [Region.objects.get(pk=r["id"]).code for r in json.loads(response.content)["results"]]
    assert codes and all(code.startswith("610403") for code in codes)


def test_admin_elder_form_applies_the_id_rules(client, county_admin, regions):
    client.force_login(county_admin)
    response = client.post(
        reverse("admin:eligibility_elder_add"),
        {
            "id_number": "610403195001011235", "name": "张三", "region": regions[VILLAGE].pk,
            "economic_status": "normal", "living_arrangement": "other", "hukou_type": "rural",
            "care_setting": "home", "local_hukou": "on",
        },
    )
    assert response.status_code == 200
    assert "校验位不正确" in response.content.decode()
    assert not Elder.objects.filter(name="张三").exists()


def test_county_admin_cannot_grant_superuser_or_raw_permissions(client, county_admin, officer):
    client.force_login(county_admin)
    response = client.get(reverse("admin:auth_user_change", args=[officer.pk]))
    assert response.status_code == 200
    html = response.content.decode()
    assert 'name="is_superuser"' not in html
    assert 'name="user_permissions"' not in html


def test_county_admin_cannot_see_users_outside_their_county(client, county_admin, regions):
    outsider = make_staff("linfen_officer", roles.TOWNSHIP_OFFICER, "141002001000")
    client.force_login(county_admin)
    response = client.get(reverse("admin:auth_user_changelist"))
    assert "linfen_officer" not in response.content.decode()
    assert client.get(reverse("admin:auth_user_change", args=[outsider.pk])).status_code == 302


def test_assignment_made_in_the_admin_gives_the_role_group(client, superuser, unassigned, regions):
    client.force_login(superuser)
    role = Group.objects.get(name=roles.VILLAGE_WORKER)
    response = client.post(
        reverse("admin:regions_staffassignment_add"),
        {"user": unassigned.pk, "region": regions[COUNTY].pk, "role": role.pk},
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    assert StaffAssignment.objects.filter(user=unassigned).exists()
    assert unassigned.groups.filter(name=roles.VILLAGE_WORKER).exists()
