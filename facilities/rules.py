"""Pure rules of the facilities app: rating validity and the public-waitlist order. No ORM here.

Waitlist order (the seeds' 公办养老机构入住评估轮候 rules; the tiers themselves are data, PriorityRule):
1. the lowest matching priority tier first (default data: 特困人员 wishing centralised care, then
   economically difficult elders who are disabled, empty-nest/alone, left-behind, very old or from a
   special family; everyone else after them);
2. within a tier, 优抚对象 (martyrs' and soldiers' families, veterans) first — "同等条件下优先";
3. then the earlier application date; then the earlier registration (id) so the order is total.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

# GB/T 37276-2018: a grade is valid 3 years (docs/domain.md §5). Star ratings default to the same.
RATING_VALID_YEARS = 3
# A rating is flagged "即将到期" this many days before it expires, time to apply for review.
EXPIRING_WITHIN_DAYS = 90
OTHER_TIER = 99
OTHER_TIER_NAME = "其他申请人"
NUMERALS = "零一二三四五六七八九"


def add_years(day: dt.date, years: int) -> dt.date:
    """The same calendar day `years` later; 29 February becomes 28 February in a common year."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)


def rating_expiry(rated_on: dt.date, years: int = RATING_VALID_YEARS) -> dt.date:
    """The first day on which a rating given on `rated_on` is no longer valid."""
    return add_years(rated_on, years)


def rating_status(expires_on: dt.date, today: dt.date) -> str:
    """"expired" from the expiry day on, "expiring" within EXPIRING_WITHIN_DAYS before it, else "valid"."""
    if today >= expires_on:
        return "expired"
    if (expires_on - today).days <= EXPIRING_WITHIN_DAYS:
        return "expiring"
    return "valid"


def level_label(scheme: str, level: int) -> str:
    """一级…五级 for grades, ★ for stars."""
    if scheme == "grade":
        return f"{NUMERALS[level]}级" if 1 <= level <= 5 else str(level)
    return "★" * level


def age_on(birth_date: dt.date, on: dt.date) -> int:
    return on.year - birth_date.year - ((on.month, on.day) < (birth_date.month, birth_date.day))


@dataclass(frozen=True)
class Applicant:
    """What the waitlist order needs to know about one waiting application and its elder."""

    id: int
    applied_on: dt.date
    economic_status: str
    birth_date: dt.date
    ability_level: int | None = None
    living_arrangement: str = "other"
    special_family: str = ""
    has_disability: bool = False
    veteran_category: str = ""
    wants_centralised: bool = True

    @property
    def is_veteran(self) -> bool:
        return bool(self.veteran_category)


@dataclass(frozen=True)
class Rule:
    """One priority tier (a PriorityRule row): economic statuses AND (any condition) [AND centralised]."""

    tier: int
    name: str
    economic_statuses: tuple[str, ...] = ()
    conditions: tuple[str, ...] = ()
    min_age: int = 80
    requires_centralised: bool = False


@dataclass(frozen=True)
class Ranked:
    applicant: Applicant
    position: int
    total: int
    tier: int
    tier_name: str
    reason: str = field(default="")


def condition_holds(condition: str, a: Applicant, rule: Rule, today: dt.date) -> bool:
    if condition == "disabled":
        return a.ability_level is not None and a.ability_level >= 1
    if condition in ("empty_nest", "alone", "left_behind"):
        return a.living_arrangement == condition
    if condition == "handicapped":
        return a.has_disability
    if condition == "very_old":
        return age_on(a.birth_date, today) >= rule.min_age
    if condition == "special_family":
        return bool(a.special_family)
    return False


def rule_matches(rule: Rule, a: Applicant, today: dt.date) -> bool:
    if rule.economic_statuses and a.economic_status not in rule.economic_statuses:
        return False
    if rule.requires_centralised and not a.wants_centralised:
        return False
    if rule.conditions and not any(condition_holds(c, a, rule, today) for c in rule.conditions):
        return False
    return True


def tier_of(a: Applicant, rules: Sequence[Rule], today: dt.date) -> tuple[int, str]:
    """The lowest tier whose rule the applicant meets, or (OTHER_TIER, 其他申请人)."""
    for rule in sorted(rules, key=lambda r: r.tier):
        if rule_matches(rule, a, today):
            return rule.tier, rule.name
    return OTHER_TIER, OTHER_TIER_NAME


def sort_key(a: Applicant, rules: Sequence[Rule], today: dt.date) -> tuple[int, int, dt.date, int]:
    return (tier_of(a, rules, today)[0], 0 if a.is_veteran else 1, a.applied_on, a.id)


def order_waitlist(applicants: Iterable[Applicant], rules: Sequence[Rule], today: dt.date) -> list[Ranked]:
    """The waitlist in admission order, each with its position and the sentence that explains it."""
    people = sorted(applicants, key=lambda a: sort_key(a, rules, today))
    total = len(people)
    ranked = []
    for position, a in enumerate(people, start=1):
        tier, name = tier_of(a, rules, today)
        ranked.append(Ranked(a, position, total, tier, name, explain(a, position, total, tier, name)))
    return ranked


def explain(a: Applicant, position: int, total: int, tier: int, tier_name: str) -> str:
    """「第2位（共5人）：属第1优先档“特困人员申请集中供养”；优抚对象，同档内优先；2026-03-02申请，同档按申请先后排序。」"""
    if tier == OTHER_TIER:
        head = f"不属于优先档，按“{OTHER_TIER_NAME}”排在各优先档之后"
    else:
        head = f"属第{tier}优先档“{tier_name}”"
    veteran = "；优抚对象，同档内同等条件下优先" if a.is_veteran else ""
    return (
        f"第{position}位（共{total}人）：{head}{veteran}；{a.applied_on:%Y-%m-%d}申请，同档同等条件按申请先后排序。"
    )
