"""County administrators keep their visit rules in the admin (rules as data)."""

from __future__ import annotations

from django.urls import reverse

from regions.models import Region
from tests.factories import make_visit_rule
from visits.models import VisitRule


def rule_form(jurisdiction, **extra):
    data = {
        "jurisdiction": jurisdiction.pk, "code": "YL-80", "name": "80岁以上独居（每周）",
        "criteria": '{"age": {"min": 80}, "living_arrangement": ["alone"]}', "frequency": "week", "times": "1",
        "risk_tier": "high", "modes": ["home", "phone"], "in_person_monthly": "on", "effective_from": "2027-01-01",
        "effective_to": "", "source": "测试",
    }
    data.update(extra)
    return data


def test_county_admin_adds_a_rule_and_the_criteria_are_checked_by_the_compiler(client, county_admin, regions):
    client.force_login(county_admin)
    county = Region.objects.get(code="610403000000")
    bad = client.post(reverse("admin:visits_visitrule_add"), rule_form(county, criteria='{"age": {"min": 90, "max": 80}}'))
    assert bad.status_code == 200 and "没有人能符合" in bad.content.decode()
    ok = client.post(reverse("admin:visits_visitrule_add"), rule_form(county))
    assert ok.status_code == 302
    rule = VisitRule.objects.get(code="YL-80")
    assert rule.region_code == "610403000000" and rule.modes == ["home", "phone"] and rule.in_person_monthly


def test_county_admin_cannot_make_rules_for_another_jurisdiction_or_see_them(client, county_admin, regions):
    make_visit_rule(code="LINFEN-ONLY-RULE", jurisdiction="141000000000")
    make_visit_rule(code="YANGLING-OWN-RULE")
    client.force_login(county_admin)
    page = client.get(reverse("admin:visits_visitrule_changelist")).content.decode()
    assert "YANGLING-OWN-RULE" in page and "LINFEN-ONLY-RULE" not in page
    linfen = Region.objects.get(code="141000000000")
    response = client.post(reverse("admin:visits_visitrule_add"), rule_form(linfen))
    assert response.status_code == 200 and not VisitRule.objects.filter(code="YL-80").exists()
