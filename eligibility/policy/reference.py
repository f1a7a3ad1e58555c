"""A plain-Python evaluator of the same criteria, for tests and the benchmark baseline only.

It reads attributes of any object shaped like ``Elder`` and shares nothing with the compiler but
the vocabulary's validation and ``registry.age_on``, so an agreement test means something.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from registry import public as registry

from . import periods
from .vocabulary import INCLUSIVE_RANGES, SETS, validate


def _in_band(age: int, bounds: dict[str, int | None]) -> bool:
    low, high = bounds.get("min"), bounds.get("max")
    return (low is None or age >= low) and (high is None or age < high)


def _in_inclusive(value: int | None, bounds: dict[str, int | None]) -> bool:
    if value is None:
        return False
    low, high = bounds.get("min"), bounds.get("max")
    return (low is None or value >= low) and (high is None or value <= high)


def in_population(elder: Any, period: dt.date) -> bool:
    if elder.deceased_on is not None and elder.deceased_on < period:
        return False
    if elder.moved_out_on is not None and elder.moved_out_on < period:
        return False
    return elder.birth_date is not None and registry.EARLIEST_BIRTH <= elder.birth_date < period


def matches(criteria: Any, elder: Any, *, period: dt.date, start: str = "next_month") -> bool:
    """Whether ``elder`` meets ``criteria`` for the month ``period``, computed row by row."""
    c = validate(criteria)
    age = registry.age_on(elder.birth_date, periods.age_reference_day(period, start))
    if "age" in c and not _in_band(age, c["age"]):
        return False
    if "age_male" in c or "age_female" in c:
        key = "age_male" if elder.sex == "M" else "age_female"
        if key not in c or not _in_band(age, c[key]):
            return False
    if "economic_status" in c:
        if elder.economic_status not in c["economic_status"]:
            return False
        if elder.economic_status_from is not None and elder.economic_status_from > period:
            return False
        if elder.economic_status_to is not None and elder.economic_status_to < period:
            return False
    for key in INCLUSIVE_RANGES:
        if key in c and not _in_inclusive(getattr(elder, key), c[key]):
            return False
    for key, (field, _allowed) in SETS.items():
        if key in c and key != "economic_status" and getattr(elder, field) not in c[key]:
            return False
    if "ability_assessed" in c and (elder.ability_level is not None) != c["ability_assessed"]:
        return False
    if "assessment_due" in c:
        due_on = elder.assessment_due_on
        due = elder.ability_level is None or (due_on is not None and due_on <= period)
        if due != c["assessment_due"]:
            return False
    if "has_disability" in c and (elder.disability_grade is not None) != c["has_disability"]:
        return False
    if "local_hukou" in c and bool(elder.local_hukou) != c["local_hukou"]:
        return False
    if "hukou_type" in c and elder.hukou_type != c["hukou_type"]:
        return False
    return True


def choose_rule(elder: Any, rules_in_order: list[Any], *, period: dt.date) -> Any | None:
    """The rule that applies: the first match in (most local jurisdiction, highest amount) order —
    the order ``catalogue.applicable_rules`` returns."""
    if not in_population(elder, period):
        return None
    for rule in rules_in_order:
        if matches(rule.criteria, elder, period=period, start=rule.start):
            return rule
    return None
