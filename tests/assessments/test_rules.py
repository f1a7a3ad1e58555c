"""Scoring and levels of GB/T 42195-2022 (assessments/rules.py): pure functions, no database."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from assessments import rules
from assessments.rules import INTACT, MILD, MODERATE, SEVERE, TOTAL, CareFacts

from .helpers import INSTRUMENT, ITEM_CODES, MAXIMA, answers_for_total

NO_FACTS = CareFacts()


def test_the_instrument_has_4_indicators_26_items_and_adds_up_to_90():
    assert [i.code for i in INSTRUMENT.indicators] == ["B.1", "B.2", "B.3", "B.4"]
    assert len(INSTRUMENT.items) == 26
    maxima = rules.subtotals(INSTRUMENT, MAXIMA)
    assert maxima == {"B.1": 32, "B.2": 15, "B.3": 28, "B.4": 15}
    assert {i.code: i.max_score for i in INSTRUMENT.indicators} == maxima
    assert sum(maxima.values()) == 90


@pytest.mark.parametrize(
    ("code", "scores"),
    [("B.2.4", {0, 1, 2, 3}), ("B.3.7", {0, 1}), ("B.3.8", {0, 1}), ("B.3.9", {0, 1, 2}),
     ("B.4.1", {0, 1, 2}), ("B.4.2", {0, 1, 2}), ("B.4.4", {0, 1, 2, 3}), ("B.1.1", {0, 1, 2, 3, 4})],
)
def test_items_with_short_ranges_have_exactly_their_options(code, scores):
    assert next(i for i in INSTRUMENT.items if i.code == code).scores == scores


@pytest.mark.parametrize(
    ("total", "level"),
    [(90, INTACT), (89, MILD), (66, MILD), (65, MODERATE), (46, MODERATE), (45, SEVERE), (30, SEVERE),
     (29, TOTAL), (0, TOTAL)],
)
def test_every_level_boundary(total, level):
    assert rules.preliminary_level(total) == level
    result = rules.score(INSTRUMENT, answers_for_total(total), NO_FACTS)
    assert result.total == total
    assert (result.preliminary_level, result.final_level, result.reasons) == (level, level, [])


@pytest.mark.parametrize("total", [-1, 91])
def test_a_total_outside_0_to_90_is_refused(total):
    with pytest.raises(ValueError):
        rules.preliminary_level(total)


def test_coma_alone_rates_fully_disabled():
    final, reasons = rules.adjust(INTACT, CareFacts(coma=True))
    assert final == TOTAL and len(reasons) == 1 and "昏迷" in reasons[0]


@pytest.mark.parametrize("code", ["F00", "F03", "F03.9", "F20", "F99"])
def test_a_mental_disorder_alone_raises_one_level(code):
    final, reasons = rules.adjust(MILD, CareFacts(diagnoses=(code,)))
    assert final == MODERATE and len(reasons) == 1 and "F00–F03" in reasons[0]


@pytest.mark.parametrize("code", ["G30", "I10", "E11.9"])
def test_other_diagnoses_do_not_change_the_level(code):
    assert rules.adjust(MILD, CareFacts(diagnoses=(code,))) == (MILD, [])


@pytest.mark.parametrize(
    ("events", "raised"),
    [({"falls": 2}, True), ({"falls": 1, "choking": 1}, True), ({"self_harm": 1, "wandering": 1}, True),
     ({"falls": 3}, True), ({"falls": 1}, False), ({}, False)],
)
def test_two_or_more_risk_events_in_30_days_raise_one_level(events, raised):
    final, reasons = rules.adjust(MODERATE, CareFacts(risk_events=events))
    assert final == (SEVERE if raised else MODERATE)
    assert bool(reasons) == raised


def test_mental_disorder_and_risk_events_add_up():
    facts = CareFacts(diagnoses=("F01",), risk_events={"falls": 2})
    final, reasons = rules.adjust(MILD, facts)
    assert final == SEVERE and len(reasons) == 2


def test_adjustments_are_capped_at_fully_disabled():
    facts = CareFacts(diagnoses=("F01",), risk_events={"falls": 2})
    final, reasons = rules.adjust(SEVERE, facts)
    assert final == TOTAL
    assert reasons[-1] == "调整后已达最高等级“完全失能”"
    final, _ = rules.adjust(TOTAL, CareFacts(coma=True, diagnoses=("F20",), risk_events={"choking": 3}))
    assert final == TOTAL


def test_all_three_rules_combined_name_every_reason():
    facts = CareFacts(coma=True, diagnoses=("F03",), risk_events={"wandering": 2})
    final, reasons = rules.adjust(INTACT, facts)
    assert final == TOTAL and len(reasons) == 3


def test_the_result_records_its_rule_version():
    assert rules.score(INSTRUMENT, MAXIMA, NO_FACTS).rules_version == rules.CURRENT_RULES_VERSION


def test_missing_and_invalid_answers_are_named_in_chinese():
    answers: dict[str, object] = dict(MAXIMA)
    del answers["B.1.1"]
    answers["B.3.7"] = 4  # only 0 or 1
    answers["B.2.4"] = "x"
    errors = rules.check_answers(INSTRUMENT, answers)
    assert set(errors) == {"B.1.1", "B.3.7", "B.2.4"}
    assert errors["B.1.1"] == "B.1.1 进食：未作答"
    assert "可选 1、0 分" in errors["B.3.7"]
    with pytest.raises(rules.AnswerError):
        rules.score(INSTRUMENT, answers, NO_FACTS)


def test_an_unknown_item_is_refused():
    assert "B.5.1" in rules.check_answers(INSTRUMENT, {**MAXIMA, "B.5.1": 1})


def test_icd10_lists_typed_by_clerks_are_normalised():
    assert rules.parse_icd10("f03, i10、F03；E11.9") == (["F03", "I10", "E11.9"], [])
    assert rules.parse_icd10("痴呆 F0") == ([], ["痴呆", "F0"])


@pytest.mark.parametrize(
    ("day", "months", "due"),
    [(dt.date(2026, 1, 31), 1, dt.date(2026, 2, 28)), (dt.date(2024, 2, 29), 12, dt.date(2025, 2, 28)),
     (dt.date(2026, 11, 20), 12, dt.date(2027, 11, 20)), (dt.date(2026, 11, 20), 6, dt.date(2027, 5, 20))],
)
def test_next_due_date_adds_calendar_months(day, months, due):
    assert rules.next_due_on(day, months) == due


answer_sets = st.fixed_dictionaries({item.code: st.sampled_from(sorted(item.scores)) for item in INSTRUMENT.items})


@given(answers=answer_sets, code=st.sampled_from(ITEM_CODES), data=st.data())
def test_raising_any_single_answer_never_lowers_the_preliminary_level(answers, code, data):
    """Higher score = more ability, so a better answer can only keep or improve (lower) the level."""
    item = next(i for i in INSTRUMENT.items if i.code == code)
    higher = [s for s in item.scores if s > answers[code]]
    before = rules.score(INSTRUMENT, answers, NO_FACTS)
    if not higher:
        return
    raised = {**answers, code: data.draw(st.sampled_from(sorted(higher)))}
    after = rules.score(INSTRUMENT, raised, NO_FACTS)
    assert after.total > before.total
    assert after.preliminary_level <= before.preliminary_level


@given(total=st.integers(0, 90), coma=st.booleans(), mental=st.booleans(), events=st.integers(0, 6))
def test_final_level_is_never_better_than_preliminary_and_never_beyond_total(total, coma, mental, events):
    facts = CareFacts(coma=coma, diagnoses=("F03",) if mental else (), risk_events={"falls": events})
    prelim = rules.preliminary_level(total)
    final, _ = rules.adjust(prelim, facts)
    assert prelim <= final <= TOTAL
