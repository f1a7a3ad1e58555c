"""Reading an uploaded spreadsheet into rows, refusing what is not one before any parsing.

.xlsx goes through python-calamine (Rust: reads the cached cell values, never evaluates formulas,
does not resolve XML entities); .csv through the csv module, UTF-8 (with or without BOM) first,
then GB18030. Size, zip-bomb and row limits are checked before the cells are read.
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from django.conf import settings

from .registry import Column, Table
from .values import cell_text, header_key

HEADER_SEARCH_ROWS = 30
MAX_UNCOMPRESSED_RATIO = 200  # a zip that inflates 200× is a zip bomb, not a roll
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_DIMENSION = re.compile(rb'<(?:\w+:)?dimension\s+ref="[A-Z]+\d+:[A-Z]+(\d+)"')


class FileRejected(ValueError):
    """The file as a whole cannot be imported; the message says why, in Chinese."""


def max_bytes() -> int:
    return int(settings.IMPORT_MAX_FILE_MB * 1024 * 1024)


def max_rows() -> int:
    return int(settings.IMPORT_MAX_ROWS)


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
    if b"\x00" in head[:4096]:
        raise FileRejected("这不是电子表格文件：请上传 .xlsx 或 .csv 文件")
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            head[:4096].decode(encoding)
        except UnicodeDecodeError as exc:
            if exc.start >= len(head[:4096]) - 4:  # a character cut at the sample's end
                return "csv"
            continue
        return "csv"
    raise FileRejected("无法识别文件编码：CSV 文件请用 UTF-8 或 GB18030（GBK）编码保存")


def inspect_xlsx(path: Path) -> None:
    """Refuse a zip that is no workbook, inflates suspiciously, or declares too many rows."""
    try:
        with zipfile.ZipFile(path) as archive:
            names = set(archive.namelist())
            if "EncryptedPackage" in names:
                raise FileRejected("文件已加密，请取消密码后再导入")
            if "xl/workbook.xml" not in names:
                raise FileRejected("这不是 Excel 工作簿（.xlsx）文件")
            total = sum(info.file_size for info in archive.infolist())
            if total > max(path.stat().st_size * MAX_UNCOMPRESSED_RATIO, 50 * 1024 * 1024):
                raise FileRejected("文件解压后异常巨大，疑似压缩炸弹，已拒绝")
            sheets = sorted(n for n in names if n.startswith("xl/worksheets/sheet") and n.endswith(".xml"))
            if sheets:
                with archive.open(sheets[0]) as sheet:
                    head = sheet.read(4096)
                match = _DIMENSION.search(head)
                if match and int(match.group(1)) > max_rows() + HEADER_SEARCH_ROWS:
                    raise FileRejected(too_many_rows_message(int(match.group(1))))
    except zipfile.BadZipFile:
        raise FileRejected("文件已损坏，或不是 .xlsx 文件") from None


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

        try:
            workbook = CalamineWorkbook.from_path(str(path))
            sheet = workbook.get_sheet_by_index(0)
            if sheet.height > max_rows() + HEADER_SEARCH_ROWS:
                raise FileRejected(too_many_rows_message(sheet.height))
            rows = sheet.to_python(skip_empty_area=False)
        except FileRejected:
            raise
        except Exception as exc:  # calamine's errors: PasswordError, ZipError, XmlError …
            if "password" in type(exc).__name__.lower() or "encrypt" in str(exc).lower():
                raise FileRejected("文件已加密，请取消密码后再导入") from None
            raise FileRejected(f"无法读取该 Excel 文件（{type(exc).__name__}），请用 Excel 另存为 .xlsx 后重试") from None
        return rows
    raw = path.read_bytes()
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = raw.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise FileRejected("无法识别文件编码：CSV 文件请用 UTF-8 或 GB18030（GBK）编码保存")
    if text.count("\n") > max_rows() + HEADER_SEARCH_ROWS:
        raise FileRejected(too_many_rows_message(text.count("\n")))
    try:
        dialect = csv.Sniffer().sniff(text[:4096], delimiters=",\t;")
    except csv.Error:
        dialect = csv.excel
    return list(csv.reader(io.StringIO(text, newline=""), dialect))


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
