"""Periods (所属期): a month, stored as its first day. Pure functions.

The month arithmetic is the framework's (``core.periods``, imported here under the same names);
what is the policy engine's own is here: the month a sweep decides and the day ages count on."""

from __future__ import annotations

import datetime as dt

from core.periods import add_months, code, label, month_end, month_start, parse_period

__all__ = ["add_months", "age_reference_day", "code", "coming_period", "label", "month_end", "month_start",
           "parse_period"]


def coming_period(as_of: dt.date) -> dt.date:
    """The month a sweep run on ``as_of`` decides: the next one (服务找人 works a month ahead)."""
    return add_months(month_start(as_of), 1)


def age_reference_day(period: dt.date, start: str) -> dt.date:
    """The day ages are counted on for a paid month.

    "next_month" (自年满X周岁次月起, the default): the 1st of the month — someone whose birthday is
    in the month counts from the next month, unless the birthday is the 1st. "same_month"
    (年满当月起): the last day of the month — any birthday in the month counts for it.
    """
    return month_end(period) if start == "same_month" else period
