"""Issue 14, finding 7: waitlist priority rules are per area, and facility-manager grants stay inside
the granter's area. Each test replays an attack made against the admin."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from guardian.shortcuts import get_perms

from audit.models import AuditEvent
from facilities import selectors, services
from facilities.models import PriorityRule
from regions import roles
from regions.models import Region
from tests.conftest import COUNTY, OTHER_COUNTY, OTHER_COUNTY_VILLAGE, VILLAGE, make_staff
from tests.factories import ElderFactory, FacilityFactory


def rule_form(rule=None, **over):
    data = {
        "jurisdiction": rule.jurisdiction_id if rule and rule.jurisdiction_id else "",
        "tier": rule.tier if rule else 2, "name": rule.name if rule else "本县第2档",
        "economic_statuses": '["dibao"]', "conditions": "[]", "min_age": "80", "active": "on", "source": "",
    }
    data.update(over)
    return data


@pytest.fixture
def linfen_admin(regions):
    return make_staff("linfen_admin", roles.COUNTY_ADMIN, OTHER_COUNTY, is_staff=True)


@pytest.fixture
def yangling_rule(regions):
    return PriorityRule.objects.create(
        jurisdiction=regions[COUNTY], tier=2, name="杨陵区第2档：低保老人", economic_statuses=["dibao"],
    )


def change_url(rule):
    return reverse("admin:facilities_priorityrule_change", args=[rule.pk])


def test_attack_priority_rule_edit_by_other_county(client, linfen_admin, yangling_rule):
    client.force_login(linfen_admin)
    assert client.get(change_url(yangling_rule)).status_code == 404
    response = client.post(change_url(yangling_rule), rule_form(yangling_rule, name="改掉", active=""))
    assert response.status_code == 404
    # no delete permission for county administrators: refused before the area is even looked at
    assert client.post(reverse("admin:facilities_priorityrule_delete", args=[yangling_rule.pk]),
                       {"post": "yes"}).status_code == 403
    yangling_rule.refresh_from_db()
    assert yangling_rule.name == "杨陵区第2档：低保老人" and yangling_rule.active
    html = client.get(reverse("admin:facilities_priorityrule_changelist")).content.decode()
    assert "杨陵区第2档" not in html


def test_attack_county_admin_edits_the_shared_default_rules(client, county_admin, regions):
    default = PriorityRule.objects.get(region_code="", tier=1)
    client.force_login(county_admin)
    assert client.get(change_url(default)).status_code == 200  # readable…
    response = client.post(change_url(default), rule_form(default, name="改掉", active=""))
    assert response.status_code == 403  # …never changed by one county
    assert client.post(reverse("admin:facilities_priorityrule_delete", args=[default.pk]), {"post": "yes"}).status_code == 403
    client.post(reverse("admin:facilities_priorityrule_changelist"),
                {"action": "delete_selected", "_selected_action": [default.pk], "post": "yes"})
    default.refresh_from_db()
    assert default.name == "特困人员申请集中供养" and default.active


def test_attack_county_admin_adds_a_rule_for_another_county_or_the_defaults(client, county_admin, regions):
    client.force_login(county_admin)
    add = reverse("admin:facilities_priorityrule_add")
    for jurisdiction in (regions[OTHER_COUNTY].pk, ""):
        response = client.post(add, rule_form(jurisdiction=jurisdiction, tier=3, name="越权规则"))
        assert response.status_code == 200
    assert not PriorityRule.objects.filter(name="越权规则").exists()


def test_a_county_admin_adds_their_county_rule_and_it_is_audited(client, county_admin, regions):
    client.force_login(county_admin)
    response = client.post(reverse("admin:facilities_priorityrule_add"),
                           rule_form(jurisdiction=regions[COUNTY].pk, tier=1, name="杨陵区第1档"))
    assert response.status_code == 302, response.content.decode()[:3000]
    rule = PriorityRule.objects.get(name="杨陵区第1档")
    assert rule.region_code == COUNTY
    assert AuditEvent.objects.filter(event="facilities.priority_rule_add", object_id=str(rule.pk)).exists()
    # the same tier twice in one county: a clear message, not a database error
    response = client.post(reverse("admin:facilities_priorityrule_add"),
                           rule_form(jurisdiction=regions[COUNTY].pk, tier=1, name="重复"))
    assert response.status_code == 200 and "已有第1档规则" in response.content.decode()


def test_a_county_rule_orders_only_that_countys_waitlist(county_admin, regions):
    """杨陵区 replaces default tier 2 by "低保 only" and switches tier 1 off; 尧都区 keeps the defaults."""
    PriorityRule.objects.create(jurisdiction=regions[COUNTY], tier=2, name="杨陵区：低保", economic_statuses=["dibao"])
    PriorityRule.objects.create(jurisdiction=regions[COUNTY], tier=1, name="杨陵区：停用", active=False)
    linfen_admin = make_staff("linfen_admin2", roles.COUNTY_ADMIN, OTHER_COUNTY)
    today = dt.date(2026, 11, 25)
    orders = {}
    for code, actor in ((VILLAGE, county_admin), (OTHER_COUNTY_VILLAGE, linfen_admin)):
        facility = FacilityFactory(region=regions[code], ownership="public", kind="tekun")
        tekun = ElderFactory(region=regions[code], name=f"特困{code}", economic_status="tekun_home")
        dibao = ElderFactory(region=regions[code], name=f"低保{code}", economic_status="dibao")
        services.waitlist_apply(actor=actor, facility=facility, elder=tekun, applied_on=dt.date(2026, 5, 1),
                                wants_centralised=True)
        services.waitlist_apply(actor=actor, facility=facility, elder=dibao, applied_on=dt.date(2026, 5, 2))
        orders[code] = [row.application.elder.economic_status for row in selectors.waitlist(facility, today=today)]
    assert orders[VILLAGE] == ["dibao", "tekun_home"]  # the county's own rules
    assert orders[OTHER_COUNTY_VILLAGE] == ["tekun_home", "dibao"]  # the defaults, as before
    assert [r.name for r in selectors.effective_priority_rules(OTHER_COUNTY_VILLAGE)] == [
        "特困人员申请集中供养", "经济困难的失能、残疾、空巢、独居、留守、高龄或计生特殊家庭老年人"]


def test_attack_facility_grant_to_other_county_manager(client, county_admin, regions):
    ours = FacilityFactory(region=regions[VILLAGE], name="我们的敬老院")
    foreign_manager = make_staff("linfen_manager", roles.FACILITY_MANAGER, OTHER_COUNTY_VILLAGE)
    client.force_login(county_admin)
    perms = reverse("admin:facilities_facility_permissions", args=[ours.pk])
    response = client.post(perms, {"user": foreign_manager.username, "submit_manage_user": "1"})
    assert response.status_code == 200 and "只能授权给在您辖区内任职的机构管理员" in response.content.decode()
    url = reverse("admin:facilities_facility_permissions_manage_user", args=[ours.pk, foreign_manager.pk])
    assert client.post(url, {"permissions": ["view_facility", "change_facility"]}).status_code == 403
    assert get_perms(foreign_manager, ours) == []


def test_attack_facility_grant_on_a_foreign_facility(client, county_admin, facility_manager, regions):
    far = FacilityFactory(region=regions[OTHER_COUNTY_VILLAGE], name="尧都养老院")
    client.force_login(county_admin)
    url = reverse("admin:facilities_facility_permissions_manage_user", args=[far.pk, facility_manager.pk])
    assert client.post(url, {"permissions": ["change_facility"]}).status_code == 404
    assert get_perms(facility_manager, far) == []
    assert Region.objects.filter(code=OTHER_COUNTY_VILLAGE).exists()
