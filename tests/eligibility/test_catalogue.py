"""The policy catalogue as data: the published lists load, and the admin refuses rules that would be
wrong (overlapping windows or bands, below the level above, uncompilable criteria)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from io import StringIO

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.urls import reverse

from eligibility.models import Benefit, BenefitRule, PolicyParameter
from regions.models import Region


@pytest.fixture
def lists(regions):
    call_command("load_policy", "yangling", "linfen", stdout=StringIO())


def rule(benefit, place, criteria, amount="100", **extra):
    return BenefitRule(
        benefit=Benefit.objects.get(code=benefit), jurisdiction=Region.objects.get(code=place), criteria=criteria,
        amount=Decimal(amount), effective_from=extra.pop("effective_from", dt.date(2025, 1, 1)), **extra,
    )


def test_load_policy_ships_the_yangling_age_allowance_bands_and_is_idempotent(lists):
    bands = BenefitRule.objects.filter(benefit__code="age_allowance", jurisdiction__code="610403000000").order_by("amount")
    assert [(r.criteria["age"]["min"], r.amount) for r in bands] == [
        (70, Decimal("50.00")), (80, Decimal("100.00")), (90, Decimal("200.00")), (100, Decimal("300.00"))
    ]
    out = StringIO()
    call_command("load_policy", "yangling", stdout=out)
    assert "新增 0，更新 0" in out.getvalue()


def test_unknown_local_values_ship_as_parameters_marked_as_examples(lists):
    dibao = PolicyParameter.objects.get(key="dibao_standard", jurisdiction__code="610403000000")
    assert "示例值" in dibao.note
    assert PolicyParameter.objects.filter(key="age_allowance_80", jurisdiction__code="141002000000", note__contains="示例值").exists()


def test_a_second_rule_with_the_same_criteria_in_an_overlapping_window_is_refused_naming_both(lists):
    r = rule("age_allowance", "610403000000", {"local_hukou": True, "age": {"min": 80, "max": 90}}, "120",
             label="80–89周岁档（新）", effective_from=dt.date(2026, 1, 1))
    with pytest.raises(ValidationError, match="有效期重叠.*80–89周岁档（新）.*80–89周岁档"):
        r.full_clean()


def test_a_new_standard_is_accepted_once_the_old_window_is_closed(lists):
    old = BenefitRule.objects.get(benefit__code="age_allowance", jurisdiction__code="610403000000", label="80–89周岁档")
    old.effective_to = dt.date(2025, 12, 31)
    old.full_clean()
    old.save()
    rule("age_allowance", "610403000000", {"local_hukou": True, "age": {"min": 80, "max": 90}}, "120",
         label="80–89周岁档", effective_from=dt.date(2026, 1, 1)).full_clean()


def test_overlapping_age_bands_of_one_benefit_are_refused(lists):
    r = rule("age_allowance", "610403000000", {"local_hukou": True, "age": {"min": 85, "max": 95}}, "150", label="85–94周岁档")
    with pytest.raises(ValidationError, match="年龄档次重叠.*85–94周岁档.*80–89周岁档"):
        r.full_clean()


def test_a_county_rule_below_its_citys_floor_is_refused_naming_both(lists):
    r = rule("service_subsidy", "141002000000", {"economic_status": ["dibao"], "age": {"min": 80}}, "50", label="尧都区")
    with pytest.raises(ValidationError, match="低于上级标准.*尧都区.*50元.*临汾市.*70元"):
        r.full_clean()
    rule("service_subsidy", "141002000000", {"economic_status": ["dibao"], "age": {"min": 80}}, "90", label="尧都区").full_clean()


def test_the_admin_refuses_an_uncompilable_rule_with_the_reason(client, superuser, lists):
    client.force_login(superuser)
    response = client.post(reverse("admin:eligibility_benefitrule_add"), {
        "benefit": Benefit.objects.get(code="age_allowance").pk,
        "jurisdiction": Region.objects.get(code="610403000000").pk,
        "label": "坏规则", "effective_from": "2025-01-01", "criteria": '{"age": {"min": 90, "max": 80}}',
        "start": "next_month", "amount_kind": "fixed", "amount": "10", "parameter_key": "", "source": "",
    })
    assert response.status_code == 200
    assert "条件无法编译" in response.content.decode() and "下限 90 大于上限 80" in response.content.decode()
    assert not BenefitRule.objects.filter(label="坏规则").exists()


def test_the_admin_refuses_a_rule_below_the_city_floor(client, superuser, lists):
    client.force_login(superuser)
    response = client.post(reverse("admin:eligibility_benefitrule_add"), {
        "benefit": Benefit.objects.get(code="service_subsidy").pk,
        "jurisdiction": Region.objects.get(code="141002000000").pk,
        "label": "尧都区标准", "effective_from": "2025-01-01", "criteria": '{"economic_status": ["dibao"], "age": {"min": 80}}',
        "start": "next_month", "amount_kind": "fixed", "amount": "50", "parameter_key": "", "source": "",
    })
    html = response.content.decode()
    assert response.status_code == 200 and "低于上级标准" in html and "临汾市" in html


def test_the_county_admin_edits_the_catalogue_and_the_officer_may_not(county_admin, officer):
    assert county_admin.has_perm("eligibility.change_benefitrule")
    assert not officer.has_perm("eligibility.change_benefitrule")
    assert officer.has_perm("eligibility.decide_enrolment")


def test_a_parameter_rule_needs_an_existing_parameter(lists):
    r = rule("dibao_topup", "610403000000", {"economic_status": ["dibao"], "age": {"min": 75}}, "30",
             amount_kind="percent", parameter_key="no_such_standard", label="x")
    with pytest.raises(ValidationError, match="no_such_standard"):
        r.full_clean()


def test_the_admin_accepts_the_assessment_due_criterion(client, superuser, lists):
    client.force_login(superuser)
    response = client.post(reverse("admin:eligibility_benefitrule_add"), {
        "benefit": Benefit.objects.get(code="ability_assessment").pk,
        "jurisdiction": Region.objects.get(code="141000000000").pk,
        "label": "（65周岁以上评估到期）", "effective_from": "2025-01-01",
        "criteria": '{"age": {"min": 65}, "assessment_due": true}',
        "start": "next_month", "amount_kind": "none", "amount": "0", "parameter_key": "", "source": "",
    })
    assert response.status_code == 302, response.content.decode()
    assert BenefitRule.objects.get(label="（65周岁以上评估到期）").criteria["assessment_due"] is True


@pytest.mark.parametrize(("criteria", "words"), [
    ('{"age": {"min": 65}, "assessment_due": "是"}', "条件“能力评估到期”应为 true 或 false"),
    ('{"ability_assessed": false, "assessment_due": false}', "尚未评估的老年人总是应评估，没有人能符合"),
])
def test_the_admin_refuses_a_bad_assessment_due_value_in_chinese(client, superuser, lists, criteria, words):
    client.force_login(superuser)
    response = client.post(reverse("admin:eligibility_benefitrule_add"), {
        "benefit": Benefit.objects.get(code="ability_assessment").pk,
        "jurisdiction": Region.objects.get(code="141000000000").pk,
        "label": "坏规则", "effective_from": "2025-01-01", "criteria": criteria,
        "start": "next_month", "amount_kind": "none", "amount": "0", "parameter_key": "", "source": "",
    })
    html = response.content.decode()
    assert response.status_code == 200 and "条件无法编译" in html and words in html
    assert not BenefitRule.objects.filter(label="坏规则").exists()
