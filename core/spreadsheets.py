"""The one spreadsheet writer of the project: every staff export (.xlsx and .csv) goes through here.

- **Formula neutralising.** Every text cell passes ``neutralise``: a cell that starts with = + - @
  (also tab, CR, LF, NUL and the full-width ＝＋－＠) would be read as a formula by Excel or WPS when a
  clerk opens or edits it, so it gets a leading apostrophe (OWASP "CSV injection"; docs/contributing.md,
  "Security promises"). A cell the code formatted itself (an amount such as ``-100.00``) can be marked
  ``Verbatim`` and is written as it is.
- **.xlsx** by XlsxWriter in ``constant_memory`` mode: rows go to disk as they are written, so an export
  of a million rows keeps memory flat. Text is always written as text (never a formula, a URL or a
  number guessed from a string). Header row bold and frozen, column widths fitted to the content
  (a CJK character counts two) unless given.
- **.csv** as UTF-8 with a byte-order mark (Excel opens Chinese correctly only with it), LF line ends,
  produced as a generator of chunks, so a response can stream it.
- **Responses** with the file name in ``Content-Disposition`` through Django's
  ``content_disposition_header`` (a Chinese name is sent as ``filename*=utf-8''…``).

This module imports no project app.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import tempfile
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.http import FileResponse, HttpResponse, StreamingHttpResponse
from django.utils.http import content_disposition_header

__all__ = [
    "CSV_CONTENT_TYPE", "FORMULA_STARTS", "HEADER_STYLE", "XLSX_CONTENT_TYPE", "Sheet", "Verbatim", "attachment",
    "csv_chunks", "csv_response", "display_width", "neutralise", "sheet_name", "write_csv", "write_xlsx",
    "xlsx_bytes", "xlsx_response",
]

XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CSV_CONTENT_TYPE = "text/csv; charset=utf-8"
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\n", "\x00", "＝", "＋", "－", "＠")
_FORMULA_FIRST = frozenset(FORMULA_STARTS)
HEADER_STYLE: dict[str, Any] = {"bold": True, "bg_color": "#F2F2F2", "border": 1, "text_wrap": True, "valign": "vcenter"}
CSV_CHUNK_ROWS = 5000
MIN_WIDTH, MAX_WIDTH = 8, 60


class Verbatim(str):
    """A text cell the code formatted itself (an amount ``-100.00``, a code): written as it is, not
    neutralised. Never wrap user input in it."""

    __slots__ = ()


def neutralise(value: Any) -> Any:
    """Make a cell value safe to open in a spreadsheet; numbers, dates and ``Verbatim`` pass unchanged."""
    if isinstance(value, str) and value and not isinstance(value, Verbatim):
        if "\x00" in value:
            value = value.replace("\x00", "")  # NUL is never meaningful in a cell (and invalid in xlsx XML)
        if value[:1] in _FORMULA_FIRST:
            return "'" + value
    return value


def _csv_row(row: Sequence[Any]) -> Sequence[Any]:
    """A row as CSV fields. Fast path (most rows of a big export): all text, none needing a change."""
    try:
        firsts = [v[:1] for v in row]
        joined = "".join(row)  # TypeError: not all text
    except TypeError:
        return [v if _plain(v) else _csv_text(v) for v in row]
    if _FORMULA_FIRST.isdisjoint(firsts) and "\x00" not in joined:
        return row
    return [v if _plain(v) else _csv_text(v) for v in row]


def _plain(value: Any) -> bool:
    """The fast path of the writers: text that needs no change (most cells of a big export)."""
    return type(value) is str and value != "" and value[0] not in _FORMULA_FIRST and "\x00" not in value


def display_width(value: Any) -> int:
    """Columns a value takes in a spreadsheet: CJK characters are two wide."""
    text = "" if value is None else str(value)
    if text.isascii():
        return len(text)
    return sum(2 if ord(ch) > 0x2E80 else 1 for ch in text)


def sheet_name(name: str) -> str:
    """A name Excel accepts for a sheet: no []:*?/\\, no apostrophe at either end, at most 31 characters."""
    return re.sub(r"[\[\]:*?/\\]", "、", name).strip("'")[:31].strip("'") or "Sheet"


@dataclass
class Sheet:
    """One sheet: a header row and data rows (any iterable: a generator streams).

    ``widths``: one width per column (None: Excel's default), or None to fit the columns to the header
    and the data (8 to 60).
    ``header_style``: XlsxWriter format properties of the header row, or one dict per column.
    ``column_styles``: column index → format properties of that column's cells (the whole column).
    ``date_format``: dates become Excel dates with this number format; None writes them as ISO text.
    """

    name: str
    header: Sequence[Any]
    rows: Iterable[Sequence[Any]]
    widths: Sequence[float | None] | None = None
    freeze_header: bool = True
    header_style: Mapping[str, Any] | Sequence[Mapping[str, Any]] | None = None
    column_styles: Mapping[int, Mapping[str, Any]] = field(default_factory=dict)
    date_format: str | None = None


def _cell(value: Any) -> Any:
    """The value a cell holds: None for an empty cell, a number, a date, or (neutralised) text."""
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, int | float | Decimal | dt.date):
        return value
    return neutralise(value if isinstance(value, str) else str(value))  # no str() on text: it would drop Verbatim


def write_xlsx(out: Any, sheets: Iterable[Sheet]) -> None:
    """Write the sheets to ``out`` (a path or a binary file object) as .xlsx, in constant memory."""
    import xlsxwriter

    book = xlsxwriter.Workbook(out, {"constant_memory": True, "strings_to_formulas": False,
                                     "strings_to_numbers": False, "strings_to_urls": False})
    formats: dict[tuple, Any] = {}

    def fmt(props: Mapping[str, Any] | None):
        if not props:
            return None
        key = tuple(sorted(props.items()))
        if key not in formats:
            formats[key] = book.add_format(dict(props))
        return formats[key]

    for spec in sheets:
        ws = book.add_worksheet(sheet_name(str(spec.name)))
        header_styles = spec.header_style if spec.header_style is not None else HEADER_STYLE
        if isinstance(header_styles, Mapping):
            header_styles = [header_styles] * len(spec.header)
        columns = {col: fmt(props) for col, props in spec.column_styles.items()}
        fitted = [max(MIN_WIDTH, display_width(h) + 2) for h in spec.header]
        for col, title in enumerate(spec.header):
            ws.write_string(0, col, str(neutralise(str(title))), fmt(header_styles[col]))
        fitting = spec.widths is None
        for r, row in enumerate(spec.rows, start=1):
            for c, raw in enumerate(row):
                style = columns.get(c) if columns else None
                if _plain(raw):
                    ws.write_string(r, c, raw, style)
                    if fitting and c < len(fitted) and 2 * len(raw) + 2 > fitted[c]:
                        fitted[c] = min(MAX_WIDTH, max(fitted[c], display_width(raw) + 2))
                    continue
                value = _cell(raw)
                if value is None:
                    if style is not None:
                        ws.write_blank(r, c, None, style)
                elif isinstance(value, str):
                    ws.write_string(r, c, value, style)  # never write_formula, never guessed
                elif isinstance(value, dt.date):
                    if spec.date_format:
                        stamp = value if isinstance(value, dt.datetime) else dt.datetime.combine(value, dt.time())
                        date_style = fmt({**spec.column_styles.get(c, {}), "num_format": spec.date_format})
                        ws.write_datetime(r, c, stamp.replace(tzinfo=None), date_style)
                    else:
                        value = value.isoformat()
                        ws.write_string(r, c, value, style)
                else:
                    ws.write_number(r, c, float(value), style)
                if fitting and c < len(fitted):
                    fitted[c] = min(MAX_WIDTH, max(fitted[c], display_width(value) + 2))
        widths = spec.widths if spec.widths is not None else fitted
        for col in range(max(len(widths), len(spec.header), max(spec.column_styles, default=-1) + 1)):
            width = widths[col] if col < len(widths) else None
            if width is not None or col in columns:
                ws.set_column(col, col, width, columns.get(col))
        if spec.freeze_header:
            ws.freeze_panes(1, 0)
    book.close()


def xlsx_bytes(sheets: Iterable[Sheet]) -> bytes:
    buffer = io.BytesIO()
    write_xlsx(buffer, sheets)
    return buffer.getvalue()


def _csv_text(value: Any) -> str:
    value = _cell(value)
    if value is None:
        return ""
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    return str(value)


def csv_chunks(header: Sequence[Any] | None, rows: Iterable[Sequence[Any]], *, bom: bool = True) -> Iterator[str]:
    """CSV text in chunks of ``CSV_CHUNK_ROWS`` rows (the UTF-8 byte-order mark first, unless ``bom`` is
    False); every text cell neutralised, numbers as Python writes them, None as an empty field."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    if bom:
        yield "\ufeff"
    if header is not None:
        writer.writerow(_csv_row(header))
    n = 0
    for row in rows:
        writer.writerow(_csv_row(row))
        n += 1
        if n % CSV_CHUNK_ROWS == 0:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()


def write_csv(out: Any, header: Sequence[Any] | None, rows: Iterable[Sequence[Any]], *, bom: bool = True) -> None:
    """Write CSV to ``out``, a text file object, or a binary one (encoded as UTF-8)."""
    binary = not isinstance(out, io.TextIOBase)
    for chunk in csv_chunks(header, rows, bom=bom):
        out.write(chunk.encode() if binary else chunk)


def attachment(response: HttpResponse | StreamingHttpResponse, filename: str):
    """Mark ``response`` as a download named ``filename`` (any characters: Chinese names are RFC 5987 encoded)."""
    response["Content-Disposition"] = content_disposition_header(True, filename)
    return response


def xlsx_response(sheets: Iterable[Sheet], filename: str, *, streaming: bool = False):
    """The sheets as an .xlsx download. ``streaming``: written to a temporary file and sent from it
    (memory stays flat however many rows); otherwise built in memory (an HttpResponse)."""
    if streaming:
        tmp = tempfile.TemporaryFile()
        write_xlsx(tmp, sheets)
        tmp.seek(0)
        return FileResponse(tmp, as_attachment=True, filename=filename, content_type=XLSX_CONTENT_TYPE)
    return attachment(HttpResponse(xlsx_bytes(sheets), content_type=XLSX_CONTENT_TYPE), filename)


def csv_response(header: Sequence[Any] | None, rows: Iterable[Sequence[Any]], filename: str, *, streaming: bool = False):
    """The rows as a .csv download (UTF-8 with BOM). ``streaming``: sent as it is produced."""
    chunks = csv_chunks(header, rows)
    if streaming:
        response = StreamingHttpResponse((c.encode() for c in chunks), content_type=CSV_CONTENT_TYPE)
    else:
        response = HttpResponse("".join(chunks).encode(), content_type=CSV_CONTENT_TYPE)
    return attachment(response, filename)
