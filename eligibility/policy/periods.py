"""Periods (所属期): a month, stored as its first day. Pure functions."""

from __future__ import annotations

import calendar
import datetime as dt


def month_start(day: dt.date) -> dt.date:
    return day.replace(day=1)


def add_months(period: dt.date, months: int) -> dt.date:
    index = period.year * 12 + period.month - 1 + months
    return dt.date(index // 12, index % 12 + 1, 1)


def month_end(period: dt.date) -> dt.date:
    return period.replace(day=calendar.monthrange(period.year, period.month)[1])


def coming_period(as_of: dt.date) -> dt.date:
    """The month a sweep run on ``as_of`` decides: the next one (服务找人 works a month ahead)."""
    return add_months(month_start(as_of), 1)


def parse_period(text: str) -> dt.date:
    """'2027-01' → date(2027, 1, 1)."""
    year, month = text.strip().split("-")[:2]
    return dt.date(int(year), int(month), 1)


def label(period: dt.date | None) -> str:
    """date(2027, 1, 1) → '2027年1月'."""
    return f"{period.year}年{period.month}月" if period else ""


def code(period: dt.date | None) -> str:
    """date(2027, 1, 1) → '2027-01'."""
    return f"{period:%Y-%m}" if period else ""


def age_reference_day(period: dt.date, start: str) -> dt.date:
    """The day ages are counted on for a paid month.

    "next_month" (自年满X周岁次月起, the default): the 1st of the month — someone whose birthday is
    in the month counts from the next month, unless the birthday is the 1st. "same_month"
    (年满当月起): the last day of the month — any birthday in the month counts for it.
    """
    return month_end(period) if start == "same_month" else period
