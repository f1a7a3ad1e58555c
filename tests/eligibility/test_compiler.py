"""The rule compiler (criteria → one Q) agrees with the plain-Python reference evaluator."""

from __future__ import annotations

import datetime as dt
import itertools

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from registry.choices import EconomicStatus, LivingArrangement
from registry.models import Elder
from eligibility.policy import periods, reference
from eligibility.policy.compiler import compile_criteria
from eligibility.policy.vocabulary import CriteriaError, validate
from regions.models import Region
from tests.conftest import VILLAGE

_ids = itertools.count(1)

LEAP_DAYS = [dt.date(y, 2, 29) for y in (1936, 1940, 1944, 1948, 1952, 1956, 1960)]
special_births = st.sampled_from(LEAP_DAYS) | st.builds(
    dt.date, st.integers(1920, 1980), st.integers(1, 12), st.just(1)
)
births = special_births | st.dates(dt.date(1915, 1, 1), dt.date(1985, 12, 31))
periods_st = st.builds(dt.date, st.integers(2024, 2032), st.integers(1, 12), st.just(1))

bands = st.tuples(st.integers(45, 105), st.integers(1, 15)).map(lambda t: {"min": t[0], "max": t[0] + t[1]}) | st.builds(
    lambda lo: {"min": lo, "max": None}, st.integers(45, 105)
) | st.builds(lambda hi: {"min": None, "max": hi}, st.integers(50, 105))
levels = st.tuples(st.integers(0, 4), st.integers(0, 4)).map(lambda t: {"min": min(t), "max": max(t)})
criteria_st = st.fixed_dictionaries(
    {},
    optional={
        "age": bands,
        "age_male": bands,
        "age_female": bands,
        "economic_status": st.lists(st.sampled_from(EconomicStatus.values), min_size=1, max_size=3, unique=True),
        "ability_level": levels,
        "ability_assessed": st.booleans(),
        "assessment_due": st.booleans(),
        "disability_grade": st.tuples(st.integers(1, 4), st.integers(1, 4)).map(lambda t: {"min": min(t), "max": max(t)}),
        "has_disability": st.booleans(),
        "living_arrangement": st.lists(st.sampled_from(LivingArrangement.values), min_size=1, max_size=2, unique=True),
        "local_hukou": st.booleans(),
        "hukou_type": st.sampled_from(["urban", "rural"]),
        "care_setting": st.lists(st.sampled_from(["home", "institution"]), min_size=1, unique=True),
    },
).filter(lambda c: not (c.get("ability_assessed") is False and c.get("assessment_due") is False))  # refused: nobody
# Due dates at the edges of the decided months (their 1st, the day before and after) and anywhere.
month_edges = st.builds(
    lambda y, m, shift: dt.date(y, m, 1) + dt.timedelta(days=shift),
    st.integers(2024, 2032), st.integers(1, 12), st.sampled_from([-1, 0, 1]),
)
elder_st = st.fixed_dictionaries({
    "birth_date": births,
    "sex": st.sampled_from(["M", "F"]),
    "economic_status": st.sampled_from(EconomicStatus.values),
    "economic_status_from": st.none() | st.dates(dt.date(2023, 1, 1), dt.date(2033, 1, 1)),
    "economic_status_to": st.none() | st.dates(dt.date(2023, 1, 1), dt.date(2033, 1, 1)),
    "ability_level": st.none() | st.integers(0, 4),
    "assessment_due_on": st.none() | month_edges | st.dates(dt.date(2023, 1, 1), dt.date(2033, 1, 1)),
    "disability_grade": st.none() | st.integers(1, 4),
    "living_arrangement": st.sampled_from(LivingArrangement.values),
    "local_hukou": st.booleans(),
    "hukou_type": st.sampled_from(["urban", "rural"]),
    "care_setting": st.sampled_from(["home", "institution"]),
    "deceased_on": st.none() | st.dates(dt.date(2024, 1, 1), dt.date(2033, 1, 1)),
    "moved_out_on": st.none() | st.dates(dt.date(2024, 1, 1), dt.date(2033, 1, 1)),
})


@pytest.mark.django_db
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(criteria=criteria_st, elders=st.lists(elder_st, min_size=1, max_size=12), period=periods_st,
       start=st.sampled_from(["next_month", "same_month"]))
@example(  # born on a leap day, the band edge falls on 1 March in a common year
    criteria={"age": {"min": 80, "max": 90}}, period=dt.date(2028, 3, 1), start="next_month",
    elders=[{"birth_date": dt.date(1948, 2, 29), "sex": "F", "economic_status": "normal", "economic_status_from": None,
             "economic_status_to": None, "ability_level": None, "disability_grade": None, "living_arrangement": "alone",
             "local_hukou": True, "hukou_type": "rural", "care_setting": "home", "deceased_on": None, "moved_out_on": None}],
)
@example(  # due the day before, on, and the day after the 1st of the decided month; never assessed; no due date
    criteria={"assessment_due": True}, period=dt.date(2026, 12, 1), start="next_month",
    elders=[{"birth_date": dt.date(1950, 3, 15), "sex": "M", "economic_status": "normal", "economic_status_from": None,
             "economic_status_to": None, "ability_level": level, "assessment_due_on": due, "disability_grade": None,
             "living_arrangement": "alone", "local_hukou": True, "hukou_type": "rural", "care_setting": "home",
             "deceased_on": None, "moved_out_on": None}
            for level, due in ((1, dt.date(2026, 11, 30)), (1, dt.date(2026, 12, 1)), (1, dt.date(2026, 12, 2)),
                               (None, None), (None, dt.date(2027, 6, 1)), (2, None))],
)
@example(  # the same elders against the opposite criterion
    criteria={"assessment_due": False, "ability_assessed": True}, period=dt.date(2026, 12, 1), start="same_month",
    elders=[{"birth_date": dt.date(1950, 3, 15), "sex": "F", "economic_status": "normal", "economic_status_from": None,
             "economic_status_to": None, "ability_level": level, "assessment_due_on": due, "disability_grade": None,
             "living_arrangement": "alone", "local_hukou": True, "hukou_type": "rural", "care_setting": "home",
             "deceased_on": None, "moved_out_on": None}
            for level, due in ((1, dt.date(2026, 11, 30)), (1, dt.date(2026, 12, 1)), (1, dt.date(2026, 12, 2)),
                               (None, None), (2, None))],
)
def test_the_compiled_rule_selects_exactly_the_elders_the_reference_evaluator_accepts(regions, criteria, elders, period, start):
    village = Region.objects.get(code=VILLAGE)
    rows = Elder.objects.bulk_create(
        Elder(id_number=f"T{next(_ids):017d}", name="测试", region=village, region_code=village.code, **e) for e in elders
    )
    try:
        q = compile_criteria(criteria, period=period, start=start)
        from eligibility.policy.compiler import population_q

        got = set(Elder.objects.filter(pk__in=[r.pk for r in rows]).filter(population_q(period)).filter(q).values_list("pk", flat=True))
        expected = {
            r.pk for r in rows
            if reference.in_population(r, period) and reference.matches(criteria, r, period=period, start=start)
        }
        assert got == expected
    finally:
        Elder.objects.filter(pk__in=[r.pk for r in rows]).delete()


def test_someone_born_on_the_first_counts_from_their_birthday_month_and_others_from_the_next():
    rule = {"age": {"min": 80}}

    class E:
        sex = "F"

    on_first, mid_month = E(), E()
    on_first.birth_date, mid_month.birth_date = dt.date(1946, 12, 1), dt.date(1946, 12, 3)
    december, january = dt.date(2026, 12, 1), dt.date(2027, 1, 1)
    assert reference.matches(rule, on_first, period=december)
    assert not reference.matches(rule, mid_month, period=december)
    assert reference.matches(rule, mid_month, period=january)
    assert reference.matches(rule, mid_month, period=december, start="same_month")
    assert periods.age_reference_day(dt.date(2027, 2, 1), "same_month") == dt.date(2027, 2, 28)


@pytest.mark.parametrize(
    ("criteria", "words"),
    [
        ({"income": ["low"]}, "未知的条件项：income"),
        ({"economic_status": []}, "空集合"),
        ({"age": {"min": 90, "max": 80}}, "下限 90 大于上限 80"),
        ({"ability_level": {"min": 3, "max": 2}}, "下限 3 大于上限 2"),
        ({"economic_status": ["rich"]}, "未知取值：rich"),
        ({"ability_level": {"min": 7}}, "0–4"),
        ({"local_hukou": "yes"}, "true 或 false"),
        ({"assessment_due": "yes"}, "条件“能力评估到期”应为 true 或 false"),
        ({"assessment_due": 1}, "条件“能力评估到期”应为 true 或 false"),
        ({"assessment_due": None}, "条件“能力评估到期”应为 true 或 false"),
        ({"ability_assessed": False, "assessment_due": False}, "没有人能符合"),
        ("not a dict", "JSON 对象"),
    ],
)
def test_uncompilable_criteria_are_refused_with_the_reason(criteria, words):
    with pytest.raises(CriteriaError, match=words):
        validate(criteria)


def test_an_assessment_falls_due_for_the_month_whose_first_day_is_on_or_after_the_due_date():
    """Judged on the 1st of the month being decided, like economic status: a sweep on 25 November
    (deciding December) finds an assessment due on 1 December, not one due on 2 December."""

    class E:
        sex = "F"
        birth_date = dt.date(1950, 3, 15)
        ability_level = 1

    december = dt.date(2026, 12, 1)
    for due_on, due in ((dt.date(2026, 11, 20), True), (december, True), (dt.date(2026, 12, 2), False), (None, False)):
        e = E()
        e.assessment_due_on = due_on
        assert reference.matches({"assessment_due": True}, e, period=december) is due
        assert reference.matches({"assessment_due": False}, e, period=december) is not due
    never = E()
    never.ability_level, never.assessment_due_on = None, None
    assert reference.matches({"assessment_due": True}, never, period=december)
