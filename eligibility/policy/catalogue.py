"""Reading the catalogue for one county and one month: which rules apply, in which order, how much.

Rules and parameters are few (tens), so they are resolved here in Python once per county and month;
the elders are only ever touched by the SQL the compiler builds.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.db.models import Q

from ..models import Benefit, BenefitRule, PolicyParameter
from . import periods
from .vocabulary import LABELS, validate

CENT = Decimal("0.01")


class MissingParameter(LookupError):
    pass


def in_force_q(day: dt.date) -> Q:
    return Q(effective_from__lte=day) & (Q(effective_to__isnull=True) | Q(effective_to__gte=day))


def covering_prefixes(code: str) -> list[str]:
    """The jurisdiction codes whose area contains a 12-digit code: its province, city and county."""
    return [code[:2] + "0" * 10, code[:4] + "0" * 8, code[:6] + "0" * 6]


def resolve_parameter(key: str, county_code: str, day: dt.date) -> PolicyParameter:
    """The most local value of a parameter in force on ``day`` for a county (county > city > province)."""
    candidates = {
        p.jurisdiction.code: p
        for p in PolicyParameter.objects.filter(in_force_q(day), key=key, jurisdiction__code__in=covering_prefixes(county_code))
        .select_related("jurisdiction")
    }
    for code in reversed(covering_prefixes(county_code)):
        if code in candidates:
            return candidates[code]
    raise MissingParameter(f"缺少参数“{key}”（{county_code}，{day}）")


def monthly_amount(rule: BenefitRule, county_code: str, day: dt.date) -> Decimal:
    kind = rule.amount_kind
    if kind in (BenefitRule.AmountKind.FIXED, BenefitRule.AmountKind.ONE_OFF):
        return rule.amount.quantize(CENT)
    if kind == BenefitRule.AmountKind.NONE:
        return Decimal("0.00")
    base = resolve_parameter(rule.parameter_key, county_code, day).value
    factor = rule.amount / 100 if kind == BenefitRule.AmountKind.PERCENT else rule.amount
    return (base * factor).quantize(CENT, rounding=ROUND_HALF_UP)


def yuan(amount: Decimal) -> str:
    """Decimal('100.00') → '100'; Decimal('64.50') → '64.5'."""
    text = f"{amount.quantize(CENT):f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


@dataclass(frozen=True)
class AppliedRule:
    """A rule as it applies in one county and month: its amount and the reason sentence around the
    birth date (``reason_before`` + 'YYYY-MM-DD' + ``reason_after``; with no age criterion the
    birth date is left out and ``reason_before`` is the whole sentence)."""

    rule: BenefitRule
    amount: Decimal
    reason_before: str
    reason_after: str
    uses_birth_date: bool
    locality: int

    def reason_for(self, birth_date: dt.date | None) -> str:
        if self.uses_birth_date and birth_date is not None:
            return f"{self.reason_before}{birth_date:%Y-%m-%d}{self.reason_after}"
        return self.reason_before + self.reason_after


def _describe(criteria: dict) -> list[str]:
    from registry.public import CareSetting, DisabilityCategory, EconomicStatus, LivingArrangement, SpecialFamily, VeteranCategory

    names: dict[str, Any] = {
        "economic_status": EconomicStatus, "living_arrangement": LivingArrangement, "care_setting": CareSetting,
        "disability_category": DisabilityCategory, "special_family": SpecialFamily, "veteran_category": VeteranCategory,
    }
    parts: list[str] = []
    for key, value in criteria.items():
        if key.startswith("age"):
            continue
        if key in names:
            labels = dict(names[key].choices)
            parts.append(f"{LABELS[key]}为{'或'.join(str(labels.get(v, v)) for v in value)}")
        elif key == "sex":
            parts.append("男性" if value == ["M"] else "女性" if value == ["F"] else "")
        elif key in ("ability_level", "disability_grade"):
            low, high = value["min"], value["max"]
            unit = "级"
            if low is not None and high is not None:
                parts.append(f"{LABELS[key]}{low}–{high}{unit}" if low != high else f"{LABELS[key]}{low}{unit}")
            elif low is not None:
                parts.append(f"{LABELS[key]}{low}{unit}及以上")
            else:
                parts.append(f"{LABELS[key]}{high}{unit}及以下")
        elif key == "ability_assessed":
            parts.append("已做能力评估" if value else "尚未做能力评估")
        elif key == "has_disability":
            parts.append("持有残疾证" if value else "无残疾证")
        elif key == "local_hukou" and not value:  # local hukou is the registry's normal case: left unsaid
            parts.append("非本地户籍")
        elif key == "hukou_type":
            parts.append("城镇户籍" if value == "urban" else "农村户籍")
    return [p for p in parts if p]


def _amount_text(rule: BenefitRule, amount: Decimal, county_code: str, period: dt.date) -> str:
    kind = rule.amount_kind
    if kind == BenefitRule.AmountKind.NONE:
        return ""
    if kind == BenefitRule.AmountKind.ONE_OFF:
        return f"一次性{yuan(amount)}元"
    text = f"每月{yuan(amount)}元"
    if kind in (BenefitRule.AmountKind.PERCENT, BenefitRule.AmountKind.MULTIPLE):
        name = resolve_parameter(rule.parameter_key, county_code, period).name.split("（")[0]
        share = f"{yuan(rule.amount)}%" if kind == BenefitRule.AmountKind.PERCENT else f"{yuan(rule.amount)}倍"
        text += f"（{name}的{share}）"
    return text


def applied_rule(rule: BenefitRule, county_code: str, period: dt.date) -> AppliedRule:
    """Amount and reason sentence of one rule in a county and month (raises MissingParameter)."""
    criteria = validate(rule.criteria)
    amount = monthly_amount(rule, county_code, period)
    age = criteria.get("age")
    lead = ""
    if age and age.get("min") is not None:
        lead = f"年满{age['min']}周岁"
    elif age:
        lead = f"未满{age['max']}周岁"
    elif "age_male" in criteria or "age_female" in criteria:
        bits = []
        for key, who in (("age_male", "男"), ("age_female", "女")):
            b = criteria.get(key)
            if b:
                span = f"{b['min'] or 0}–{b['max'] - 1}周岁" if b.get("max") is not None else f"{b['min']}周岁以上"
                bits.append(f"{who}{span}")
        lead = "年龄符合（" + "、".join(bits) + "）"
    others = _describe(criteria)
    tail_parts = [*others, f"符合{rule.benefit.name}{rule.label}"]
    amount_text = _amount_text(rule, amount, county_code, period)
    if amount_text:
        tail_parts.append(amount_text)
    tail_parts.append(f"自{periods.label(period)}起")
    tail = "，".join(tail_parts)
    if lead:
        return AppliedRule(rule, amount, f"{lead}（", f"出生），{tail}", True, len(rule.jurisdiction.prefix))
    return AppliedRule(rule, amount, tail, "", False, len(rule.jurisdiction.prefix))


def rules_in_force(benefit: Benefit, county_code: str, period: dt.date) -> list[BenefitRule]:
    return list(
        BenefitRule.objects.filter(in_force_q(period), benefit=benefit, jurisdiction__code__in=covering_prefixes(county_code))
        .select_related("jurisdiction", "benefit")
    )


def applicable_rules(
    benefit: Benefit, county_code: str, period: dt.date, *, problems: list[str] | None = None,
    rules: list[BenefitRule] | None = None,
) -> list[AppliedRule]:
    """The rules of a benefit in force for a county and month, in decision order: the most local
    jurisdiction first, inside it the highest amount (docs/architecture.md). A rule whose parameter is
    missing is left out and reported in ``problems``."""
    out: list[AppliedRule] = []
    for rule in rules if rules is not None else rules_in_force(benefit, county_code, period):
        try:
            out.append(applied_rule(rule, county_code, period))
        except MissingParameter as exc:
            if problems is not None:
                problems.append(f"{rule}：{exc}")
    out.sort(key=lambda a: (-a.locality, -a.amount, a.rule.pk or 0))
    return out
