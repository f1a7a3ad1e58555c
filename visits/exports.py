"""Excel export of the visit reports, written by the project's one spreadsheet writer
(``core.spreadsheets``: formula injection neutralised; docs/contributing.md, "Security promises")."""

from __future__ import annotations

from typing import Any

from core.spreadsheets import Sheet, neutralise  # the project's one formula neutraliser

__all__ = ["neutralise", "workbook"]


def workbook(sheets: list[tuple[str, list[str], list[list[Any]]]]) -> list[Sheet]:
    """[(sheet name, header, rows)] → the writer's sheets (columns 16 wide, as the report has always had)."""
    return [Sheet(name, header, rows, widths=[16] * len(header)) for name, header, rows in sheets]
