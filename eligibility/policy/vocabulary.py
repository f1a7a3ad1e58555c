"""The fixed criteria vocabulary of a BenefitRule (docs/architecture.md "Rules as data").

A rule's ``criteria`` is a JSON object; every key below is optional and all present keys must hold
(a conjunction). Anything else is refused with a reason a county administrator can act on.

=====================  ==========================================================================
key                    meaning
=====================  ==========================================================================
age                    {"min": 80, "max": 90} whole years, closed-open (80 ≤ age < 90); either end
                       may be left out. Age is counted on the rule's reference day (see ``start``).
age_male, age_female   the same, per sex (计生特扶: men 49–59, women 49–54). With either present,
                       an elder qualifies only if the bound for their sex is present and holds.
sex                    ["M"] or ["F"]
economic_status        a set of economic statuses (choices.EconomicStatus); the status counts only
                       inside its effective dates (economic_status_from/_to) on the paid month's 1st.
ability_level          {"min": 3, "max": 4} inclusive (GB/T 42195-2022 levels 0–4); not assessed
                       never matches a range.
ability_assessed       false = no assessment on record (ability_level empty); true = assessed.
assessment_due         true = due for an ability (re)assessment in the month being decided: never
                       assessed (ability_level empty) OR ``assessment_due_on`` (the next due date
                       of the latest valid GB/T 42195-2022 assessment) is on or before the 1st of
                       that month — the day the month's other dated criteria (economic status,
                       the default age reference day) are judged on. A sweep run on ``as_of``
                       decides the month after ``as_of``, so it finds everyone already past due
                       and everyone falling due by that 1st. false = the exact opposite:
                       assessed, and the due date is after that 1st or not on record (a level
                       with no due date, e.g. only an MZ/T 039-2013 result, is not "due").
disability_grade       {"min": 1, "max": 2} inclusive (grade 1 is the most severe).
has_disability         true = holds a disability grade; false = none.
disability_category    a set of categories (choices.DisabilityCategory, not empty).
living_arrangement     a set (choices.LivingArrangement).
special_family         a set (choices.SpecialFamily, not empty).
veteran_category       a set (choices.VeteranCategory, not empty).
local_hukou            true / false.
hukou_type             "urban" or "rural".
care_setting           a set (choices.CareSetting).
=====================  ==========================================================================
"""

from __future__ import annotations

from typing import Any

from registry.public import (
    CareSetting,
    DisabilityCategory,
    EconomicStatus,
    HukouType,
    LivingArrangement,
    Sex,
    SpecialFamily,
    VeteranCategory,
)

AGE_KEYS = ("age", "age_male", "age_female")
INCLUSIVE_RANGES = {"ability_level": (0, 4), "disability_grade": (1, 4)}
SETS: dict[str, tuple[str, set[str]]] = {
    "sex": ("sex", set(Sex.values)),
    "economic_status": ("economic_status", set(EconomicStatus.values)),
    "disability_category": ("disability_category", set(DisabilityCategory.values) - {""}),
    "living_arrangement": ("living_arrangement", set(LivingArrangement.values)),
    "special_family": ("special_family", set(SpecialFamily.values) - {""}),
    "veteran_category": ("veteran_category", set(VeteranCategory.values) - {""}),
    "care_setting": ("care_setting", set(CareSetting.values)),
}
BOOLS = ("local_hukou", "ability_assessed", "assessment_due", "has_disability")
CHOICES = {"hukou_type": set(HukouType.values)}

KEYS = (*AGE_KEYS, *INCLUSIVE_RANGES, *SETS, *BOOLS, *CHOICES)

LABELS = {
    "age": "年龄",
    "age_male": "男性年龄",
    "age_female": "女性年龄",
    "sex": "性别",
    "economic_status": "经济状况",
    "ability_level": "能力等级",
    "ability_assessed": "是否已评估",
    "assessment_due": "能力评估到期",
    "disability_grade": "残疾等级",
    "has_disability": "是否持残疾证",
    "disability_category": "残疾类别",
    "living_arrangement": "居住状况",
    "special_family": "计生特殊家庭",
    "veteran_category": "优抚对象类别",
    "local_hukou": "本地户籍",
    "hukou_type": "户籍类型",
    "care_setting": "照护场所",
}


class CriteriaError(ValueError):
    """Why a rule's criteria cannot be compiled (a sentence in Chinese)."""


def _int(value: Any, key: str, end: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise CriteriaError(f"条件“{LABELS[key]}”的{end}应为整数，现为 {value!r}")
    return value


def _range(key: str, value: Any, *, closed_open: bool) -> tuple[int | None, int | None]:
    if not isinstance(value, dict) or not value or set(value) - {"min", "max"}:
        raise CriteriaError(f"条件“{LABELS[key]}”应写成 {{\"min\": 下限, \"max\": 上限}}，至少一项")
    low = _int(value["min"], key, "下限") if value.get("min") is not None else None
    high = _int(value["max"], key, "上限") if value.get("max") is not None else None
    if low is None and high is None:
        raise CriteriaError(f"条件“{LABELS[key]}”的上下限不能都为空")
    if low is not None and high is not None:
        if low > high or (closed_open and low == high):
            raise CriteriaError(f"条件“{LABELS[key]}”的下限 {low} 大于上限 {high}，没有人能符合")
    if key in INCLUSIVE_RANGES:
        lo, hi = INCLUSIVE_RANGES[key]
        for v in (low, high):
            if v is not None and not lo <= v <= hi:
                raise CriteriaError(f"条件“{LABELS[key]}”的取值应在 {lo}–{hi} 之间，现为 {v}")
    elif any(v is not None and v < 0 for v in (low, high)):
        raise CriteriaError(f"条件“{LABELS[key]}”不能为负数")
    return low, high


def validate(criteria: Any) -> dict[str, Any]:
    """Return the criteria in normal form, or raise CriteriaError naming the problem."""
    if criteria is None:
        return {}
    if not isinstance(criteria, dict):
        raise CriteriaError("条件应为一个 JSON 对象，例如 {\"age\": {\"min\": 80}}")
    unknown = sorted(set(criteria) - set(KEYS))
    if unknown:
        raise CriteriaError(f"未知的条件项：{'、'.join(unknown)}（可用：{'、'.join(KEYS)}）")
    out: dict[str, Any] = {}
    for key, value in criteria.items():
        if key in AGE_KEYS:
            low, high = _range(key, value, closed_open=True)
            out[key] = {"min": low, "max": high}
        elif key in INCLUSIVE_RANGES:
            low, high = _range(key, value, closed_open=False)
            out[key] = {"min": low, "max": high}
        elif key in SETS:
            allowed = SETS[key][1]
            if isinstance(value, str) or not isinstance(value, list | tuple):
                raise CriteriaError(f"条件“{LABELS[key]}”应为取值列表，例如 [\"{sorted(allowed)[0]}\"]")
            if not value:
                raise CriteriaError(f"条件“{LABELS[key]}”是空集合，没有人能符合")
            bad = sorted(str(v) for v in value if v not in allowed)
            if bad:
                raise CriteriaError(f"条件“{LABELS[key]}”含未知取值：{'、'.join(bad)}（可用：{'、'.join(sorted(allowed))}）")
            out[key] = sorted(set(value))
        elif key in BOOLS:
            if not isinstance(value, bool):
                raise CriteriaError(f"条件“{LABELS[key]}”应为 true 或 false")
            out[key] = value
        else:
            if value not in CHOICES[key]:
                raise CriteriaError(f"条件“{LABELS[key]}”应为 {'、'.join(sorted(CHOICES[key]))} 之一")
            out[key] = value
    if out.get("ability_assessed") is False and out.get("assessment_due") is False:
        raise CriteriaError(
            f"条件“{LABELS['ability_assessed']}”为 false 时“{LABELS['assessment_due']}”不能为 false："
            "尚未评估的老年人总是应评估，没有人能符合"
        )
    return out
