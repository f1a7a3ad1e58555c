"""Generating a run's lines: a few ``INSERT … SELECT … ON CONFLICT DO NOTHING`` statements.

Called only from ``services.payroll_generate`` (inside its transaction and advisory lock). Never a
Python loop over elders: every statement is built from ORM querysets and runs in the database.

Who is paid and how much is the policy engine's answer, not payroll's:
``eligibility.public.payable_enrolments`` gives the payable enrolments of a benefit in the county
and month with their ``payable_amount``. Payroll adds only what is its own: the lines already paid
(never twice), the arrears window, recoveries, failed lines carried forward and the checks.

One-off benefits (一次性发放) get a single ``one_off`` line per elder and benefit, ever, in the first
run on or after the enrolment's start month (``_insert_one_off``); no arrears or recoveries.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Exists, F, OuterRef, Q, QuerySet, Value
from django.db.models.functions import Length
from django.db.models.lookups import GreaterThanOrEqual, LessThanOrEqual

from core import periods
from core.sql import insert_from_select
from eligibility.public import Benefit, Enrolment, payable_enrolments
from registry.public import Elder

from . import rules
from .line_events import record_line_events
from .models import CheckItem, PayrollLine, PayrollLineEvent, PayrollRun

Progress = Callable[[str, int, int], None]
MONEY = models.DecimalField(max_digits=10, decimal_places=2)
PAID_KINDS = [PayrollLine.Kind.NORMAL, PayrollLine.Kind.ARREARS]


def max_arrears_months() -> int:
    """补发 at most this many months back (settings.PAYOUTS_MAX_ARREARS_MONTHS, default 24;
    docs/domain.md §6 notes the 24-month figure is unconfirmed, hence a setting)."""
    return int(getattr(settings, "PAYOUTS_MAX_ARREARS_MONTHS", 24))


def amount_change_factor() -> Decimal:
    """A line is flagged when it is more than this factor above or below last month's (default 2)."""
    return Decimal(str(getattr(settings, "PAYOUTS_AMOUNT_CHANGE_FACTOR", "2")))


def _already_paid(benefit: Benefit, period: dt.date) -> Q:
    """Elders already paid (normal or arrears) for ``benefit`` and ``period``, in any run.

    Written as ``elder_id NOT IN (uncorrelated subquery)`` so PostgreSQL evaluates it once, before
    the first row is inserted, into an in-memory hash ("hashed SubPlan"; fits in the transaction's
    work_mem up to a few million lines). The correlated NOT EXISTS it replaces let the planner pick,
    when the lines table looked empty, a nested loop whose inner side scanned the very table the
    INSERT was filling — quadratic: 300 rows/s instead of 40,000 (measured, bench/README.md)."""
    return Q(elder_id__in=PayrollLine.objects.filter(
        benefit=benefit, period=period, kind__in=PAID_KINDS).values("elder_id"))


def _line_columns(run: PayrollRun, period: dt.date, kind: str) -> dict[str, Any]:
    """A line per payable enrolment (``payable_enrolments``), at its ``payable_amount``."""
    return {
        "run": Value(run.pk),
        "elder": F("elder_id"),
        "benefit": F("benefit_id"),
        "enrolment": F("pk"),
        "period": Value(period, output_field=models.DateField()),
        "kind": Value(kind),
        "amount": F("payable_amount"),
        "region_code": F("region_code"),
        "bank_name": F("elder__bank_name"),
        "bank_account": F("elder__bank_account"),
        "status": Value(PayrollLine.Status.PENDING),
        "failure_reason": Value(""),
    }


def insert_lines(run: PayrollRun, benefits: list[Benefit], progress: Progress | None = None, *,
                 actor: Any = None) -> dict[str, int]:
    """Normal lines for the run's month, arrears for months owed, recoveries for months paid after
    an enrolment's end. Returns rows inserted per kind."""
    code, period = run.county_code, run.period
    owed_months = _arrears_months(run)
    counts = {"normal": 0, "arrears": 0, "one_off": 0, "recovery": 0, "carried": 0}
    steps = len(benefits) * (1 + len(owed_months)) + 2
    step = 0
    for benefit in benefits:
        payable = payable_enrolments(county_code=code, period=period, benefit=benefit)
        if benefit.payment_kind == Benefit.PaymentKind.ONE_OFF:
            counts["one_off"] += _insert_one_off(run, benefit, payable)
            step += 1 + len(owed_months)
            if progress:
                progress(f"{benefit.name} 一次性发放", step, steps)
            continue
        normal = payable.exclude(_already_paid(benefit, period))
        counts["normal"] += insert_from_select(PayrollLine, _line_columns(run, period, "normal"), normal,
                                               skip_conflicts=True)
        step += 1
        if progress:
            progress(f"{benefit.name} {periods.code(period)}", step, steps)
        for month in owed_months:
            counts["arrears"] += _insert_arrears(run, benefit, month)
            step += 1
            if progress:
                progress(f"{benefit.name} 补发 {periods.code(month)}", step, steps)
    counts["recovery"] = _insert_recoveries(run, benefits)
    counts["carried"] = carry_failed_lines(run, benefits, actor)
    if progress:
        progress("完成", steps, steps)
    return counts


def _insert_one_off(run: PayrollRun, benefit: Benefit, payable: QuerySet) -> int:
    """一次性发放: once per elder and benefit, ever — in the month the enrolment starts or the first
    run after. The partial unique index ``payrollline_one_off_once`` (elder, benefit) WHERE
    kind = 'one_off' is the guarantee across months and runs; the NOT IN only keeps the
    statement from proposing rows the index would refuse (as ``_already_paid``: an uncorrelated
    NOT IN, hashed once)."""
    paid = PayrollLine.objects.filter(benefit=benefit, kind=PayrollLine.Kind.ONE_OFF).values("elder_id")
    qs = payable.exclude(elder_id__in=paid)
    return insert_from_select(PayrollLine, _line_columns(run, run.period, PayrollLine.Kind.ONE_OFF), qs,
                              skip_conflicts=True)


def delete_stale_lines(run: PayrollRun, benefits: list[Benefit]) -> int:
    """Before regenerating a draft (the caller holds the run's row lock and has seen it is a draft,
    so none of these lines is in a bank file; the database trigger ``payouts_line_guard`` refuses
    the DELETE otherwise): delete the lines that would not come out the same — every
    arrears and recovery line (few), and each normal line whose enrolment no longer owes this month
    or whose amount, area or bank details changed. Unchanged normal lines stay, so regenerating an
    unchanged draft writes (almost) nothing; ``insert_lines`` then adds only what is missing."""
    own = PayrollLine.objects.filter(run=run, carried_from__isnull=True)
    deleted = 0
    others = own.exclude(kind=PayrollLine.Kind.NORMAL) | own.exclude(benefit__in=benefits)
    deleted += others._raw_delete(others.db) or 0
    code, period = run.county_code, run.period
    for benefit in benefits:
        # Correlated on elder_id too, not only on the enrolment's id: both sides can then be read in
        # elder order (the enrolment's (elder, benefit) index, the lines' unique index) and PostgreSQL
        # merges them instead of probing two indexes per line (measured ~10 s → ~3 s at 1M lines).
        same = (
            payable_enrolments(county_code=code, period=period, benefit=benefit)
            .filter(pk=OuterRef("enrolment_id"), elder_id=OuterRef("elder_id"), region_code=OuterRef("region_code"))
            .filter(elder__bank_name=OuterRef("bank_name"), elder__bank_account=OuterRef("bank_account"))
            .filter(payable_amount=OuterRef("amount"))
        )
        stale = own.filter(kind=PayrollLine.Kind.NORMAL, benefit=benefit).exclude(Exists(same))
        deleted += stale._raw_delete(stale.db) or 0
    return deleted


def _arrears_months(run: PayrollRun) -> list[dt.date]:
    """Months of the arrears window for which the county has already paid out (a run past draft):
    only such a month can be "owed but never paid"."""
    earliest = periods.add_months(run.period, -max_arrears_months())
    done = (
        PayrollRun.objects.filter(county_code=run.county_code, period__gte=earliest, period__lt=run.period)
        .exclude(status=PayrollRun.Status.DRAFT).values_list("period", flat=True).distinct()
    )
    return sorted(set(done))


def _insert_arrears(run: PayrollRun, benefit: Benefit, month: dt.date) -> int:
    """补发 for ``month``: payable then and never paid — a late approval (start_period in the past)
    or, for 免申即享 benefits, an elder who qualified then but was registered late (未及时登记)."""
    qs = (
        payable_enrolments(county_code=run.county_code, period=month, benefit=benefit, late_registered=True)
        .exclude(_already_paid(benefit, month))
    )
    return insert_from_select(PayrollLine, _line_columns(run, month, "arrears"), qs, skip_conflicts=True)


def _insert_recoveries(run: PayrollRun, benefits: list[Benefit]) -> int:
    """追回: months already paid out (to the bank, not failed) that lie after the elder's death or
    move, or after the enrolment's end — e.g. a death reported two months late."""
    late = (
        Q(elder__deceased_on__lt=F("period")) | Q(elder__moved_out_on__lt=F("period"))
        | Q(enrolment__status=Enrolment.Status.ENDED, enrolment__end_period__lt=F("period"))
    )
    paid = (
        PayrollLine.objects.filter(
            run__county_code=run.county_code, run__status__in=rules.PAID_OUT, kind__in=PAID_KINDS,
            benefit__in=benefits,
        )
        .exclude(status=PayrollLine.Status.FAILED)
        .filter(late)
    )
    columns = {
        "run": Value(run.pk),
        "elder": F("elder_id"),
        "benefit": F("benefit_id"),
        "enrolment": F("enrolment_id"),
        "period": F("period"),
        "kind": Value(PayrollLine.Kind.RECOVERY),
        "amount": -F("amount"),
        "region_code": F("region_code"),
        "bank_name": F("elder__bank_name"),
        "bank_account": F("elder__bank_account"),
        "status": Value(PayrollLine.Status.PENDING),
        "failure_reason": Value(""),
    }
    return insert_from_select(PayrollLine, columns, paid, skip_conflicts=True)


def carry_failed_lines(run: PayrollRun, benefits: list[Benefit], actor: Any = None) -> int:
    """Failed lines of the county's earlier runs whose elder's bank account has since been corrected
    (different from the one the bank refused, and well-formed) move into this run, pending again.
    The line keeps its month and kind, so it is still the one payment for that month."""
    elder = Elder.objects.filter(pk=OuterRef("elder_id"))
    failed = (
        PayrollLine.objects.filter(
            run__county_code=run.county_code, run__status__in=rules.PAID_OUT, status=PayrollLine.Status.FAILED,
            benefit__in=benefits,
        )
        .exclude(run=run)
        .exclude(elder__bank_account=F("bank_account"))
        .filter(bank_account_ok_q("elder__bank_account"))
    )
    ids = list(failed.values_list("pk", flat=True))
    if not ids:
        return 0
    # Their runs first, then the lines (the order a return file's commit takes them, so the two never
    # deadlock), and only lines still failed: a return file committed meanwhile may have marked one
    # paid, and a paid line never moves (the database trigger refuses it too).
    sources = sorted(set(PayrollLine.objects.filter(pk__in=ids).values_list("run_id", flat=True)))
    list(PayrollRun.objects.select_for_update().filter(pk__in=sources).order_by("pk").values_list("pk", flat=True))
    ids = list(PayrollLine.objects.select_for_update().filter(pk__in=ids, status=PayrollLine.Status.FAILED)
               .values_list("pk", flat=True))
    record_line_events(PayrollLine.objects.filter(pk__in=ids), kind=PayrollLineEvent.Kind.CARRIED,
                       to_status=PayrollLine.Status.PENDING, source=f"转入{run}（批次 {run.pk}）",
                       user=run.created_by if actor is None else actor)
    return PayrollLine.objects.filter(pk__in=ids).update(
        carried_from=F("run"), run=run, status=PayrollLine.Status.PENDING, failure_reason="",
        bank_name=elder.values("bank_name")[:1], bank_account=elder.values("bank_account")[:1],
    )


def bank_account_ok_q(field: str) -> Q:
    """SQL twin of ``rules.bank_account_ok`` (12–30 ASCII digits) on ``field``, written as length
    bounds and a one-character class so PostgreSQL does not run a bounded-repetition regex per row."""
    length = Length(field)
    return (
        Q(GreaterThanOrEqual(length, rules.BANK_ACCOUNT_MIN)) & Q(LessThanOrEqual(length, rules.BANK_ACCOUNT_MAX))
        & ~Q(**{f"{field}__regex": rules.NON_DIGIT_RE})
    )


def insert_checks(run: PayrollRun) -> dict[str, int]:
    """The pre-approval checks (docs/contributing.md; issue 8 §3), one set-based INSERT each."""
    lines = PayrollLine.objects.filter(run=run)
    paying = lines.exclude(kind=PayrollLine.Kind.RECOVERY)
    factor = amount_change_factor()
    previous = PayrollLine.objects.filter(
        elder_id=OuterRef("elder_id"), benefit_id=OuterRef("benefit_id"),
        period=periods.add_months(run.period, -1), kind=PayrollLine.Kind.NORMAL,
    ).exclude(run=run)
    # Elder.id_number is unique, so "the same ID number" is "the same elder row" here: the semi-join
    # runs on the (elder, benefit, period, kind) index instead of joining every line to its elder.
    elsewhere = PayrollLine.objects.filter(elder_id=OuterRef("elder_id"), period=OuterRef("period")).exclude(
        run__county_code=run.county_code)
    found = {
        # Driven from the few elders who died or moved (a semi-join), not by joining every line.
        CheckItem.Kind.DECEASED: paying.filter(Exists(Elder.objects.filter(pk=OuterRef("elder_id")).filter(
            Q(deceased_on__isnull=False) | Q(moved_out_on__isnull=False)))),
        CheckItem.Kind.BANK: paying.exclude(bank_account_ok_q("bank_account")),
        CheckItem.Kind.AMOUNT_CHANGE: lines.filter(kind=PayrollLine.Kind.NORMAL).filter(
            Exists(previous.filter(
                Q(amount__lt=OuterRef("amount") / Value(factor, output_field=MONEY))
                | Q(amount__gt=OuterRef("amount") * Value(factor, output_field=MONEY))
            ))
        ),
        CheckItem.Kind.OTHER_COUNTY: paying.filter(Exists(elsewhere)),
    }
    counts = {}
    for kind, qs in found.items():
        counts[str(kind)] = insert_from_select(CheckItem, {
            "run": Value(run.pk), "kind": Value(str(kind)), "line": F("pk"), "elder": F("elder_id"),
            "region_code": F("region_code"),
        }, qs)
    return counts
