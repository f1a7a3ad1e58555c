"""Checks a BenefitRule must pass before it is saved (the admin calls these through ``clean()``).

Refused, with a message naming both rules: a rule that cannot be compiled; a second rule with the
same criteria in an overlapping window; age bands of one benefit that overlap; a county (or city)
amount below the floor its city or province sets for the same people (「不得低于」).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError

from . import catalogue
from .vocabulary import AGE_KEYS, CriteriaError, validate

FAR_FUTURE = dt.date(9999, 12, 31)


def windows_overlap(a: Any, b: Any) -> bool:
    return a.effective_from <= (b.effective_to or FAR_FUTURE) and b.effective_from <= (a.effective_to or FAR_FUTURE)


def _bands_overlap(x: dict | None, y: dict | None) -> bool:
    if x is None or y is None:
        return True
    lo = max(x["min"] if x["min"] is not None else 0, y["min"] if y["min"] is not None else 0)
    hi = min(x["max"] if x["max"] is not None else 10**6, y["max"] if y["max"] is not None else 10**6)
    return lo < hi


def _inclusive_overlap(x: dict, y: dict) -> bool:
    lo = max(v for v in (x["min"], y["min"], -1) if v is not None)
    hi = min(v for v in (x["max"], y["max"], 10**6) if v is not None)
    return lo <= hi


def coverage_overlaps(a: dict, b: dict) -> bool:
    """Whether some elder could meet both criteria (a cheap, conservative test on the vocabulary)."""
    for key in set(a) & set(b):
        x, y = a[key], b[key]
        if key in AGE_KEYS:
            if not _bands_overlap(x, y):
                return False
        elif key in ("ability_level", "disability_grade"):
            if not _inclusive_overlap(x, y):
                return False
        elif isinstance(x, list):
            if not set(x) & set(y):
                return False
        elif x != y:
            return False
    return True


def _without_age(c: dict) -> dict:
    return {k: v for k, v in c.items() if k not in AGE_KEYS}


def validate_rule(rule: Any) -> None:
    """Raise ValidationError if ``rule`` (a BenefitRule, saved or not) may not be published."""
    from ..models import BenefitRule, PolicyParameter
    from ..models.catalogue import JURISDICTION_LEVELS

    try:
        criteria = validate(rule.criteria)
    except CriteriaError as exc:
        raise ValidationError({"criteria": f"条件无法编译：{exc}"}) from None
    if rule.effective_to and rule.effective_from and rule.effective_to < rule.effective_from:
        raise ValidationError({"effective_to": "失效日期不能早于生效日期"})
    kinds = BenefitRule.AmountKind
    if rule.amount_kind in (kinds.PERCENT, kinds.MULTIPLE):
        if not rule.parameter_key:
            raise ValidationError({"parameter_key": "按参数计算的金额须填写参数代码"})
        if not PolicyParameter.objects.filter(key=rule.parameter_key).exists():
            raise ValidationError({"parameter_key": f"参数“{rule.parameter_key}”不存在，请先在“政策参数”中添加"})
    elif rule.amount_kind in (kinds.FIXED, kinds.ONE_OFF) and (rule.amount is None or rule.amount <= 0):
        raise ValidationError({"amount": "请填写大于0的金额"})
    if not rule.benefit_id or not rule.jurisdiction_id or not rule.effective_from:
        return
    if rule.jurisdiction.level not in JURISDICTION_LEVELS:
        raise ValidationError({"jurisdiction": "规则只能由省、市或县(区)制定"})

    same_place = (
        BenefitRule.objects.filter(benefit_id=rule.benefit_id, jurisdiction_id=rule.jurisdiction_id)
        .exclude(pk=rule.pk).select_related("benefit", "jurisdiction")
    )
    for other in same_place:
        if not windows_overlap(rule, other):
            continue
        try:
            theirs = validate(other.criteria)
        except CriteriaError:
            continue
        if theirs == criteria:
            raise ValidationError(
                f"有效期重叠：本规则“{_name(rule)}”与已有规则“{other}”条件相同，有效期重叠。"
                "调整标准时请先为旧规则填写失效日期。"
            )
        if _without_age(theirs) == _without_age(criteria) and any(k in criteria or k in theirs for k in AGE_KEYS):
            if all(_bands_overlap(criteria.get(k), theirs.get(k)) for k in AGE_KEYS if k in criteria or k in theirs):
                raise ValidationError(
                    f"年龄档次重叠：本规则“{_name(rule)}”与已有规则“{other}”的年龄段重叠（年龄段按“含下限、不含上限”计）。"
                )
    _check_floor(rule, criteria)


def _name(rule: Any) -> str:
    try:
        return str(rule)
    except Exception:  # pragma: no cover - unsaved rule without relations
        return rule.label or "新规则"


def _amount_at(rule: Any, place_code: str) -> Decimal | None:
    try:
        return catalogue.monthly_amount(rule, place_code, rule.effective_from)
    except catalogue.MissingParameter:
        return None


def _check_floor(rule: Any, criteria: dict) -> None:
    """「覆盖范围和实现程度不得低于」: a more local rule may not pay less than the level above it
    for the same people in the same time."""
    from ..models import BenefitRule

    kinds = BenefitRule.AmountKind
    if rule.amount_kind in (kinds.NONE,):
        return
    code = rule.jurisdiction.code
    above = sorted({c for c in catalogue.covering_prefixes(code) if c != code})
    if not above:
        return
    mine = _amount_at(rule, code)
    for other in BenefitRule.objects.filter(benefit_id=rule.benefit_id, jurisdiction__code__in=above).select_related(
        "benefit", "jurisdiction"
    ):
        if other.amount_kind == kinds.NONE or not windows_overlap(rule, other):
            continue
        try:
            theirs = validate(other.criteria)
        except CriteriaError:
            continue
        if not coverage_overlaps(criteria, theirs):
            continue
        _check_coverage(rule, criteria, other, theirs)
        floor = _amount_at(other, code)
        if mine is not None and floor is not None and mine < floor:
            raise ValidationError(
                f"低于上级标准：本规则“{_name(rule)}”每月{catalogue.yuan(mine)}元，低于{other.jurisdiction.name}"
                f"规则“{other}”的每月{catalogue.yuan(floor)}元（下级标准不得低于上级）。"
            )


def _lowest_min(c: dict, key: str) -> int:
    band = c.get(key) or {}
    return band.get("min") or 0


def _check_coverage(rule: Any, criteria: dict, other: Any, theirs: dict) -> None:
    """「覆盖范围不得低于」: for the same people otherwise (equal criteria apart from age), the
    bands a county (or city) sets for a benefit must start no later than the level above — a
    county 80+ band under a provincial 70+ rule would leave the 70–79 year-olds out."""
    from ..models import BenefitRule

    if _without_age(criteria) != _without_age(theirs):
        return
    keys = [k for k in AGE_KEYS if k in theirs and k in criteria]
    if not keys:
        return
    siblings = [criteria]
    for sib in BenefitRule.objects.filter(benefit_id=rule.benefit_id, jurisdiction_id=rule.jurisdiction_id).exclude(
        pk=rule.pk
    ):
        if not windows_overlap(sib, other):
            continue
        try:
            c = validate(sib.criteria)
        except CriteriaError:
            continue
        if _without_age(c) == _without_age(criteria):
            siblings.append(c)
    for key in keys:
        start = min(_lowest_min(c, key) for c in siblings if key in c)
        floor = _lowest_min(theirs, key)
        if start > floor:
            raise ValidationError(
                f"覆盖范围窄于上级：本规则“{_name(rule)}”从{start}周岁起，{other.jurisdiction.name}规则“{other}”"
                f"从{floor}周岁起（下级覆盖范围不得窄于上级）。请先设立{floor}周岁起的档次。"
            )
