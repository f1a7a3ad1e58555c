"""The waitlist order and rating validity as pure rules, with hypothesis-generated applicants."""

from __future__ import annotations

import datetime as dt
import random

from hypothesis import given, settings
from hypothesis import strategies as st

from facilities import rules

TODAY = dt.date(2026, 11, 25)
# The default data of migration 0002, as the pure rule sees it.
DEFAULT_RULES = [
    rules.Rule(1, "特困人员申请集中供养", ("tekun_home", "tekun_inst"), (), 80, True),
    rules.Rule(
        2, "经济困难的失能、残疾、空巢、独居、留守、高龄或计生特殊家庭老年人",
        ("dibao", "dibao_edge", "tekun_home", "tekun_inst", "hardship"),
        ("disabled", "handicapped", "empty_nest", "alone", "left_behind", "very_old", "special_family"), 80, False,
    ),
]

applicants = st.builds(
    rules.Applicant,
    id=st.integers(min_value=1, max_value=10_000),
    applied_on=st.dates(min_value=dt.date(2024, 1, 1), max_value=TODAY),
    economic_status=st.sampled_from(["normal", "dibao", "dibao_edge", "tekun_home", "tekun_inst", "hardship"]),
    birth_date=st.dates(min_value=dt.date(1920, 1, 1), max_value=dt.date(1966, 1, 1)),
    ability_level=st.one_of(st.none(), st.integers(min_value=0, max_value=4)),
    living_arrangement=st.sampled_from(["alone", "empty_nest", "left_behind", "with_children", "other"]),
    special_family=st.sampled_from(["", "only_child_disabled", "only_child_deceased"]),
    has_disability=st.booleans(),
    veteran_category=st.sampled_from(["", "", "martyr_family", "disabled_soldier"]),
    wants_centralised=st.booleans(),
)
unique_people = st.lists(applicants, max_size=30, unique_by=lambda a: a.id)


def reference_tier(a: rules.Applicant) -> int:
    """A plain restatement of the issue's sentence, independent of the rule engine."""
    if a.economic_status in ("tekun_home", "tekun_inst") and a.wants_centralised:
        return 1
    difficult = a.economic_status != "normal"
    age = TODAY.year - a.birth_date.year - ((TODAY.month, TODAY.day) < (a.birth_date.month, a.birth_date.day))
    special = (
        (a.ability_level or 0) >= 1 or a.has_disability or a.living_arrangement in ("alone", "empty_nest", "left_behind")
        or age >= 80 or bool(a.special_family)
    )
    return 2 if difficult and special else rules.OTHER_TIER


@settings(max_examples=200, deadline=None)
@given(unique_people)
def test_the_order_follows_tier_then_veterans_then_application_date(people):
    ranked = rules.order_waitlist(people, DEFAULT_RULES, TODAY)
    assert [r.position for r in ranked] == list(range(1, len(people) + 1))
    assert sorted(r.applicant.id for r in ranked) == sorted(a.id for a in people)
    for r in ranked:
        assert r.tier == reference_tier(r.applicant)
    for before, after in zip(ranked, ranked[1:]):
        assert before.tier <= after.tier
        if before.tier == after.tier:
            assert before.applicant.is_veteran or not after.applicant.is_veteran  # 优抚 first at equal conditions
            if before.applicant.is_veteran == after.applicant.is_veteran:
                assert before.applicant.applied_on <= after.applicant.applied_on


@settings(max_examples=100, deadline=None)
@given(unique_people, st.randoms(use_true_random=False))
def test_the_order_does_not_depend_on_the_order_of_input(people, rnd: random.Random):
    shuffled = list(people)
    rnd.shuffle(shuffled)
    first = [r.applicant.id for r in rules.order_waitlist(people, DEFAULT_RULES, TODAY)]
    second = [r.applicant.id for r in rules.order_waitlist(shuffled, DEFAULT_RULES, TODAY)]
    assert first == second


@settings(max_examples=100, deadline=None)
@given(unique_people)
def test_every_applicant_is_told_their_position_and_why(people):
    for r in rules.order_waitlist(people, DEFAULT_RULES, TODAY):
        assert r.reason.startswith(f"第{r.position}位（共{len(people)}人）")
        assert f"{r.applicant.applied_on:%Y-%m-%d}申请" in r.reason
        assert ("优抚对象" in r.reason) == r.applicant.is_veteran
        assert (r.tier_name in r.reason)


def test_the_sentence_for_a_tekun_veteran():
    a = rules.Applicant(id=1, applied_on=dt.date(2026, 3, 2), economic_status="tekun_home",
                        birth_date=dt.date(1950, 1, 1), veteran_category="martyr_family")
    [r] = rules.order_waitlist([a], DEFAULT_RULES, TODAY)
    assert r.reason == (
        "第1位（共1人）：属第1优先档“特困人员申请集中供养”；优抚对象，同档内同等条件下优先；"
        "2026-03-02申请，同档同等条件按申请先后排序。"
    )


def test_rules_are_data_a_new_top_tier_changes_the_order():
    old = rules.Applicant(id=1, applied_on=dt.date(2026, 1, 1), economic_status="normal", birth_date=dt.date(1930, 1, 1))
    tekun = rules.Applicant(id=2, applied_on=dt.date(2026, 2, 1), economic_status="tekun_home", birth_date=dt.date(1960, 1, 1))
    assert [r.applicant.id for r in rules.order_waitlist([old, tekun], DEFAULT_RULES, TODAY)] == [2, 1]
    centenarians_first = [rules.Rule(0, "百岁老人", (), ("very_old",), 95), *DEFAULT_RULES]
    assert [r.applicant.id for r in rules.order_waitlist([old, tekun], centenarians_first, TODAY)] == [1, 2]


@given(st.dates(min_value=dt.date(1990, 1, 1), max_value=dt.date(2090, 12, 31)))
def test_a_rating_expires_three_years_later_on_the_same_day_or_28_february(day):
    expiry = rules.rating_expiry(day)
    assert expiry.year == day.year + 3
    if (day.month, day.day) == (2, 29):
        assert (expiry.month, expiry.day) == (2, 28)
    else:
        assert (expiry.month, expiry.day) == (day.month, day.day)
    assert rules.rating_status(expiry, expiry) == "expired"
    assert rules.rating_status(expiry, expiry - dt.timedelta(days=rules.EXPIRING_WITHIN_DAYS)) == "expiring"
    assert rules.rating_status(expiry, expiry - dt.timedelta(days=rules.EXPIRING_WITHIN_DAYS + 1)) == "valid"


def test_level_labels():
    assert rules.level_label("grade", 5) == "五级"
    assert rules.level_label("star", 2) == "★★"
