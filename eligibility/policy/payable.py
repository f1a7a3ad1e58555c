"""Payable enrolments: who is paid for a benefit in a county and month, and how much.

The policy engine's one answer to payroll (``payouts`` inserts its lines from this queryset and
knows no rule). Set-based: a queryset of ``Enrolment`` annotated with ``payable_amount``, built from
the compiler's ``Q`` and run in the database (docs/architecture.md: rules are data).

Amount of an enrolment for month m: the first rule of the benefit in force in m that the elder meets
(most local jurisdiction first, then the highest amount — the sweep's order, from
``catalogue.applicable_rules``); failing that, the enrolment's own rule's amount in m; failing that,
the enrolment's stored amount. Only enrolments with an amount above zero are payable.
"""

from __future__ import annotations

import datetime as dt

from django.db import models
from django.db.models import Case, Exists, F, OuterRef, Q, QuerySet, Value, When

from ..models import Benefit, Enrolment, EnrolmentEvent
from .catalogue import AppliedRule, applicable_rules
from .compiler import compile_criteria, population_q

MONEY = models.DecimalField(max_digits=10, decimal_places=2)


def payable_enrolments(*, county_code: str, period: dt.date, benefit: Benefit,
                       late_registered: bool = False) -> QuerySet[Enrolment]:
    """The enrolments of ``benefit`` in the county (``county_code``, 12 digits) payable for the month
    ``period`` (its 1st day), each annotated with ``payable_amount`` (> 0), for elders alive and
    not moved out before the month (``population_q``).

    - A monthly benefit (按月发放): enrolments that owe the month (``payable_q``).
    - A one-off benefit (一次性发放): granted one-off enrolments due by the month (``one_off_due_q``).
      Once per elder and benefit, ever: the caller leaves out whom it has already paid.
    - ``late_registered`` (a month already paid out, looked at again): for a 免申即享 benefit, also
      active enrolments that start after the month whose elder already qualified in it (registered
      late, 未及时登记).

    One benefit per call: the amount is a ``CASE`` over that benefit's rules only."""
    applied = applicable_rules(benefit, county_code, period)
    enrolments = Enrolment.objects.in_area(county_code[:6]).filter(benefit=benefit)
    if benefit.payment_kind == Benefit.PaymentKind.ONE_OFF:
        due = enrolments.filter(one_off_due_q(period), population_q(period, prefix="elder__"))
    elif late_registered:
        owed = payable_q(period)
        if benefit.is_automatic and applied:
            owed |= Q(status=Enrolment.Status.ACTIVE, start_period__gt=period) & Q(_qualified__isnull=False)
        due = (
            enrolments.filter(population_q(period, prefix="elder__"))
            .alias(_qualified=amount_expression(applied, period, qualifying_only=True))
            .filter(owed)
        )
    else:
        due = enrolments.filter(payable_q(period), population_q(period, prefix="elder__"))
    return due.annotate(payable_amount=amount_expression(applied, period)).filter(payable_amount__gt=0)


def amount_expression(applied: list[AppliedRule], period: dt.date, *, qualifying_only: bool = False) -> Case:
    """SQL for an enrolment's amount in ``period`` (see the module docstring); ``qualifying_only``:
    the amount of the first rule the elder meets, else NULL."""
    whens = [When(_criteria_q(a, period), then=Value(a.amount)) for a in applied]
    if qualifying_only:
        return Case(*whens, default=Value(None), output_field=MONEY)
    whens += [When(rule_id=a.rule.pk, then=Value(a.amount)) for a in applied]
    return Case(*whens, default=F("amount"), output_field=MONEY)


def _criteria_q(applied: AppliedRule, period: dt.date) -> Q:
    q = compile_criteria(applied.rule.criteria, period=period, start=applied.rule.start, prefix="elder__")
    return q if q else Q(elder__isnull=False)  # a rule without criteria: everyone (When() refuses an empty Q)


def _granted() -> Exists:
    """The enrolment was ever granted: activated or approved."""
    return Exists(EnrolmentEvent.objects.filter(
        enrolment_id=OuterRef("pk"), kind__in=[EnrolmentEvent.Kind.ACTIVATED, EnrolmentEvent.Kind.APPROVED]
    ))


def payable_q(period: dt.date) -> Q:
    """Enrolments that owe ``period``: active and started, or ended at or after it (a death reported
    after the sweep: paid up to and including the month of death) — but only ended ones that were
    ever granted (a never-approved candidate closed by a death is not paid)."""
    covers = Q(start_period__lte=period) & (Q(end_period__isnull=True) | Q(end_period__gte=period))
    return covers & (
        Q(status=Enrolment.Status.ACTIVE)
        | (Q(status=Enrolment.Status.ENDED, end_period__isnull=False) & _granted())
    )


def one_off_due_q(period: dt.date) -> Q:
    """Enrolments of a one-off benefit due by ``period``: started in or before it (a run missed in
    the start month pays in the first run after) and granted — active, or ended after having been
    activated or approved (a never-approved candidate is not paid)."""
    return Q(start_period__lte=period) & (
        Q(status=Enrolment.Status.ACTIVE) | (Q(status=Enrolment.Status.ENDED) & _granted())
    )
