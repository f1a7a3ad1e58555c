"""Exports of enrolments (worklist and enrolment list) as CSV or Excel, through the project's one
spreadsheet writer (``core.spreadsheets``: formula-neutralised cells, UTF-8 CSV with BOM)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from core import spreadsheets

from . import periods
from .catalogue import yuan

COLUMNS = ["身份证号码", "姓名", "村(社区)", "项目", "状态", "起始所属期", "终止所属期", "每月金额", "依据"]
SHEET = "享受记录"


def rows(enrolments: Iterable[Any], *, full_id: bool) -> Iterable[list[str]]:
    """One row of text per enrolment (the writer neutralises every cell)."""
    for e in enrolments:
        elder = e.elder
        monthly = yuan(e.amount) if e.benefit.payment_kind == "monthly" else ""
        yield ["" if v is None else str(v) for v in (
            elder.id_number if full_id else elder.masked_id_number,
            elder.name,
            elder.region.name,
            e.benefit.name,
            e.get_status_display(),
            periods.code(e.start_period),
            periods.code(e.end_period),
            monthly,
            e.review_reason or e.reason,
        )]


def sheet(enrolments: Iterable[Any], *, full_id: bool) -> spreadsheets.Sheet:
    return spreadsheets.Sheet(SHEET, COLUMNS, rows(enrolments, full_id=full_id))


def write_csv(out: Any, enrolments: Iterable[Any], *, full_id: bool, bom: bool = True) -> int:
    """Write the CSV to ``out`` (a file object); returns the number of enrolments written."""
    n = 0

    def counted():
        nonlocal n
        for row in rows(enrolments, full_id=full_id):
            n += 1
            yield row

    spreadsheets.write_csv(out, COLUMNS, counted(), bom=bom)
    return n
