"""The pure schedule arithmetic (visits/rules.py): windows per week / month / quarter across month
ends and leap years, and the visit-rate arithmetic."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from visits import rules
from visits.rules import Window

D = dt.date
days = st.dates(min_value=D(1999, 1, 1), max_value=D(2101, 12, 31))
freqs = st.sampled_from(rules.FREQUENCIES)
times = st.integers(min_value=1, max_value=6)


def test_monthly_visit_is_due_on_the_last_day_of_each_month_including_29_february():
    assert rules.windows_between("month", 1, D(2028, 2, 10), D(2028, 3, 31)) == [
        Window(D(2028, 2, 1), D(2028, 2, 29)),
        Window(D(2028, 3, 1), D(2028, 3, 31)),
    ]
    assert rules.windows_between("month", 1, D(2027, 2, 1), D(2027, 2, 28)) == [Window(D(2027, 2, 1), D(2027, 2, 28))]


def test_twice_a_month_splits_february_of_a_leap_year_into_14_and_15_days():
    assert rules.split_period(D(2028, 2, 1), D(2028, 2, 29), 2) == [
        Window(D(2028, 2, 1), D(2028, 2, 14)), Window(D(2028, 2, 15), D(2028, 2, 29))
    ]
    assert rules.split_period(D(2026, 1, 1), D(2026, 1, 31), 2) == [
        Window(D(2026, 1, 1), D(2026, 1, 15)), Window(D(2026, 1, 16), D(2026, 1, 31))
    ]


def test_weekly_windows_run_monday_to_sunday_across_a_month_and_year_end():
    got = rules.windows_between("week", 1, D(2026, 12, 30), D(2027, 1, 10))
    assert got == [
        Window(D(2026, 12, 28), D(2027, 1, 3)),
        Window(D(2027, 1, 4), D(2027, 1, 10)),
    ]
    # the week of 29 February 2028 (a Tuesday)
    assert rules.period_bounds("week", D(2028, 2, 29)) == (D(2028, 2, 28), D(2028, 3, 5))


def test_quarterly_visit_is_due_on_the_quarter_end():
    assert rules.windows_between("quarter", 1, D(2026, 11, 25), D(2026, 12, 31)) == [Window(D(2026, 10, 1), D(2026, 12, 31))]
    assert rules.period_bounds("quarter", D(2028, 2, 29)) == (D(2028, 1, 1), D(2028, 3, 31))
    assert rules.period_bounds("quarter", D(2027, 12, 31)) == (D(2027, 10, 1), D(2027, 12, 31))


def test_a_window_already_over_is_not_laid_out_but_one_still_open_is():
    got = rules.windows_between("month", 2, D(2026, 11, 20), D(2026, 11, 30))
    assert got == [Window(D(2026, 11, 16), D(2026, 11, 30))]


def test_the_horizon_is_the_end_of_next_month():
    assert rules.horizon(D(2026, 11, 25)) == D(2026, 12, 31)
    assert rules.horizon(D(2028, 1, 31)) == D(2028, 2, 29)
    assert rules.horizon(D(2026, 12, 31)) == D(2027, 1, 31)


def test_unknown_frequency_is_refused():
    with pytest.raises(ValueError):
        rules.period_bounds("fortnight", D(2026, 1, 1))


@given(freqs, days)
def test_period_contains_its_day_and_the_next_period_starts_the_day_after(freq, day):
    start, end = rules.period_bounds(freq, day)
    assert start <= day <= end
    assert rules.period_bounds(freq, end + dt.timedelta(days=1))[0] == end + dt.timedelta(days=1)
    assert (end - start).days + 1 in {"week": {7}, "month": {28, 29, 30, 31}, "quarter": {90, 91, 92}}[freq]


@given(freqs, times, days)
def test_windows_tile_the_period_exactly_and_each_is_due_on_its_last_day(freq, n, day):
    start, end = rules.period_bounds(freq, day)
    windows = rules.split_period(start, end, n)
    assert len(windows) == n
    assert windows[0].starts_on == start and windows[-1].due_on == end
    for a, b in zip(windows, windows[1:]):
        assert b.starts_on == a.due_on + dt.timedelta(days=1)
    for w in windows:
        assert w.starts_on <= w.due_on
    lengths = [(w.due_on - w.starts_on).days + 1 for w in windows]
    assert max(lengths) - min(lengths) <= 1  # spread evenly


@given(freqs, times, days, st.integers(min_value=0, max_value=120))
def test_windows_between_gives_n_per_period_without_gaps_or_overlaps(freq, n, first, span):
    last = first + dt.timedelta(days=span)
    windows = rules.windows_between(freq, n, first, last)
    assert windows, "every range meets at least one window"
    assert windows[0].starts_on <= first <= windows[0].due_on
    assert windows[-1].starts_on <= last
    for a, b in zip(windows, windows[1:]):
        assert b.starts_on == a.due_on + dt.timedelta(days=1)
    # rerunning is stable (the nightly task relies on it)
    assert rules.windows_between(freq, n, first, last) == windows
    # a later run sees a suffix of the same windows: the same due dates, never shifted ones
    later = rules.windows_between(freq, n, first + dt.timedelta(days=span // 2), last)
    assert set(later) <= set(windows)


def test_visit_rate_arithmetic():
    assert rules.visit_rate(0, 0) is None
    assert rules.visit_rate(0, 3) == 0.0
    assert rules.visit_rate(2, 3) == 66.7
    assert rules.visit_rate(3, 3) == 100.0
    assert rules.visit_rate(5, 3) == 100.0  # never above 100 %


def test_the_strictest_rule_visits_most_often():
    assert rules.visits_per_year("week", 1) > rules.visits_per_year("month", 2) > rules.visits_per_year("quarter", 1)
