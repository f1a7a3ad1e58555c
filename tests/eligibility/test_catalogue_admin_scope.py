"""The county administrator keeps the county's own list in the admin: they edit Yangling's rules and
parameters, see the province's floor read-only, and never see — let alone change — another county's."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import call_command
from django.urls import reverse

from eligibility.models import Benefit, BenefitRule, PolicyParameter
from regions.models import Region
from tests.conftest import COUNTY, OTHER_COUNTY

PROVINCE = "610000000000"  # 陕西省, above 杨陵区
OTHER_CITY = "141000000000"  # 临汾市, above 尧都区 only


@pytest.fixture
def lists(regions):
    """Yangling's and Linfen's published lists, a Shaanxi provincial floor, and one 尧都区 rule."""
    call_command("load_policy", "yangling", stdout=StringIO())
    call_command("load_policy", "linfen", stdout=StringIO())
    province = Region.objects.get(code=PROVINCE)
    BenefitRule.objects.create(
        benefit=Benefit.objects.get(code="age_allowance"), jurisdiction=province, label="100周岁以上（省级）",
        criteria={"age": {"min": 100, "max": None}}, amount=Decimal("200"), effective_from=dt.date(2024, 1, 1),
    )
    PolicyParameter.objects.create(
        key="nursing_standard", name="护理补贴标准（元/月）", jurisdiction=province, value=Decimal("100"),
        effective_from=dt.date(2024, 1, 1),
    )
    linfen = BenefitRule(
        benefit=Benefit.objects.get(code="service_subsidy"), jurisdiction=Region.objects.get(code=OTHER_COUNTY),
        label="尧都区标准", criteria={"economic_status": ["dibao"], "age": {"min": 80}}, amount=Decimal("90"),
        effective_from=dt.date(2024, 1, 1),
    )
    linfen.full_clean()
    linfen.save()


def yangling_band(label="80–89周岁档"):
    return BenefitRule.objects.get(benefit__code="age_allowance", jurisdiction__code=COUNTY, label=label)


def province_rule():
    return BenefitRule.objects.get(jurisdiction__code=PROVINCE)


def linfen_rule():
    return BenefitRule.objects.get(jurisdiction__code=OTHER_COUNTY)


def rule_form(rule: BenefitRule, **changes) -> dict:
    data = {
        "benefit": rule.benefit_id, "jurisdiction": rule.jurisdiction_id, "label": rule.label, "source": rule.source,
        "effective_from": rule.effective_from.isoformat(),
        "effective_to": rule.effective_to.isoformat() if rule.effective_to else "",
        "criteria": json.dumps(rule.criteria), "start": rule.start, "amount_kind": rule.amount_kind,
        "amount": str(rule.amount), "parameter_key": rule.parameter_key,
    }
    return {**data, **changes}


def change_url(obj) -> str:
    return reverse(f"admin:eligibility_{obj._meta.model_name}_change", args=[obj.pk])


def delete_url(obj) -> str:
    return reverse(f"admin:eligibility_{obj._meta.model_name}_delete", args=[obj.pk])


def listed_jurisdictions(client, model_name: str) -> set[str]:
    response = client.get(reverse(f"admin:eligibility_{model_name}_changelist"))
    assert response.status_code == 200
    return {obj.jurisdiction.code for obj in response.context["cl"].queryset}


def test_the_county_admin_lists_the_countys_rows_and_the_provincial_floor_but_not_linfen(client, county_admin, lists):
    client.force_login(county_admin)
    assert listed_jurisdictions(client, "benefitrule") == {COUNTY, PROVINCE}
    assert listed_jurisdictions(client, "policyparameter") == {COUNTY, PROVINCE}
    html = client.get(reverse("admin:eligibility_benefitrule_changelist") + "?q=尧都区").content.decode()
    assert "尧都区标准" not in html


def test_the_benefit_page_lists_only_the_rules_that_reach_the_county(client, county_admin, lists):
    client.force_login(county_admin)
    response = client.get(reverse("admin:eligibility_benefit_change", args=[Benefit.objects.get(code="service_subsidy").pk]))
    (inline,) = response.context["inline_admin_formsets"]
    assert {r.jurisdiction.code for r in inline.formset.queryset} == {COUNTY}  # not 临汾市's, not 尧都区's


def test_the_county_admin_raises_a_yangling_band(client, county_admin, lists):
    band = yangling_band()
    client.force_login(county_admin)
    response = client.post(change_url(band), rule_form(band, amount="110"))
    assert response.status_code == 302, response.content.decode()[:3000]
    band.refresh_from_db()
    assert band.amount == Decimal("110.00")


def test_the_floor_still_holds_for_the_county_admin(client, county_admin, lists):
    band = yangling_band("100周岁及以上档")
    client.force_login(county_admin)
    response = client.post(change_url(band), rule_form(band, amount="150"))
    html = response.content.decode()
    assert response.status_code == 200 and "低于上级标准" in html and "陕西省" in html and "200元" in html
    band.refresh_from_db()
    assert band.amount == Decimal("300.00")


def test_the_provincial_rule_is_read_only_for_the_county_admin(client, county_admin, lists):
    rule = province_rule()
    client.force_login(county_admin)
    response = client.get(change_url(rule))
    assert response.status_code == 200
    assert response.context["has_change_permission"] is False and response.context["has_delete_permission"] is False
    assert 'name="_save"' not in response.content.decode() and "200" in response.content.decode()

    assert client.post(change_url(rule), rule_form(rule, amount="10")).status_code == 403
    as_new = client.post(change_url(rule), rule_form(rule, amount="10", _saveasnew="1"))  # "save as new" is an add
    assert as_new.status_code == 200 and "“陕西省（610000000000）”不在您的辖区内" in as_new.content.decode()
    assert client.post(delete_url(rule), {"post": "yes"}).status_code == 403
    bulk = client.post(reverse("admin:eligibility_benefitrule_changelist"),
                       {"action": "delete_selected", "_selected_action": [rule.pk], "post": "yes"})
    assert bulk.status_code == 403
    rule.refresh_from_db()
    assert rule.amount == Decimal("200.00")
    assert BenefitRule.objects.filter(jurisdiction__code=PROVINCE).count() == 1


def test_the_provincial_parameter_is_read_only_for_the_county_admin(client, county_admin, lists):
    parameter = PolicyParameter.objects.get(jurisdiction__code=PROVINCE)
    client.force_login(county_admin)
    assert client.get(change_url(parameter)).status_code == 200
    form = {"key": parameter.key, "name": parameter.name, "jurisdiction": parameter.jurisdiction_id, "value": "1",
            "effective_from": "2024-01-01", "effective_to": "", "note": ""}
    assert client.post(change_url(parameter), form).status_code == 403
    assert client.post(delete_url(parameter), {"post": "yes"}).status_code == 403
    parameter.refresh_from_db()
    assert parameter.value == Decimal("100.00")


def test_a_linfen_rule_is_as_missing_to_the_county_admin_and_stays_untouched(client, county_admin, lists):
    """The admin answers an id outside the area exactly as an id that does not exist: 404, as the
    staff portal does (see tests/test_admin_matrix.py), revealing nothing."""
    rule = linfen_rule()
    client.force_login(county_admin)
    missing = client.get(reverse("admin:eligibility_benefitrule_change", args=[999999]))
    for response in (
        client.get(change_url(rule)),
        client.post(change_url(rule), rule_form(rule, amount="10")),
        client.get(delete_url(rule)),
        client.post(delete_url(rule), {"post": "yes"}),
    ):
        assert response.status_code == missing.status_code == 404
        assert rule.label not in response.content.decode()
    client.post(reverse("admin:eligibility_benefitrule_changelist"),
                {"action": "delete_selected", "_selected_action": [rule.pk], "post": "yes"})
    rule.refresh_from_db()
    assert rule.amount == Decimal("90.00")
    parameter = PolicyParameter.objects.get(jurisdiction__code=OTHER_COUNTY)
    assert client.get(change_url(parameter)).status_code == 404
    assert client.post(delete_url(parameter), {"post": "yes"}).status_code == 404
    assert PolicyParameter.objects.filter(pk=parameter.pk).exists()


def test_the_permission_checks_refuse_rows_outside_the_area(rf, county_admin, lists):
    from django.contrib import admin

    request = rf.get("/")
    request.user = county_admin
    model_admin = admin.site._registry[BenefitRule]
    assert model_admin.has_change_permission(request, yangling_band())
    assert model_admin.has_delete_permission(request, yangling_band())
    for rule in (province_rule(), linfen_rule()):
        assert not model_admin.has_change_permission(request, rule)
        assert not model_admin.has_delete_permission(request, rule)


def test_adding_a_rule_for_linfen_is_refused_naming_the_jurisdiction(client, county_admin, lists):
    template = linfen_rule()
    client.force_login(county_admin)
    response = client.post(reverse("admin:eligibility_benefitrule_add"), rule_form(template, label="越权规则"))
    assert response.status_code == 200
    assert "“尧都区（141002000000）”不在您的辖区内" in response.content.decode()
    response = client.post(reverse("admin:eligibility_benefitrule_add"),
                           rule_form(template, label="越权规则", jurisdiction=Region.objects.get(code=PROVINCE).pk))
    assert "“陕西省（610000000000）”不在您的辖区内" in response.content.decode()
    assert not BenefitRule.objects.filter(label="越权规则").exists()


def test_the_county_admin_may_not_move_a_yangling_rule_up_to_the_province(client, county_admin, lists):
    band = yangling_band()
    client.force_login(county_admin)
    response = client.post(change_url(band), rule_form(band, jurisdiction=Region.objects.get(code=PROVINCE).pk))
    assert response.status_code == 200 and "不在您的辖区内" in response.content.decode()
    band.refresh_from_db()
    assert band.jurisdiction.code == COUNTY


def test_the_county_admin_adds_parameters_for_yangling_only(client, county_admin, lists):
    client.force_login(county_admin)
    form = {"key": "nursing_standard", "name": "护理补贴标准（元/月）", "value": "120", "effective_from": "2025-01-01",
            "effective_to": "", "note": ""}
    refused = client.post(reverse("admin:eligibility_policyparameter_add"),
                          {**form, "jurisdiction": Region.objects.get(code=OTHER_CITY).pk})
    assert refused.status_code == 200 and "“临汾市（141000000000）”不在您的辖区内" in refused.content.decode()
    added = client.post(reverse("admin:eligibility_policyparameter_add"),
                        {**form, "jurisdiction": Region.objects.get(code=COUNTY).pk})
    assert added.status_code == 302, added.content.decode()[:3000]
    assert PolicyParameter.objects.filter(key="nursing_standard", jurisdiction__code=COUNTY).get().value == 120


def test_the_jurisdiction_autocomplete_offers_only_the_county(client, county_admin, lists):
    client.force_login(county_admin)
    response = client.get(reverse("admin:autocomplete"), {
        "app_label": "eligibility", "model_name": "benefitrule", "field_name": "jurisdiction", "term": "",
    })
    assert response.status_code == 200
    assert [r["text"] for r in response.json()["results"]] == [str(Region.objects.get(code=COUNTY))]


def test_the_superuser_still_sees_and_edits_everything(client, superuser, lists):
    client.force_login(superuser)
    listed = listed_jurisdictions(client, "benefitrule")
    assert {COUNTY, PROVINCE, OTHER_CITY, OTHER_COUNTY} <= listed
    for rule, amount in ((linfen_rule(), "95"), (province_rule(), "210")):
        response = client.post(change_url(rule), rule_form(rule, amount=amount))
        assert response.status_code == 302, response.content.decode()[:3000]
        rule.refresh_from_db()
        assert rule.amount == Decimal(amount)
    parameter = PolicyParameter.objects.get(jurisdiction__code=OTHER_COUNTY)
    assert client.get(change_url(parameter)).context["has_change_permission"] is True


def benefit_form(benefit: Benefit, **changes) -> dict:
    data = {
        "code": benefit.code, "name": benefit.name, "service_type": benefit.service_type,
        "lead_department": benefit.lead_department, "payment_kind": benefit.payment_kind,
        "enrolment_mode": benefit.enrolment_mode, "is_active": "on" if benefit.is_active else "",
        "rules-TOTAL_FORMS": "0", "rules-INITIAL_FORMS": "0", "rules-MIN_NUM_FORMS": "0", "rules-MAX_NUM_FORMS": "1000",
    }
    return {**data, **changes}


def test_a_benefit_shared_with_other_jurisdictions_is_read_only_for_the_county_admin(client, county_admin, lists):
    shared = Benefit.objects.get(code="service_subsidy")  # Yangling's and 尧都区's rules
    client.force_login(county_admin)
    response = client.get(change_url(shared))
    assert response.status_code == 200 and response.context["has_change_permission"] is False
    assert client.post(change_url(shared), benefit_form(shared, name="改名", is_active="")).status_code == 403
    assert client.post(delete_url(shared), {"post": "yes"}).status_code == 403
    shared.refresh_from_db()
    assert (shared.name, shared.is_active) != ("改名", False) and shared.is_active


def test_the_county_admin_adds_and_edits_a_benefit_of_their_own(client, county_admin, lists):
    client.force_login(county_admin)
    template = Benefit.objects.get(code="service_subsidy")
    new = benefit_form(template, code="yl_local_meal", name="杨陵区助餐补贴")
    assert client.post(reverse("admin:eligibility_benefit_add"), new).status_code == 302
    local = Benefit.objects.get(code="yl_local_meal")
    BenefitRule.objects.create(
        benefit=local, jurisdiction=Region.objects.get(code=COUNTY), label="80周岁以上",
        criteria={"age": {"min": 80, "max": None}}, amount=Decimal("30"), effective_from=dt.date(2026, 1, 1),
    )
    response = client.post(change_url(local), benefit_form(local, name="杨陵区老年助餐补贴"))
    assert response.status_code == 302, response.content.decode()[:2000]
    local.refresh_from_db()
    assert local.name == "杨陵区老年助餐补贴"
