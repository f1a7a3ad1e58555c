"""Scoring and levels of GB/T 42195-2022 as pure functions (no ORM). docs/domain.md §1.1.

total → preliminary level (初步等级) by the bands below, then the level-adjustment rules (能力等级
变更依据, report section C.4) → final level (最终等级, C.5) with the reasons that applied.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

GBT_42195_2022 = "GB/T 42195-2022"
MZT_039_2013 = "MZ/T 039-2013"

INTACT, MILD, MODERATE, SEVERE, TOTAL = 0, 1, 2, 3, 4
LEVEL_LABELS = {
    INTACT: "能力完好",
    MILD: "轻度失能",
    MODERATE: "中度失能",
    SEVERE: "重度失能",
    TOTAL: "完全失能",
}

# (lowest total of the band, level), highest band first. GB/T 42195-2022: 90 / 66–89 / 46–65 / 30–45 / 0–29.
LEVEL_BANDS: tuple[tuple[int, int], ...] = ((90, INTACT), (66, MILD), (46, MODERATE), (30, SEVERE), (0, TOTAL))
MAX_TOTAL = 90

# Care-risk events of section A (照护风险事件) counted over the last 30 days; 3 means "3 or more".
RISK_EVENTS = {
    "falls": "跌倒",
    "choking": "噎食",
    "self_harm": "自杀/自伤",
    "wandering": "走失",
}


@dataclass(frozen=True)
class ItemSpec:
    code: str
    indicator: str
    name: str
    scores: frozenset[int]  # the scores of the item's options


@dataclass(frozen=True)
class IndicatorSpec:
    code: str
    name: str
    max_score: int


@dataclass(frozen=True)
class Instrument:
    """What scoring needs to know of a standard: its indicators and items with their option scores."""

    standard: str
    indicators: tuple[IndicatorSpec, ...]
    items: tuple[ItemSpec, ...]

    @property
    def item_codes(self) -> list[str]:
        return [item.code for item in self.items]


@dataclass(frozen=True)
class CareFacts:
    """Section A facts the adjustment rules read."""

    coma: bool = False
    diagnoses: tuple[str, ...] = ()  # ICD-10 codes, e.g. ("F03", "I10")
    risk_events: Mapping[str, int] = field(default_factory=dict)  # RISK_EVENTS key → count in 30 days


@dataclass(frozen=True)
class Result:
    subtotals: dict[str, int]
    total: int
    preliminary_level: int
    final_level: int
    reasons: list[str]  # readable C.4 reasons that applied, empty if none
    rules_version: str


class AnswerError(ValueError):
    def __init__(self, errors: dict[str, str]):
        self.errors = errors
        super().__init__("；".join(f"{k}：{v}" for k, v in errors.items()))


def check_answers(instrument: Instrument, answers: Mapping[str, object]) -> dict[str, str]:
    """Problems per item code (Chinese): a missing answer, or a score outside the item's options."""
    errors: dict[str, str] = {}
    for item in instrument.items:
        value = answers.get(item.code)
        if value is None or value == "":
            errors[item.code] = f"{item.code} {item.name}：未作答"
            continue
        try:
            score = int(str(value))
        except ValueError:
            score = -1
        if isinstance(value, bool) or score not in item.scores or str(value).strip() != str(score):
            allowed = "、".join(str(s) for s in sorted(item.scores, reverse=True))
            errors[item.code] = f"{item.code} {item.name}：答案“{value}”不是本项的选项（可选 {allowed} 分）"
    unknown = sorted(set(answers) - set(instrument.item_codes))
    for code in unknown:
        errors[code] = f"{code}：不是 {instrument.standard} 的评估项目"
    return errors


def normalise_answers(instrument: Instrument, answers: Mapping[str, object]) -> dict[str, int]:
    """{item code: score} as ints in the standard's order; raises AnswerError naming every bad item."""
    errors = check_answers(instrument, answers)
    if errors:
        raise AnswerError(errors)
    return {code: int(str(answers[code])) for code in instrument.item_codes}


def subtotals(instrument: Instrument, answers: Mapping[str, int]) -> dict[str, int]:
    sums = {ind.code: 0 for ind in instrument.indicators}
    for item in instrument.items:
        sums[item.indicator] += int(answers[item.code])
    return sums


def preliminary_level(total: int) -> int:
    """初步等级 from the total score (0–90)."""
    if not 0 <= total <= MAX_TOTAL:
        raise ValueError(f"总分应在0–{MAX_TOTAL}之间：{total}")
    for lowest, level in LEVEL_BANDS:
        if total >= lowest:
            return level
    raise AssertionError("unreachable")  # pragma: no cover


_ICD10 = re.compile(r"^([A-Z])(\d{2})(?:\.\d{1,2})?$")


def parse_icd10(text: str) -> tuple[list[str], list[str]]:
    """Split a clerk's list of ICD-10 codes (commas, 、, ；, spaces) → (normalised codes, bad tokens)."""
    tokens = [t for t in re.split(r"[\s,，、;；]+", text.upper().replace("．", ".")) if t]
    good: list[str] = []
    bad: list[str] = []
    for token in tokens:
        (good if _ICD10.match(token) else bad).append(token)
    return list(dict.fromkeys(good)), bad


def is_mental_disorder(code: str) -> bool:
    """F00–F99: dementia (F00–F03) and other mental and behavioural disorders (ICD-10 chapter V)."""
    match = _ICD10.match(code.strip().upper())
    return match is not None and match.group(1) == "F"


def risk_event_total(events: Mapping[str, int]) -> int:
    return sum(max(0, int(events.get(key, 0) or 0)) for key in RISK_EVENTS)


@dataclass(frozen=True)
class AdjustmentRule:
    """One C.4 rule. ``to`` sets the level directly; ``by`` raises it. Raises add up; capped at 完全失能."""

    code: str
    description: str
    to: int | None = None
    by: int = 0

    def applies(self, facts: CareFacts) -> bool:
        if self.code == "coma":
            return facts.coma
        if self.code == "mental_disorder":
            return any(is_mental_disorder(c) for c in facts.diagnoses)
        if self.code == "risk_events":
            return risk_event_total(facts.risk_events) >= 2
        raise ValueError(self.code)  # pragma: no cover - a table entry without a condition


# Versioned rule table (docs/domain.md §1.1: the open points make the rules a versioned table). The version in
# force is stored with every assessment, so a later change never rewrites an old result.
# Open point kept visible: a copy of the B.3.9 note says coma → 重度; C.4 says 完全失能 (used here).
ADJUSTMENT_RULES: dict[str, tuple[AdjustmentRule, ...]] = {
    "2022.1": (
        AdjustmentRule("coma", "处于昏迷状态，直接评定为完全失能", to=TOTAL),
        AdjustmentRule("mental_disorder", "确诊痴呆（F00–F03）或经精神科专科医生诊断的其他精神和行为障碍（F04–F99），等级提高一级", by=1),
        AdjustmentRule("risk_events", "近30天内发生过2次及以上照护风险事件（跌倒、噎食、自杀/自伤、走失等），等级提高一级", by=1),
    ),
}
CURRENT_RULES_VERSION = "2022.1"


def adjust(preliminary: int, facts: CareFacts, version: str = CURRENT_RULES_VERSION) -> tuple[int, list[str]]:
    """Final level and the reasons that applied. Raises add up; the result is capped at 完全失能."""
    if preliminary not in LEVEL_LABELS:
        raise ValueError(f"初步等级应为0–4：{preliminary}")
    applied = [rule for rule in ADJUSTMENT_RULES[version] if rule.applies(facts)]
    level = preliminary + sum(rule.by for rule in applied)
    for rule in applied:
        if rule.to is not None:
            level = max(level, rule.to)
    final = min(level, TOTAL)
    reasons = [rule.description for rule in applied]
    if level > TOTAL:
        reasons.append("调整后已达最高等级“完全失能”")
    return final, reasons


def score(
    instrument: Instrument, answers: Mapping[str, object], facts: CareFacts, version: str = CURRENT_RULES_VERSION
) -> Result:
    """Sub-totals, total, preliminary and final level of a complete set of answers."""
    clean = normalise_answers(instrument, answers)
    sums = subtotals(instrument, clean)
    total = sum(sums.values())
    prelim = preliminary_level(total)
    final, reasons = adjust(prelim, facts, version)
    return Result(sums, total, prelim, final, reasons, version)


def add_months(day: dt.date, months: int) -> dt.date:
    """The same day ``months`` later; the 31st becomes the month's last day (and 29 Feb → 28 Feb)."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    for candidate in (day.day, 30, 29, 28):
        try:
            return day.replace(year=year, month=month, day=min(day.day, candidate))
        except ValueError:
            continue
    raise AssertionError("unreachable")  # pragma: no cover


def next_due_on(assessed_on: dt.date, interval_months: int) -> dt.date:
    """When the next routine assessment falls due."""
    return add_months(assessed_on, interval_months)


def level_label(level: int | None) -> str:
    return "未评估" if level is None else LEVEL_LABELS[level]


def describe_levels(levels: Iterable[int]) -> str:
    return "、".join(LEVEL_LABELS[level] for level in levels)
