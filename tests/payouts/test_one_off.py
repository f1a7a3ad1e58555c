"""One-off benefits (一次性发放, e.g. a longevity payment on turning 100): paid exactly once per elder
and benefit — in the month the enrolment starts, or the first run after if that month was missed —
and never again, whatever runs twice; the database refuses a second one in any month."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction

from payouts.models import PayrollLine
from tests.factories import benefit_with_tiers, elder_with_account, enrol

from .helpers import PERIOD, admin_and_reviewer, generate, paid_out

pytestmark = pytest.mark.django_db


@pytest.fixture
def longevity(regions):
    """A one-off payment of 1,000 元 for elders aged 100 or more, next to the monthly allowance."""
    return benefit_with_tiers("longevity_gift", tiers=((100, None, "1000"),), payment_kind="one_off")


def _one_offs(e=None):
    qs = PayrollLine.objects.filter(kind="one_off")
    return qs.filter(elder=e) if e is not None else qs


def test_it_pays_a_one_off_benefit_in_the_month_the_enrolment_starts_and_never_again(longevity):
    e = elder_with_account(birth=dt.date(1926, 12, 5))
    enrol(e, longevity, start=PERIOD, amount="1000")
    december = generate()
    line = december.lines.get()
    assert (line.kind, line.period, line.amount, line.elder) == ("one_off", PERIOD, Decimal("1000.00"), e)
    assert december.totals["by_kind"]["one_off"] == {"count": 1, "total": "1000.00"}
    for month in (dt.date(2027, 1, 1), dt.date(2027, 2, 1)):
        assert not generate(month).lines.exists()
    assert _one_offs(e).count() == 1


def test_a_start_month_without_a_run_is_paid_in_the_first_run_after(longevity):
    e = elder_with_account(birth=dt.date(1926, 10, 5))
    enrol(e, longevity, start=dt.date(2026, 10, 1), amount="1000")
    line = generate().lines.get()
    assert (line.kind, line.period) == ("one_off", PERIOD)


def test_an_enrolment_starting_later_is_not_paid_yet(longevity):
    e = elder_with_account(birth=dt.date(1927, 1, 5))
    enrol(e, longevity, start=dt.date(2027, 1, 1), amount="1000")
    assert not generate().lines.exists()
    assert generate(dt.date(2027, 1, 1)).lines.get().kind == "one_off"


def test_regenerating_or_generating_twice_still_pays_it_once(longevity):
    e = elder_with_account(birth=dt.date(1926, 12, 5))
    enrol(e, longevity, start=PERIOD, amount="1000")
    generate()
    generate()
    generate(dt.date(2027, 1, 1))
    assert _one_offs(e).count() == 1


def test_a_new_enrolment_after_the_old_one_ended_is_not_paid_a_second_time(longevity):
    """停旧增新 (stop the old record, open a new one) must not pay the one-off again."""
    e = elder_with_account(birth=dt.date(1926, 12, 5))
    first = enrol(e, longevity, start=PERIOD, amount="1000")
    admin, reviewer = admin_and_reviewer()
    paid_out(generate(), admin, reviewer, to="closed")
    first.status, first.end_period = "ended", PERIOD
    first.save()
    enrol(e, longevity, start=dt.date(2027, 1, 1), amount="1000")
    assert not generate(dt.date(2027, 1, 1)).lines.filter(kind="one_off").exists()
    assert _one_offs(e).count() == 1


def test_the_database_refuses_a_second_one_off_payment_in_another_month(longevity):
    e = elder_with_account(birth=dt.date(1926, 12, 5))
    enrol(e, longevity, start=PERIOD, amount="1000")
    line = generate().lines.get()
    with pytest.raises(IntegrityError), transaction.atomic():
        PayrollLine.objects.create(run=line.run, elder=e, benefit=longevity, period=dt.date(2027, 3, 1), kind="one_off",
                                   amount=Decimal("1000"), region_code=line.region_code)
    assert _one_offs(e).count() == 1


def test_a_candidate_never_approved_is_not_paid(longevity):
    e = elder_with_account(birth=dt.date(1926, 12, 5))
    enrolment = enrol(e, longevity, start=PERIOD, amount="1000")
    enrolment.status = "candidate"
    enrolment.save()
    enrolment.events.all().delete()
    assert not generate().lines.exists()


def test_one_off_and_monthly_benefits_are_paid_side_by_side(longevity):
    monthly = benefit_with_tiers()
    e = elder_with_account(birth=dt.date(1926, 12, 5))
    enrol(e, longevity, start=PERIOD, amount="1000")
    enrol(e, monthly)
    run = generate()
    assert sorted(run.lines.values_list("kind", "amount")) == [("normal", Decimal("200.00")), ("one_off", Decimal("1000.00"))]


def test_the_bank_file_labels_a_one_off_line_as_such(longevity):
    from payouts import exports

    e = elder_with_account(birth=dt.date(1926, 12, 5))
    enrol(e, longevity, start=PERIOD, amount="1000")
    run = generate()
    text = b"".join(exports.bank_csv(run)).decode("utf-8-sig")
    assert ",一次性,1000.00," in text
