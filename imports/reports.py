"""Spreadsheets the import engine writes: the error workbook and the blank templates, through the
project's one spreadsheet writer (``core.spreadsheets``, which also holds ``neutralise``: every text
cell from user input is formula-neutralised; re-exported here for the importers).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from core.spreadsheets import FORMULA_STARTS, Sheet, neutralise, write_xlsx

from .registry import ImporterKind, RowError, Table

__all__ = ["FORMULA_STARTS", "neutralise", "template_sheets", "write_error_workbook", "write_template"]

ERROR_HEADER = {"bold": True, "bg_color": "#F2DCDB"}
REQUIRED_HEADER = {"bold": True, "bg_color": "#F8CBAD", "border": 1}
OPTIONAL_HEADER = {"bold": True, "bg_color": "#DDEBF7", "border": 1}


def write_error_workbook(path: Path, table: Table | None, errors: list[RowError], notes: list[str]) -> None:
    """Sheet 错误行: the original rows that have errors, with 原行号 first and 错误说明 last (fix and
    re-upload: the two extra columns are ignored). Sheet 错误明细: one line per error."""
    by_row: dict[int, list[RowError]] = {}
    for error in errors:
        by_row.setdefault(error.row, []).append(error)
    header = list(table.header) if table else []

    def error_rows():
        if table is None:
            return
        for number, cells in table.rows:
            problems = by_row.get(number)
            if not problems:
                continue
            original = list(cells[: len(header)])
            text = "；".join(
                f"第{e.row}行 {e.column or '整行'}" + (f"「{e.value}」" if e.value else "") + f"：{e.reason}"
                for e in problems
            )
            yield [number, *original, *[None] * (len(header) - len(original)), text]

    def detail_rows():
        for note in notes:
            yield [None, None, None, note]
        for error in sorted(errors, key=lambda e: e.row):
            yield [error.row, error.column, error.value, error.reason]

    write_xlsx(str(path), [
        Sheet("错误行", ["原行号", *header, "错误说明"], error_rows(), widths=[8, *[None] * len(header), 60],
              header_style=ERROR_HEADER, column_styles={len(header) + 1: {"text_wrap": False, "font_color": "#9C0006"}},
              date_format="yyyy-mm-dd"),
        Sheet("错误明细", ["Excel行号", "列", "值", "原因"], detail_rows(), widths=[10, 20, 20, 60],
              header_style=ERROR_HEADER),
    ])


def template_sheets(kind: ImporterKind) -> list[Sheet]:
    """The blank template of a kind: the header row (required columns marked *) and 填写说明."""
    columns = list(kind.columns)
    return [
        Sheet(kind.label, [c.header for c in columns], [], widths=[c.width for c in columns],
              header_style=[REQUIRED_HEADER if c.required else OPTIONAL_HEADER for c in columns],
              # text cells: long ID numbers keep every digit
              column_styles={col: {"num_format": "@"} for col in range(len(columns))}),
        Sheet("填写说明", ["列名", "是否必填", "可填的值 / 说明", "也可识别的列名"],
              [[c.label, "必填" if c.required else "", c.help, "、".join(c.synonyms)] for c in columns],
              widths=[18, None, 70, 30], header_style=OPTIONAL_HEADER, freeze_header=False),
    ]


def write_template(path_or_buffer: Any, kind: ImporterKind) -> None:
    write_xlsx(path_or_buffer, template_sheets(kind))
