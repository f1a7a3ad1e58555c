"""Spreadsheets we write: the error workbook and the blank templates (XlsxWriter, constant memory).

Everything written from user input goes through ``neutralise``: a cell that starts with = + - @
(also tab, CR, NUL and the full-width ＝＋－＠) would be read as a formula by Excel or WPS when a
clerk edits it, so it gets a leading apostrophe (OWASP "CSV injection").
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import Any

import xlsxwriter

from .registry import ImporterKind, RowError, Table

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\n", "\x00", "＝", "＋", "－", "＠")


def neutralise(value: Any) -> Any:
    """Make a cell value safe to open in a spreadsheet; numbers and dates pass unchanged."""
    if isinstance(value, str):
        value = value.replace("\x00", "")  # NUL is never meaningful in a cell (and invalid in xlsx XML)
        if value.startswith(FORMULA_STARTS):
            return "'" + value
    return value


def _write(sheet, row: int, col: int, value: Any, date_format) -> None:
    if value is None or value == "":
        return
    if isinstance(value, bool):
        sheet.write_string(row, col, "是" if value else "否")
    elif isinstance(value, int | float):
        sheet.write_number(row, col, value)
    elif isinstance(value, dt.datetime):
        sheet.write_datetime(row, col, value.replace(tzinfo=None), date_format)
    elif isinstance(value, dt.date):
        sheet.write_datetime(row, col, dt.datetime.combine(value, dt.time()), date_format)
    else:
        sheet.write_string(row, col, neutralise(str(value)))  # write_string: never a formula


def write_error_workbook(path: Path, table: Table | None, errors: list[RowError], notes: list[str]) -> None:
    """Sheet 错误行: the original rows that have errors, with 原行号 first and 错误说明 last (fix and
    re-upload: the two extra columns are ignored). Sheet 错误明细: one line per error."""
    workbook = xlsxwriter.Workbook(str(path), {"constant_memory": True, "strings_to_formulas": False})
    bold = workbook.add_format({"bold": True, "bg_color": "#F2DCDB"})
    date_format = workbook.add_format({"num_format": "yyyy-mm-dd"})
    wrap = workbook.add_format({"text_wrap": False, "font_color": "#9C0006"})
    by_row: dict[int, list[RowError]] = {}
    for error in errors:
        by_row.setdefault(error.row, []).append(error)

    rows_sheet = workbook.add_worksheet("错误行")
    header = table.header if table else []
    rows_sheet.write_string(0, 0, "原行号", bold)
    for col, cell in enumerate(header, start=1):
        rows_sheet.write_string(0, col, neutralise(str(cell)), bold)
    rows_sheet.write_string(0, len(header) + 1, "错误说明", bold)
    rows_sheet.set_column(0, 0, 8)
    rows_sheet.set_column(len(header) + 1, len(header) + 1, 60)
    out = 1
    if table is not None:
        for number, cells in table.rows:
            problems = by_row.get(number)
            if not problems:
                continue
            rows_sheet.write_number(out, 0, number)
            for col, value in enumerate(cells[: len(header)], start=1):
                _write(rows_sheet, out, col, value, date_format)
            text = "；".join(
                f"第{e.row}行 {e.column or '整行'}" + (f"「{e.value}」" if e.value else "") + f"：{e.reason}"
                for e in problems
            )
            rows_sheet.write_string(out, len(header) + 1, neutralise(text), wrap)
            out += 1

    detail = workbook.add_worksheet("错误明细")
    for col, title in enumerate(("Excel行号", "列", "值", "原因")):
        detail.write_string(0, col, title, bold)
    detail.set_column(0, 0, 10)
    detail.set_column(1, 2, 20)
    detail.set_column(3, 3, 60)
    out = 1
    for note in notes:
        detail.write_string(out, 3, neutralise(note))
        out += 1
    for error in sorted(errors, key=lambda e: e.row):
        detail.write_number(out, 0, error.row)
        detail.write_string(out, 1, neutralise(error.column))
        detail.write_string(out, 2, neutralise(error.value))
        detail.write_string(out, 3, neutralise(error.reason))
        out += 1
    workbook.close()


def write_template(path_or_buffer: Any, kind: ImporterKind) -> None:
    """The blank template of a kind: the header row (required columns marked *) and 填写说明."""
    workbook = xlsxwriter.Workbook(path_or_buffer, {"in_memory": True})
    required = workbook.add_format({"bold": True, "bg_color": "#F8CBAD", "border": 1})
    optional = workbook.add_format({"bold": True, "bg_color": "#DDEBF7", "border": 1})
    text = workbook.add_format({"num_format": "@"})
    sheet = workbook.add_worksheet(re.sub(r"[\[\]:*?/\\]", "、", kind.label)[:31])
    for col, column in enumerate(kind.columns):
        sheet.write_string(0, col, column.header, required if column.required else optional)
        sheet.set_column(col, col, column.width, text)  # text cells: long ID numbers keep every digit
    sheet.freeze_panes(1, 0)
    notes = workbook.add_worksheet("填写说明")
    notes.write_row(0, 0, ["列名", "是否必填", "可填的值 / 说明", "也可识别的列名"], optional)
    for row, column in enumerate(kind.columns, start=1):
        notes.write_string(row, 0, column.label)
        notes.write_string(row, 1, "必填" if column.required else "")
        notes.write_string(row, 2, column.help)
        notes.write_string(row, 3, "、".join(column.synonyms))
    notes.set_column(0, 0, 18)
    notes.set_column(2, 2, 70)
    notes.set_column(3, 3, 30)
    workbook.close()
