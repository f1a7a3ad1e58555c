"""Policy what-if (政策测算): what a draft change of the catalogue would do, before it is published.

A draft is one of:

- ``Draft.amount(rule, amount)`` — a new amount (or percentage/multiple) for an existing rule/tier;
- ``Draft.band(benefit, age_min, age_max, amount, like=rule)`` — a new age band of a benefit (its other
  criteria copied from ``like`` if given), published by the county;
- ``Draft.new_benefit(name, criteria, amount)`` — a new benefit with its criteria.

``what_if`` compares, for one county and one month (the coming one by default), the rule set in force
with the rule set after the draft: per township (first 9 digits of ``region_code``) how many elders
newly qualify, lose the benefit or get another amount, and the monthly cost before and after. It is
the sweep's own machinery — ``catalogue.applicable_rules`` orders the rules, the compiler's ``Q``
decides — folded into one grouped ``SELECT`` with conditional aggregates: no Python loop over elders,
and nothing is written (the draft rules are unsaved objects).

Amounts are what the rule pays for the month: for a one-off benefit (家庭适老化改造) the "monthly cost"
is the one-off total of the elders who qualify that month.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db import models
from django.db.models import Case, Count, DecimalField, Q, Sum, Value, When
from django.db.models.functions import Cast, Coalesce, Substr

from core.scoping import code_under_q
from regions.models import Region
from registry.public import Elder

from ..models import Benefit, BenefitRule
from . import periods
from .catalogue import AppliedRule, applicable_rules, rules_in_force
from .compiler import compile_criteria, population_q
from .vocabulary import validate

MONEY = DecimalField(max_digits=14, decimal_places=2)
ZERO = Decimal("0.00")


class DraftError(ValueError):
    """The draft cannot be evaluated (a sentence in Chinese)."""


@dataclass
class Draft:
    """One proposed change. ``benefit`` is the (possibly unsaved) benefit it concerns."""

    kind: str  # "amount" | "band" | "new_benefit"
    benefit: Benefit
    description: str
    replace: dict[int, Decimal] = field(default_factory=dict)  # rule pk → new amount
    add: list[BenefitRule] = field(default_factory=list)  # unsaved rules

    @classmethod
    def amount(cls, rule: BenefitRule, amount: Decimal) -> Draft:
        if amount is None or amount < 0:
            raise DraftError("新金额不能为空或为负数")
        return cls("amount", rule.benefit, f"{rule}：金额由{rule.amount}改为{amount}", replace={rule.pk: amount})

    @classmethod
    def band(cls, benefit: Benefit, *, county: Region, age_min: int | None, age_max: int | None,
             amount: Decimal, like: BenefitRule | None = None, effective_from: dt.date | None = None) -> Draft:
        criteria = {k: v for k, v in (like.criteria if like else {}).items() if not k.startswith("age")}
        criteria["age"] = {"min": age_min, "max": age_max}
        rule = BenefitRule(
            benefit=benefit, jurisdiction=county, label="（测算新增档）", criteria=criteria,
            effective_from=effective_from or dt.date(1900, 1, 1), amount=amount,
            amount_kind=BenefitRule.AmountKind.FIXED, start=like.start if like else BenefitRule.Start.NEXT_MONTH,
        )
        _check(rule)
        lo = "" if age_min is None else f"{age_min}"
        hi = "" if age_max is None else f"{age_max}"
        return cls("band", benefit, f"{benefit.name}新增年龄档 {lo}–{hi}周岁，每月{amount}元", add=[rule])

    @classmethod
    def new_benefit(cls, *, name: str, county: Region, criteria: Any, amount: Decimal) -> Draft:
        benefit = Benefit(code="whatif-draft", name=name or "新项目", payment_kind=Benefit.PaymentKind.MONTHLY,
                          enrolment_mode=Benefit.EnrolmentMode.VERIFIED, service_type=Benefit.ServiceType.MATERIAL)
        rule = BenefitRule(
            benefit=benefit, jurisdiction=county, label="", criteria=criteria or {},
            effective_from=dt.date(1900, 1, 1), amount=amount, amount_kind=BenefitRule.AmountKind.FIXED,
        )
        _check(rule)
        return cls("new_benefit", benefit, f"新增项目“{benefit.name}”，每月{amount}元", add=[rule])


def _check(rule: BenefitRule) -> None:
    from .vocabulary import CriteriaError

    try:
        rule.criteria = validate(rule.criteria)
    except CriteriaError as exc:
        raise DraftError(str(exc)) from exc
    if rule.amount is None or rule.amount < 0:
        raise DraftError("金额不能为空或为负数")


def _copy(rule: BenefitRule, **changes) -> BenefitRule:
    clone = BenefitRule(**{f.attname: getattr(rule, f.attname) for f in BenefitRule._meta.concrete_fields})
    clone.benefit = rule.benefit
    clone.jurisdiction = rule.jurisdiction
    for k, v in changes.items():
        setattr(clone, k, v)
    return clone


def rule_sets(draft: Draft, county_code: str, period: dt.date, problems: list[str] | None = None,
              ) -> tuple[list[AppliedRule], list[AppliedRule]]:
    """(current, after the draft) applied rules of the draft's benefit, in decision order."""
    current_rules = rules_in_force(draft.benefit, county_code, period) if draft.benefit.pk else []
    draft_rules = [
        _copy(r, amount=draft.replace[r.pk]) if r.pk in draft.replace else r for r in current_rules
    ] + list(draft.add)
    current = applicable_rules(draft.benefit, county_code, period, problems=problems, rules=current_rules)
    after = applicable_rules(draft.benefit, county_code, period, problems=problems, rules=draft_rules)
    return current, after


def amount_case(applied: list[AppliedRule], period: dt.date) -> Case:
    """The amount an elder receives under these rules (NULL: does not qualify); first match wins,
    exactly as the sweep's ``rule_case``."""
    if not applied:
        return Cast(Value(None), output_field=MONEY)  # typed NULL: SUM(NULL) has no type on PostgreSQL
    return Case(
        *[When(compile_criteria(a.rule.criteria, period=period, start=a.rule.start), then=Value(a.amount))
          for a in applied],
        default=Value(None), output_field=MONEY,
    )


@dataclass
class TownshipRow:
    code: str
    name: str
    newly: int
    losing: int
    amount_changed: int
    before: Decimal
    after: Decimal

    @property
    def difference(self) -> Decimal:
        return self.after - self.before

    @property
    def affected(self) -> int:
        return self.newly + self.losing + self.amount_changed


@dataclass
class WhatIf:
    draft: Draft
    county: Region
    period: dt.date
    rows: list[TownshipRow]
    problems: list[str]

    @property
    def total(self) -> TownshipRow:
        return TownshipRow(
            self.county.code, "合计", sum(r.newly for r in self.rows), sum(r.losing for r in self.rows),
            sum(r.amount_changed for r in self.rows), sum((r.before for r in self.rows), ZERO),
            sum((r.after for r in self.rows), ZERO),
        )


def what_if(*, draft: Draft, county: Region, elders: models.QuerySet | None = None,
            period: dt.date | None = None, today: dt.date | None = None) -> WhatIf:
    """Evaluate ``draft`` for ``county`` (a county-level region) and ``period`` (default: the month
    the next sweep decides). ``elders`` limits whom it counts (a view passes ``visible_to(user)``);
    townships where nobody qualifies before or after are left out."""
    if county.level != Region.Level.COUNTY:
        raise DraftError("政策测算按县(区)进行，请选择一个县(区)")
    period = period or periods.coming_period(today or dt.date.today())
    code = county.code
    problems: list[str] = []
    current, after = rule_sets(draft, code, period, problems)
    base = (elders if elders is not None else Elder.objects.all()).filter(
        code_under_q("region_code", code[:6])
    ).filter(population_q(period))
    before_q = amount_case(current, period)
    after_q = amount_case(after, period)
    qs = (
        base.annotate(_before=before_q, _after=after_q)
        .filter(Q(_before__isnull=False) | Q(_after__isnull=False))
        .annotate(_t=Substr("region_code", 1, 9))
        .values("_t")
        .annotate(
            newly=Count("pk", filter=Q(_before__isnull=True, _after__isnull=False)),
            losing=Count("pk", filter=Q(_before__isnull=False, _after__isnull=True)),
            changed=Count("pk", filter=Q(_before__isnull=False, _after__isnull=False) & ~Q(_before=models.F("_after"))),
            cost_before=Coalesce(Sum("_before"), Value(ZERO), output_field=MONEY),
            cost_after=Coalesce(Sum("_after"), Value(ZERO), output_field=MONEY),
        )
        .order_by("_t")
    )
    grouped = list(qs)
    names = dict(
        Region.objects.filter(code__in=[g["_t"] + "000" for g in grouped]).values_list("code", "name")
    )
    rows = [
        TownshipRow(
            g["_t"] + "000", names.get(g["_t"] + "000", g["_t"] + "000"), g["newly"], g["losing"], g["changed"],
            Decimal(g["cost_before"]).quantize(Decimal("0.01")), Decimal(g["cost_after"]).quantize(Decimal("0.01")),
        )
        for g in grouped
    ]
    return WhatIf(draft=draft, county=county, period=period, rows=rows, problems=problems)
