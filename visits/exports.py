"""Excel export of the visit reports, with formula injection neutralised (docs/contributing.md, "Security promises")."""

from __future__ import annotations

import io
from typing import Any

from imports.reports import neutralise  # the project's one formula neutraliser

__all__ = ["neutralise", "workbook"]


def workbook(sheets: list[tuple[str, list[str], list[list[Any]]]]) -> bytes:
    """[(sheet name, header, rows)] → .xlsx bytes. Text is written as text (never as a formula)."""
    import xlsxwriter

    buf = io.BytesIO()
    book = xlsxwriter.Workbook(buf, {"in_memory": True, "strings_to_formulas": False, "strings_to_urls": False})
    bold = book.add_format({"bold": True})
    for name, header, rows in sheets:
        sheet = book.add_worksheet(name[:31])
        sheet.write_row(0, 0, header, bold)
        for i, row in enumerate(rows, start=1):
            for j, value in enumerate(row):
                value = neutralise(value)
                if isinstance(value, str):
                    sheet.write_string(i, j, value)
                elif value is None:
                    sheet.write_blank(i, j, None)
                else:
                    sheet.write(i, j, value)
        sheet.set_column(0, max(len(header) - 1, 0), 16)
    book.close()
    return buf.getvalue()
