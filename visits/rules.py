"""Pure date arithmetic of the visit schedule (docs/contributing.md rule 3: no ORM, hypothesis-tested).

A rule's frequency is "N visits per week / month / quarter". Each period is split into N windows
of (almost) equal length; a visit is due on the last day of its window, and may be made on any day
of it. Weeks are ISO weeks (Monday–Sunday); quarters are calendar quarters. Everything is built from
``datetime.date`` so month ends and 29 February come out right without special cases.
"""

from __future__ import annotations

import datetime as dt
from typing import NamedTuple

from core.periods import add_months, month_end, month_start

WEEK = "week"
MONTH = "month"
QUARTER = "quarter"
FREQUENCIES = (WEEK, MONTH, QUARTER)


class Window(NamedTuple):
    """The days one visit may be made on; ``due_on`` is the last of them."""

    starts_on: dt.date
    due_on: dt.date


def period_bounds(frequency: str, day: dt.date) -> tuple[dt.date, dt.date]:
    """First and last day of the week / month / quarter that contains ``day``."""
    if frequency == WEEK:
        start = day - dt.timedelta(days=day.weekday())
        return start, start + dt.timedelta(days=6)
    if frequency == MONTH:
        return month_start(day), month_end(day)
    if frequency == QUARTER:
        first = dt.date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)
        return first, month_end(add_months(first, 2))
    raise ValueError(f"unknown frequency {frequency!r}")


def split_period(start: dt.date, end: dt.date, times: int) -> list[Window]:
    """``times`` consecutive windows tiling [start, end]; the last ends on ``end``.

    Window k ends on day floor((k+1)·days/times) of the period, so a month of 31 days split in two
    gives 1–15 and 16–31, February 2028 (29 days) gives 1–14 and 15–29."""
    if times < 1:
        raise ValueError("times must be at least 1")
    days = (end - start).days + 1
    times = min(times, days)
    windows = []
    first = start
    for k in range(times):
        last = start + dt.timedelta(days=(k + 1) * days // times - 1)
        windows.append(Window(first, last))
        first = last + dt.timedelta(days=1)
    return windows


def windows_between(frequency: str, times: int, first_day: dt.date, last_day: dt.date) -> list[Window]:
    """Every window of the rule that overlaps [first_day, last_day], in order.

    A window that has already ended before ``first_day`` is not laid out (nobody schedules the past);
    one that started before it is, because the visit can still be made on the remaining days."""
    if last_day < first_day:
        return []
    out: list[Window] = []
    start, end = period_bounds(frequency, first_day)
    while start <= last_day:
        for window in split_period(start, end, times):
            if window.due_on >= first_day and window.starts_on <= last_day:
                out.append(window)
        start, end = period_bounds(frequency, end + dt.timedelta(days=1))
    return out


def horizon(as_of: dt.date) -> dt.date:
    """The last day the nightly schedule looks ahead to: the end of the month after ``as_of``'s
    (the same one-month lead as 服务找人)."""
    return month_end(add_months(as_of, 1))


def visits_per_year(frequency: str, times: int) -> float:
    """For choosing the strictest of several rules that match one elder."""
    return times * {WEEK: 52.0, MONTH: 12.0, QUARTER: 4.0}[frequency]


def visit_rate(visited: int, in_scope: int) -> float | None:
    """Monthly visit rate (月探访率) as a percentage with one decimal; None when nobody is in scope."""
    if in_scope <= 0:
        return None
    return round(100.0 * min(visited, in_scope) / in_scope, 1)
