"""「覆盖范围不得低于」: a county rule may not cover fewer people than the level above (validation.py)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from io import StringIO

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command

from eligibility.models import Benefit, BenefitRule
from regions.models import Region

pytestmark = pytest.mark.django_db

EDGE = {"economic_status": ["dibao_edge"]}


@pytest.fixture
def province_rule(regions):
    call_command("load_policy", "yangling", stdout=StringIO())
    r = BenefitRule(
        benefit=Benefit.objects.get(code="service_subsidy"), jurisdiction=Region.objects.get(code="610000000000"),
        label="低保边缘70周岁以上", criteria={**EDGE, "age": {"min": 70, "max": None}}, amount=Decimal("100"),
        effective_from=dt.date(2025, 1, 1),
    )
    r.full_clean()
    r.save()
    return r


def county_rule(criteria, amount="150", label="杨陵区档"):
    return BenefitRule(
        benefit=Benefit.objects.get(code="service_subsidy"), jurisdiction=Region.objects.get(code="610403000000"),
        label=label, criteria=criteria, amount=Decimal(amount), effective_from=dt.date(2025, 1, 1),
    )


def test_a_county_band_starting_above_the_provinces_minimum_age_is_refused_naming_both(province_rule):
    with pytest.raises(ValidationError, match="覆盖范围窄于上级.*杨陵区档.*80周岁起.*陕西省.*70周岁起"):
        county_rule({**EDGE, "age": {"min": 80, "max": None}}).full_clean()


def test_the_same_or_a_wider_band_is_accepted(province_rule):
    county_rule({**EDGE, "age": {"min": 70, "max": None}}).full_clean()
    county_rule({**EDGE, "age": {"min": 65, "max": None}}).full_clean()


def test_a_higher_band_is_accepted_once_the_county_has_a_band_from_the_provinces_age(province_rule):
    county_rule({**EDGE, "age": {"min": 70, "max": 80}}, label="70–79").save()
    county_rule({**EDGE, "age": {"min": 80, "max": None}}, "200", label="80+").full_clean()


def test_a_rule_for_other_people_is_not_compared(province_rule):
    county_rule({**EDGE, "age": {"min": 80, "max": None}, "ability_level": {"min": 3, "max": 4}}).full_clean()
