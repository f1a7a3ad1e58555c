"""Months (所属期 and the like): a month is stored as its first day. Pure functions."""

from __future__ import annotations

import calendar
import datetime as dt


def month_start(day: dt.date) -> dt.date:
    """The first day of ``day``'s month."""
    return day.replace(day=1)


def month_end(day: dt.date) -> dt.date:
    """The last day of ``day``'s month."""
    return day.replace(day=calendar.monthrange(day.year, day.month)[1])


def add_months(day: dt.date, months: int) -> dt.date:
    """The 1st of the month ``months`` after the month of ``day`` (negative: before)."""
    index = day.year * 12 + day.month - 1 + months
    return dt.date(index // 12, index % 12 + 1, 1)


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
