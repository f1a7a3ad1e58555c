"""The policy engine's answer to payroll (``eligibility.public.payable_enrolments``): who is payable
for a benefit in a county and month, at which amount — the selector payroll's lines are inserted from."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from eligibility.models import EnrolmentEvent
from eligibility.public import payable_enrolments
from tests.conftest import COUNTY, OTHER_COUNTY_VILLAGE
from tests.factories import benefit_with_tiers, elder_with_account, enrol
from tests.payouts.helpers import PERIOD

pytestmark = pytest.mark.django_db


def payable(b, period=PERIOD, **kw):
    return sorted(
        (e.elder.name, e.payable_amount)
        for e in payable_enrolments(county_code=COUNTY, period=period, benefit=b, **kw).select_related("elder")
    )


def test_each_payable_enrolment_comes_with_the_amount_of_the_tier_the_elder_meets_that_month(regions):
    b = benefit_with_tiers()
    enrol(elder_with_account(name="八十二", birth=dt.date(1944, 5, 20)), b, amount="200")  # stored 200, but 82 → the 100 tier
    enrol(elder_with_account(name="九十一", birth=dt.date(1935, 2, 1)), b)  # 91 → 200
    enrol(elder_with_account(name="暂停", birth=dt.date(1935, 2, 1)), b, status="suspended")
    enrol(elder_with_account(name="外县", region_code=OTHER_COUNTY_VILLAGE, birth=dt.date(1935, 2, 1)), b)
    enrol(elder_with_account(name="明年起", birth=dt.date(1935, 2, 1)), b, start=dt.date(2027, 1, 1))
    assert payable(b) == [("九十一", Decimal("200.00")), ("八十二", Decimal("100.00"))]


def test_a_death_is_paid_up_to_its_month_and_a_never_granted_candidate_is_not(regions):
    b = benefit_with_tiers()
    died = elder_with_account(name="十二月去世", birth=dt.date(1935, 2, 1), deceased_on=dt.date(2026, 12, 10))
    enrol(died, b, status="ended", end=PERIOD)
    enrol(elder_with_account(name="十一月去世", birth=dt.date(1935, 2, 1), deceased_on=dt.date(2026, 11, 10)), b,
          status="ended", end=dt.date(2026, 11, 1))
    never = enrol(elder_with_account(name="未批准", birth=dt.date(1935, 2, 1)), b, status="ended", end=PERIOD)
    EnrolmentEvent.objects.filter(enrolment=never).delete()
    assert payable(b) == [("十二月去世", Decimal("200.00"))]


def test_looking_back_a_late_registered_elder_of_an_automatic_benefit_is_payable_for_months_they_qualified(regions):
    b = benefit_with_tiers()
    enrol(elder_with_account(name="晚登记", birth=dt.date(1935, 2, 1)), b, start=dt.date(2027, 1, 1))
    assert payable(b) == []
    assert payable(b, late_registered=True) == [("晚登记", Decimal("200.00"))]


def test_a_one_off_grant_is_payable_from_its_start_month_on(regions):
    b = benefit_with_tiers("one_off_gift", payment_kind="one_off", tiers=((80, None, "500"),))
    enrol(elder_with_account(name="十一月起", birth=dt.date(1935, 2, 1)), b, start=dt.date(2026, 11, 1))
    enrol(elder_with_account(name="一月起", birth=dt.date(1935, 2, 1)), b, start=dt.date(2027, 1, 1))
    assert payable(b) == [("十一月起", Decimal("500.00"))]
