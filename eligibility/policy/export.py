"""Exports of enrolments (worklist and enrolment list) as CSV or Excel, with formula-neutralised cells."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from typing import Any

from imports.reports import neutralise as cell_neutralise

from . import periods
from .catalogue import yuan

COLUMNS = ["身份证号码", "姓名", "村(社区)", "项目", "状态", "起始所属期", "终止所属期", "每月金额", "依据"]


def neutralise(value: Any) -> str:
    """A cell a spreadsheet will show as text, never run as a formula (the project's one neutraliser)."""
    return cell_neutralise("" if value is None else str(value))


def rows(enrolments: Iterable[Any], *, full_id: bool) -> Iterable[list[str]]:
    for e in enrolments:
        elder = e.elder
        monthly = yuan(e.amount) if e.benefit.payment_kind == "monthly" else ""
        yield [neutralise(v) for v in (
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


def write_csv(out: io.TextIOBase, enrolments: Iterable[Any], *, full_id: bool) -> int:
    writer = csv.writer(out)
    writer.writerow(COLUMNS)
    n = 0
    for row in rows(enrolments, full_id=full_id):
        writer.writerow(row)
        n += 1
    return n


def xlsx_bytes(enrolments: Iterable[Any], *, full_id: bool) -> bytes:
    from openpyxl import Workbook

    wb = Workbook(write_only=True)
    ws = wb.create_sheet("享受记录")
    ws.append(COLUMNS)
    for row in rows(enrolments, full_id=full_id):
        ws.append(row)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()
