"""Reading an uploaded spreadsheet into rows, refusing what is not one before any parsing.

.xlsx goes through python-calamine (Rust: reads the cached cell values, never evaluates formulas,
does not resolve XML entities); .csv through the csv module: UTF-16 when it starts with a byte-order
mark (Excel's 「Unicode 文本」, tab-separated), else UTF-8 (with or without BOM) first, then GB18030.
The file size, the decompressed size, the used range (rows × columns) and the cell count are checked
before calamine builds any grid (``imports.bounds``); a CSV's columns and cells as it is read.
"""

from __future__ import annotations

import csv
import hashlib
import io
import zipfile
import zlib
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from django.conf import settings

from .bounds import BoundsExceeded, Limits, columns_message, inspect_xlsx_bounds
from .registry import Column, Table
from .values import cell_text, header_key

HEADER_SEARCH_ROWS = 30
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")


class FileRejected(ValueError):
    """The file as a whole cannot be imported; the message says why, in Chinese."""


def max_bytes() -> int:
    return int(settings.IMPORT_MAX_FILE_MB * 1024 * 1024)


def max_rows() -> int:
    return int(settings.IMPORT_MAX_ROWS)


def limits() -> Limits:
    """The used-range and decompression limits; the sheet's rows may include the title and header rows."""
    return Limits.from_settings(extra_rows=HEADER_SEARCH_ROWS)


def check_size(size: int) -> None:
    if size == 0:
        raise FileRejected("文件是空的（0 字节），请重新选择文件")
    if size > max_bytes():
        raise FileRejected(
            f"文件太大（{size / 1024 / 1024:.1f} MB），单个文件不能超过 {settings.IMPORT_MAX_FILE_MB} MB，请拆分后分批导入"
        )


def sniff(head: bytes, filename: str) -> str:
    """'xlsx' or 'csv' from the first bytes (not the name, which clerks rename freely)."""
    if head.startswith(OLE_MAGIC):
        raise FileRejected("文件已加密（设置了打开密码），或是旧版 .xls 格式：请取消密码并另存为 .xlsx 后再导入")
    if head.startswith(b"PK\x03\x04"):
        return "xlsx"
    if head.startswith(UTF16_BOMS):
        return "csv"  # Excel's 「Unicode 文本」: UTF-16 with a byte-order mark, tab-separated
    if b"\x00" in head[:4096]:
        raise FileRejected("这不是电子表格文件：请上传 .xlsx 或 .csv 文件（在 Excel 中「另存为」Excel 工作簿、"
                           "CSV UTF-8 或 Unicode 文本）")
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            head[:4096].decode(encoding)
        except UnicodeDecodeError as exc:
            if exc.start >= len(head[:4096]) - 4:  # a character cut at the sample's end
                return "csv"
            continue
        return "csv"
    raise FileRejected("无法识别文件编码：CSV 文件请用 UTF-8 或 GB18030（GBK）编码保存")


_PASSED: dict[tuple, None] = {}  # contents (digest, size, limits) this process found within the limits


def _fingerprint(path: Path) -> tuple:
    digest = hashlib.blake2b(digest_size=20)
    with open(path, "rb") as fh:
        while piece := fh.read(1 << 20):
            digest.update(piece)
    return digest.digest(), path.stat().st_size, limits()


def inspect_xlsx(path: Path) -> None:
    """Refuse a zip that is no workbook, is encrypted, inflates suspiciously, or whose sheets' used
    range (rows × columns, from the cell references themselves) or decompressed size exceeds the
    limits — all before calamine builds a grid (imports.bounds). The same contents are scanned once
    per process (the CLI checks the file at upload and again when it reads the kept copy)."""
    key = _fingerprint(path)
    if key in _PASSED:
        return
    try:
        with zipfile.ZipFile(path) as archive:
            names = set(archive.namelist())
            if "EncryptedPackage" in names:
                raise FileRejected("文件已加密，请取消密码后再导入")
            if "xl/workbook.xml" not in names:
                raise FileRejected("这不是 Excel 工作簿（.xlsx）文件")
        inspect_xlsx_bounds(path, limits())
    except BoundsExceeded as exc:
        raise FileRejected(str(exc)) from None
    except RuntimeError as exc:  # zipfile: "File … is encrypted, password required"
        if "encrypt" in str(exc).lower() or "password" in str(exc).lower():
            raise FileRejected("文件已加密，请取消密码后再导入") from None
        raise
    except (zipfile.BadZipFile, zipfile.LargeZipFile, NotImplementedError, EOFError, zlib.error):
        raise FileRejected("文件已损坏，或不是 .xlsx 文件") from None
    if len(_PASSED) >= 16:
        _PASSED.pop(next(iter(_PASSED)))
    _PASSED[key] = None


def too_many_rows_message(rows: int) -> str:
    return f"文件行数太多（约 {rows:,} 行），单个文件不能超过 {max_rows():,} 行，请拆分后分批导入"


def check_file(path: Path, filename: str) -> str:
    """All the checks that need no parsing; returns the format."""
    check_size(path.stat().st_size)
    with open(path, "rb") as fh:
        head = fh.read(8192)
    fmt = sniff(head, filename)
    if fmt == "xlsx":
        inspect_xlsx(path)
    return fmt


def read_cells(path: Path, fmt: str) -> list[list[Any]]:
    """All rows of the first sheet (xlsx) or of the file (csv), as lists of raw cell values."""
    if fmt == "xlsx":
        from python_calamine import CalamineWorkbook

        inspect_xlsx(path)  # never a grid before the bounds are checked (a no-op after check_file)
        try:
            workbook = CalamineWorkbook.from_path(str(path))
            sheet = workbook.get_sheet_by_index(0)
            if sheet.height > max_rows() + HEADER_SEARCH_ROWS:
                raise FileRejected(too_many_rows_message(sheet.height))
            rows = sheet.to_python(skip_empty_area=False)
        except FileRejected:
            raise
        except BaseException as exc:  # calamine's errors: PasswordError, ZipError, XmlError … and a
            # Rust panic, which pyo3 raises as PanicException, a BaseException: never let it kill the reader
            if not isinstance(exc, Exception) and type(exc).__name__ != "PanicException":
                raise
            if "password" in type(exc).__name__.lower() or "encrypt" in str(exc).lower():
                raise FileRejected("文件已加密，请取消密码后再导入") from None
            raise FileRejected(f"无法读取该 Excel 文件（{type(exc).__name__}），请用 Excel 另存为 .xlsx 后重试") from None
        return rows
    raw = path.read_bytes()
    encodings = ("utf-16",) if raw.startswith(UTF16_BOMS) else ("utf-8-sig", "gb18030")
    for encoding in encodings:
        try:
            text = raw.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        if encodings == ("utf-16",):
            raise FileRejected("文件以 UTF-16 标记开头，但内容无法按 UTF-16 读取；请在 Excel 中另存为「CSV UTF-8」后再导入")
        raise FileRejected("无法识别文件编码：CSV 文件请用 UTF-8 或 GB18030（GBK）编码保存")
    del raw
    if text.count("\n") > max_rows() + HEADER_SEARCH_ROWS:
        raise FileRejected(too_many_rows_message(text.count("\n")))
    dialect: Any
    try:
        dialect = csv.Sniffer().sniff(text[:4096], delimiters=",\t;")
    except csv.Error:
        dialect = csv.excel_tab if encodings == ("utf-16",) else csv.excel
    bounds = limits()
    records: list[list[Any]] = []
    cells = 0
    for record in csv.reader(io.StringIO(text, newline=""), dialect):
        if len(record) > bounds.columns:
            raise FileRejected(columns_message(len(record), bounds))
        cells += len(record)
        if cells > bounds.cells:
            raise FileRejected(f"表格单元格太多（超过 {bounds.cells:,} 个），请拆分后分批导入")
        records.append(record)
    return records


def _row_is_blank(cells: Iterable[Any]) -> bool:
    return all(c is None or c == "" or (isinstance(c, str) and not c.strip()) for c in cells)


def find_header(rows: list[list[Any]], columns: tuple[Column, ...]) -> tuple[int, dict[str, int], list[str]]:
    """The header row is the one (among the first rows) that names the most template columns.

    Returns (row index, column key → cell index, unknown header cells).
    """
    by_key: dict[str, Column] = {}
    for column in columns:
        for key in column.keys():
            by_key.setdefault(key, column)
    best = (-1, 0)
    for index, cells in enumerate(rows[:HEADER_SEARCH_ROWS]):
        score = len({by_key[k].key for k in (header_key(c) for c in cells) if k in by_key})
        if score > best[1]:
            best = (index, score)
    index = best[0]
    if index < 0:
        labels = "、".join(c.label for c in columns if c.required)
        raise FileRejected(f"没有找到表头：前 {HEADER_SEARCH_ROWS} 行中没有一行包含模板的列名（如 {labels}）")
    mapping: dict[str, int] = {}
    unknown: list[str] = []
    for position, cell in enumerate(rows[index]):
        key = header_key(cell)
        if not key:
            continue
        column = by_key.get(key)
        if column is None:
            unknown.append(cell_text(cell))
        elif column.key in mapping:
            unknown.append(f"{cell_text(cell)}（重复的列）")
        else:
            mapping[column.key] = position
    return index, mapping, unknown


def read_table(path: Path, filename: str, columns: tuple[Column, ...]) -> Table:
    """Check, parse, find the header, refuse missing required columns; the data rows follow."""
    fmt = check_file(path, filename)
    return table_from_rows(read_cells(path, fmt), columns)


def table_from_rows(rows: list[list[Any]], columns: tuple[Column, ...]) -> Table:
    """The raw rows of a sheet (title rows, header, data) as a Table: the header found among the first
    rows, columns mapped by label or synonym, blank rows dropped, Excel row numbers kept.
    Raises FileRejected for a file with no data, no header or a missing required column."""
    rows = list(rows)
    while rows and _row_is_blank(rows[-1]):
        rows.pop()
    if not rows:
        raise FileRejected("文件中没有任何数据")
    header_index, mapping, unknown = find_header(rows, columns)
    missing = [c.label for c in columns if c.required and c.key not in mapping]
    if missing:
        raise FileRejected(f"缺少必填列：{'、'.join(missing)}（第 {header_index + 1} 行为表头）。未导入任何数据")
    data = [
        (index + 1, cells)
        for index, cells in enumerate(rows[header_index + 1:], start=header_index + 1)
        if not _row_is_blank(cells)
    ]
    if not data:
        raise FileRejected("表头下面没有数据行")
    if len(data) > max_rows():
        raise FileRejected(too_many_rows_message(len(data)))
    return Table(
        header=[cell_text(c) for c in rows[header_index]],
        header_row=header_index + 1,
        columns=mapping,
        labels={c.key: c.label for c in columns},
        rows=data,
        unknown_columns=unknown,
    )
