"""Generating a month's payroll: amounts by tier, idempotency, arrears, recoveries, death mid-month."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from io import StringIO
import json

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command

from payouts.models import PayrollLine, PayrollRun
from tests.conftest import COUNTY
from tests.factories import add_tier_rules, benefit_with_tiers, elder_with_account, enrol

from .helpers import PERIOD, admin_and_reviewer, generate, paid_out

pytestmark = pytest.mark.django_db


def lines(**kw):
    return sorted(
        (f"{line.period:%Y-%m}", line.kind, line.amount)
        for line in PayrollLine.objects.filter(**kw)
    )


def test_it_pays_each_active_enrolment_the_amount_of_its_tier_that_month(regions):
    b = benefit_with_tiers()
    enrol(elder_with_account(birth=dt.date(1944, 5, 20)), b)  # 82 → 100
    enrol(elder_with_account(birth=dt.date(1935, 2, 1)), b, amount="200")  # 91 → 200
    enrol(elder_with_account(birth=dt.date(1936, 12, 15)), b)  # turns 90 in December: next month rule → still 100
    enrol(elder_with_account(), b, status="suspended")  # suspended: not paid
    run = generate()
    assert lines(run=run) == [("2026-12", "normal", Decimal("100.00"))] * 2 + [("2026-12", "normal", Decimal("200.00"))]
    assert run.totals["count"] == 3 and run.totals["total"] == "400.00"
    assert run.totals["by_benefit"][0]["code"] == "age_pay"
    assert run.totals["by_township"] == [{"code": "610403001000", "count": 3, "total": "400.00"}]
    assert run.status == "draft" and run.transitions.get().note == "生成"


def test_generating_twice_leaves_one_line_per_elder_and_month(regions):
    b = benefit_with_tiers()
    for _ in range(3):
        enrol(elder_with_account(), b)
    first = generate()
    ids = set(first.lines.values_list("elder_id", flat=True))
    second = generate()
    assert second.pk == first.pk
    assert PayrollLine.objects.count() == 3
    assert set(second.lines.values_list("elder_id", flat=True)) == ids
    assert list(second.transitions.values_list("note", flat=True)) == ["生成", "重新生成"]


def test_the_database_refuses_a_second_payment_whatever_the_code_does(regions):
    from django.db import IntegrityError, transaction

    b = benefit_with_tiers()
    enrol(elder_with_account(), b)
    run = generate()
    line = run.lines.get()
    with pytest.raises(IntegrityError), transaction.atomic():
        PayrollLine.objects.create(run=run, elder=line.elder, benefit=b, period=line.period, kind="normal",
                                   amount=Decimal("1"), region_code=line.region_code)


def test_only_a_draft_can_be_regenerated_and_a_closed_month_is_refused(regions):
    admin, reviewer = admin_and_reviewer()
    b = benefit_with_tiers()
    enrol(elder_with_account(), b)
    run = generate()
    run = paid_out(run, admin, reviewer)
    with pytest.raises(ValidationError, match="只有草稿可以重新生成"):
        generate()
    paid_out_closed = run
    paid_out_closed.lines.update(status="paid")
    from payouts import services

    services.transition(run, "reconciled", reviewer)
    services.payroll_close(actor=reviewer, run=run)
    before = PayrollLine.objects.count()
    with pytest.raises(ValidationError, match="已关闭"):
        generate(benefit_codes=["age_pay"])
    assert PayrollLine.objects.count() == before and PayrollRun.objects.count() == 1


def test_a_late_approval_is_paid_its_missed_months_as_arrears(regions):
    admin, reviewer = admin_and_reviewer()
    b = benefit_with_tiers(automatic=False)
    enrol(elder_with_account(), b)
    late = elder_with_account()
    for month in (10, 11):
        paid_out(generate(dt.date(2026, month, 1)), admin, reviewer)
    enrol(late, b, start=dt.date(2026, 10, 1))  # approved in December, owed from October
    run = generate()
    assert lines(run=run, elder=late) == [
        ("2026-10", "arrears", Decimal("100.00")), ("2026-11", "arrears", Decimal("100.00")),
        ("2026-12", "normal", Decimal("100.00")),
    ]
    assert generate().lines.filter(kind="arrears").count() == 2  # regenerating does not add more


def test_arrears_follow_the_amount_in_force_in_each_month_across_a_policy_change(regions):
    admin, reviewer = admin_and_reviewer()
    b = benefit_with_tiers(tiers=((80, None, "100"),), effective_to=dt.date(2026, 10, 31))
    add_tier_rules(b, ((80, None, "150"),), effective_from=dt.date(2026, 11, 1))
    enrol(elder_with_account(), b)
    for month in (10, 11):
        paid_out(generate(dt.date(2026, month, 1)), admin, reviewer)
    late = elder_with_account(birth=dt.date(1940, 1, 1))  # registered late (未及时登记): automatic benefit, owed since it qualified
    enrol(late, b, start=PERIOD, amount="150")
    run = generate()
    assert lines(run=run, elder=late) == [
        ("2026-10", "arrears", Decimal("100.00")), ("2026-11", "arrears", Decimal("150.00")),
        ("2026-12", "normal", Decimal("150.00")),
    ]


def test_arrears_go_back_no_further_than_the_configured_maximum(regions, settings):
    settings.PAYOUTS_MAX_ARREARS_MONTHS = 1
    admin, reviewer = admin_and_reviewer()
    b = benefit_with_tiers(automatic=False)
    enrol(elder_with_account(), b)
    for month in (10, 11):
        paid_out(generate(dt.date(2026, month, 1)), admin, reviewer)
    late = elder_with_account()
    enrol(late, b, start=dt.date(2026, 10, 1))
    assert lines(run=generate(), elder=late, kind="arrears") == [("2026-11", "arrears", Decimal("100.00"))]


def test_a_death_mid_month_is_paid_that_month_and_not_the_next(regions):
    b = benefit_with_tiers()
    e = elder_with_account(deceased_on=dt.date(2026, 12, 15))
    enrol(e, b, status="ended", end=PERIOD)  # the sweep ended it at the month of death
    gone = elder_with_account(deceased_on=dt.date(2026, 11, 30))
    enrol(gone, b)  # death reported, sweep not yet run: still active
    assert lines(elder=e) == []
    run = generate()
    assert lines(run=run) == [("2026-12", "normal", Decimal("100.00"))]
    assert run.checks.filter(kind="deceased", elder=e).exists()
    january = generate(dt.date(2027, 1, 1))
    assert january.lines.count() == 0


def test_a_death_reported_late_recovers_the_months_paid_after_it(regions):
    admin, reviewer = admin_and_reviewer()
    b = benefit_with_tiers()
    e = elder_with_account()
    enrol(e, b)
    for month in (10, 11):
        paid_out(generate(dt.date(2026, month, 1)), admin, reviewer)
    e.deceased_on = dt.date(2026, 9, 20)
    e.save()
    run = generate()
    assert lines(run=run, elder=e) == [
        ("2026-10", "recovery", Decimal("-100.00")), ("2026-11", "recovery", Decimal("-100.00")),
    ]
    assert generate().lines.filter(kind="recovery").count() == 2  # regenerate: still two


def test_the_checks_flag_bank_accounts_amount_jumps_and_the_same_id_paid_elsewhere(regions):
    admin, reviewer = admin_and_reviewer()
    b = benefit_with_tiers()
    no_account = elder_with_account(account="")
    bad_account = elder_with_account(account="62-22=1")
    jump = elder_with_account()
    for e in (no_account, bad_account, jump):
        enrol(e, b)
    paid_out(generate(dt.date(2026, 11, 1)), admin, reviewer)
    jump_enrolment = jump.enrolments.get()
    jump_enrolment.rule = None
    jump_enrolment.amount = Decimal("500")
    jump_enrolment.save()
    jump.birth_date = dt.date(1970, 1, 1)  # no longer meets a tier: paid the enrolment's own amount
    jump.save()
    run = generate()
    kinds = set(run.checks.values_list("kind", "elder_id"))
    assert ("bank", no_account.pk) in kinds and ("bank", bad_account.pk) in kinds
    assert ("amount_change", jump.pk) in kinds
    assert not any(k == "other_county" for k, _ in kinds)


def test_the_generate_command_prints_json(regions):
    b = benefit_with_tiers()
    enrol(elder_with_account(), b)
    out = StringIO()
    call_command("payroll", "generate", "--county", COUNTY[:6], "--period", "2026-12", "--json", stdout=out)
    data = json.loads(out.getvalue())
    assert data == {"run": PayrollRun.objects.get().pk, "lines": 1, "total": "100.00"}


def test_the_same_id_paid_in_another_countys_run_that_month_is_flagged(regions):
    from eligibility.models import Enrolment

    ours = benefit_with_tiers()
    far = benefit_with_tiers("age_pay_far", county="141002000000")
    e = elder_with_account()
    enrol(e, ours)
    moved = enrol(e, far)
    Enrolment.objects.filter(pk=moved.pk).update(region_code="141002001001")  # moved, the old county still pays
    from payouts import services

    services.payroll_generate(county_code="141002", period=PERIOD)
    run = generate()
    assert list(run.checks.values_list("kind", flat=True)) == ["other_county"]


def test_regenerating_a_draft_keeps_unchanged_lines_and_redoes_changed_ones(regions):
    b = benefit_with_tiers()
    same, moved_bank, stopped = elder_with_account(), elder_with_account(), elder_with_account()
    for e in (same, moved_bank, stopped):
        enrol(e, b)
    run = generate()
    kept = run.lines.get(elder=same).pk
    moved_bank.bank_account = "6222020200077777777"
    moved_bank.save()
    stopped.enrolments.update(status="suspended")
    run = generate()
    assert run.lines.get(elder=same).pk == kept
    assert run.lines.get(elder=moved_bank).bank_account == "6222020200077777777"
    assert not run.lines.filter(elder=stopped).exists()
    assert run.totals["count"] == 2
