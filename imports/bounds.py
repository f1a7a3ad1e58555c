"""What reading a spreadsheet may cost, checked before any grid of cells is built.

calamine builds the whole used range of a sheet — (last row + 1) × (last column + 1) cells, every
empty cell included — as soon as the sheet is opened, so one cell at ``XFD200000`` in a 1.7 KB file
asks for ≈ 3.3 billion cells (≈ 100 GB) and aborts the process. The used range must therefore be
known before calamine sees the file, and it cannot be taken from the sheet's ``<dimension>`` tag
alone: a hostile file writes any dimension it likes, or none.

``inspect_xlsx_bounds`` checks, in this order, each step refusing with a Chinese message that names
the limit:

1. the zip's central directory: number of members, the declared uncompressed size of every member
   and of the whole file (``IMPORT_MAX_UNZIPPED_MB``), the compression ratio of large members;
2. every worksheet's ``<dimension>`` (rows, columns, cells);
3. every member decompressed as a stream in 1 MB pieces (never whole in memory), counting the real
   bytes and checking each member's CRC — a zip whose headers understate the sizes fails here,
   before calamine inflates it;
4. in the worksheets of the same stream, the cell references themselves: the largest column
   (``IMPORT_MAX_COLUMNS``), a row past the row limit, and rows × columns (``IMPORT_MAX_CELLS``).
   Regular expressions built for "a number larger than the limit" find an offending reference in C
   without a Python step per cell. A sheet with a cell or row without an ``r`` reference (calamine
   then places it after the previous one), or that is not UTF-8, is scanned again exactly with
   expat, counting positions the way calamine does and stopping at the first limit exceeded.

Nothing here allocates in proportion to the used range; memory stays at a few MB whatever the file.
"""

from __future__ import annotations

import re
import struct
import zipfile
from dataclasses import dataclass
from pathlib import Path
from xml.parsers import expat

from django.conf import settings

PIECE = 1 << 20  # bytes decompressed at a time
MAX_MEMBERS = 10_000
MAX_MEMBER_RATIO = 200  # a member that inflates more than 200× (and past 10 MB) is a zip bomb
RATIO_FLOOR = 10 * 1024 * 1024
MAX_PENDING_TAG = 1 << 20  # a single tag longer than this is hostile: scan exactly
EXCEL_MAX_COLUMNS = 16_384  # XFD

_WHITESPACE = bytes.maketrans(b"\t\r\n", b"   ")
# Upper-case letters → "A", digits → "0": the shape of a reference, so that C-level bytes.count can
# tell single-letter from wider columns and short from long row numbers.
_SHAPE = bytes.maketrans(b"BCDEFGHIJKLMNOPQRSTUVWXYZ123456789", b"A" * 25 + b"0" * 9)
_WIDE_REF = re.compile(rb'<c r="([A-Z]{2,})0*(\d+)')
_DIMENSION = re.compile(rb"<(?:\w+:)?dimension\s+ref\s*=\s*[\"']([A-Za-z]+)(\d+)(?::([A-Za-z]+)(\d+))?[\"']")
_SHEET_TARGET = re.compile(rb"<(?:\w+:)?Relationship\b[^>]*>")
_ATTRIBUTE = re.compile(rb"([\w:]+)\s*=\s*(?:\"([^\"]*)\"|'([^']*)')")


class BoundsExceeded(ValueError):
    """Raised with the Chinese message; ``imports.reading`` turns it into FileRejected."""


@dataclass(frozen=True)
class Limits:
    rows: int  # rows of the sheet, header and title rows included
    columns: int
    cells: int
    unzipped: int  # bytes
    named_rows: int = 0  # the row limit as configured (IMPORT_MAX_ROWS), for the messages

    @classmethod
    def from_settings(cls, *, extra_rows: int = 0) -> Limits:
        return cls(
            rows=int(settings.IMPORT_MAX_ROWS) + extra_rows,
            named_rows=int(settings.IMPORT_MAX_ROWS),
            columns=int(settings.IMPORT_MAX_COLUMNS),
            cells=int(settings.IMPORT_MAX_CELLS),
            unzipped=int(settings.IMPORT_MAX_UNZIPPED_MB * 1024 * 1024),
        )


# --- messages -------------------------------------------------------------------------------------

def rows_message(rows: int, limits: Limits) -> str:
    return f"文件行数太多（约 {rows:,} 行），单个文件不能超过 {limits.named_rows or limits.rows:,} 行，请拆分后分批导入"


def columns_message(columns: int, limits: Limits) -> str:
    return (f"文件列数太多（用到第 {columns:,} 列，即 {column_letters(columns)} 列），"
            f"不能超过 {limits.columns:,} 列；请删除表格右侧多余的列后再导入")


def cells_message(rows: int, columns: int, limits: Limits) -> str:
    return (f"表格范围太大（{rows:,} 行 × {columns:,} 列 = {rows * columns:,} 个单元格），"
            f"不能超过 {limits.cells:,} 个单元格；请删除多余的行列或拆分后再导入")


def unzipped_message(limits: Limits) -> str:
    return (f"文件解压后超过 {limits.unzipped // (1024 * 1024):,} MB（IMPORT_MAX_UNZIPPED_MB），"
            "疑似压缩炸弹或表格过大，已拒绝")


# --- column letters and "larger than" patterns ------------------------------------------------------

def column_number(letters: bytes | str) -> int:
    number = 0
    for char in letters.upper() if isinstance(letters, str) else letters.decode("ascii").upper():
        number = number * 26 + (ord(char) - 64)
    return number


def column_letters(number: int) -> str:
    letters = ""
    while number > 0:
        number, rest = divmod(number - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def _digits_above(limit: int) -> bytes:
    """A pattern for decimal numbers (no leading zeros) larger than ``limit``."""
    text = str(limit)
    options = [rb"[1-9]\d{%d,}" % len(text)]
    for i, char in enumerate(text):
        if char != "9":
            options.append(re.escape(text[:i].encode()) + b"[%d-9]" % (int(char) + 1) + rb"\d{%d}" % (len(text) - i - 1))
    return b"(?:" + b"|".join(options) + rb")(?!\d)"


def _letters_above(limit: int) -> bytes:
    """A pattern for column letters (case-insensitive) past column number ``limit``."""
    text = column_letters(limit).encode()
    options = [rb"[A-Za-z]{%d,}" % (len(text) + 1)]
    for i, char in enumerate(text):
        if char != ord("Z"):
            following = chr(char + 1)
            options.append(b"".join(b"[%s%s]" % (c.encode(), c.lower().encode()) for c in text[:i].decode())
                           + f"[{following}-Z{following.lower()}-z]".encode() + rb"[A-Za-z]{%d}" % (len(text) - i - 1))
    return b"(?:" + b"|".join(options) + rb")(?=\d)"


def _ref_with_row_above(rows: int) -> re.Pattern[bytes]:
    return re.compile(rb"\sr\s*=\s*[\"'][A-Za-z]+0*(" + _digits_above(rows) + b")")


def _ref_with_column_above(columns: int) -> re.Pattern[bytes]:
    return re.compile(rb"\sr\s*=\s*[\"'](" + _letters_above(columns) + b")")


# --- the checks -------------------------------------------------------------------------------------

def check_extent(rows: int, columns: int, limits: Limits) -> None:
    """Refuse a used range of ``rows`` × ``columns`` (1-based counts) that exceeds a limit."""
    if columns > limits.columns:
        raise BoundsExceeded(columns_message(columns, limits))
    if rows > limits.rows:
        raise BoundsExceeded(rows_message(rows, limits))
    if rows * columns > limits.cells:
        raise BoundsExceeded(cells_message(rows, columns, limits))


def _central_directory_entries(path: Path) -> int | None:
    """The member count of the zip's end-of-central-directory record, read from the file's tail
    before zipfile builds one object per member (None when it is not found: zipfile decides)."""
    with open(path, "rb") as fh:
        fh.seek(0, 2)
        size = fh.tell()
        fh.seek(max(0, size - 65_557))
        tail = fh.read()
    at = tail.rfind(b"PK\x05\x06")
    if at < 0 or len(tail) - at < 22:
        return None
    return struct.unpack("<H", tail[at + 10:at + 12])[0]


def worksheet_members(archive: zipfile.ZipFile) -> list[str]:
    """The members the workbook points at as worksheets (any name), plus anything under a
    worksheets folder: calamine follows the relationships, so a sheet may be called anything."""
    names = set(archive.namelist())
    found: list[str] = []
    for rels in sorted(n for n in names if n.endswith("workbook.xml.rels")):
        base = rels[: -len("_rels/workbook.xml.rels")]
        with archive.open(rels) as fh:
            data = fh.read(4 * 1024 * 1024)
        for tag in _SHEET_TARGET.findall(data):
            attributes = {m.group(1).decode("ascii", "replace"): (m.group(2) or m.group(3) or b"").decode("utf-8", "replace")
                          for m in _ATTRIBUTE.finditer(tag)}
            if "worksheet" not in attributes.get("Type", "").lower():
                continue
            target = attributes.get("Target", "")
            member = target.lstrip("/") if target.startswith("/") else base + target
            parts: list[str] = []
            for part in member.split("/"):
                if part == "..":
                    if parts:
                        parts.pop()
                elif part and part != ".":
                    parts.append(part)
            member = "/".join(parts)
            if member in names and member not in found:
                found.append(member)
    for name in sorted(names):
        if "worksheets/" in name.lower() and name.lower().endswith(".xml") and name not in found:
            found.append(name)
    return found


def inspect_xlsx_bounds(path: Path, limits: Limits) -> None:
    """Refuse (BoundsExceeded) an xlsx whose decompressed size or used range exceeds ``limits``.
    zipfile.BadZipFile propagates for the caller to word."""
    entries = _central_directory_entries(path)
    if entries is not None and entries > MAX_MEMBERS:
        raise BoundsExceeded(f"文件包含 {entries:,} 个内部文件，不是正常的 Excel 工作簿，已拒绝")
    with zipfile.ZipFile(path) as archive:
        infos = archive.infolist()
        if len(infos) > MAX_MEMBERS:
            raise BoundsExceeded(f"文件包含 {len(infos):,} 个内部文件，不是正常的 Excel 工作簿，已拒绝")
        total = 0
        for info in infos:
            total += info.file_size
            if total > limits.unzipped:
                raise BoundsExceeded(unzipped_message(limits))
            if info.file_size > RATIO_FLOOR and info.file_size > MAX_MEMBER_RATIO * max(info.compress_size, 1):
                raise BoundsExceeded(f"文件中的 {info.filename} 解压后是压缩时的 {info.file_size // max(info.compress_size, 1):,} 倍，"
                                     "疑似压缩炸弹，已拒绝")
        sheets = worksheet_members(archive)
        for sheet in sheets:
            with archive.open(sheet) as fh:
                head = fh.read(PIECE)
            _check_dimension(head, limits)
        real = 0
        for info in infos:
            if info.is_dir():
                continue
            if info.filename in sheets:
                real += _scan_sheet(archive, info, limits, limits.unzipped - real)
            else:
                real += _drain(archive, info, limits.unzipped - real, limits)


def _check_dimension(head: bytes, limits: Limits) -> None:
    match = _DIMENSION.search(head)
    if not match:
        return
    last_letters, last_row = (match.group(3), match.group(4)) if match.group(3) else (match.group(1), match.group(2))
    check_extent(int(last_row), column_number(last_letters), limits)


def _drain(archive: zipfile.ZipFile, info: zipfile.ZipInfo, budget: int, limits: Limits) -> int:
    """Decompress a member piece by piece, counting the real bytes (the CRC is checked at its end)."""
    count = 0
    with archive.open(info) as fh:
        while piece := fh.read(PIECE):
            count += len(piece)
            if count > budget:
                raise BoundsExceeded(unzipped_message(limits))
    return count


def _scan_sheet(archive: zipfile.ZipFile, info: zipfile.ZipInfo, limits: Limits, budget: int) -> int:
    """Stream one worksheet: its real size, and its cell references against the limits.

    The fast path applies to a sheet written the way every spreadsheet program writes one — each
    cell a ``<c r="A1" …>`` with its reference first, in upper case, once — and is decided by
    counting (bytes.count, C speed, no Python step per cell): if any cell differs (no reference, a
    prefixed or lower-case tag, a second r attribute, odd spacing) the sheet is walked exactly with
    expat instead. On the fast path a reference past the limits is found by regular expressions that
    only run on the pieces where a wide column or a long row number occurs at all."""
    single_limit = min(26, limits.columns)
    row_limit = min(limits.rows, limits.cells // max(1, single_limit))
    row_above = re.compile(rb'<c r="[A-Z]0*(' + _digits_above(row_limit) + b")")
    long_row = b'<c r="A' + b"0" * len(str(row_limit))  # a single-letter reference with as many digits
    widest = 0
    wide_rows = 0
    referenced = False
    exact = False
    count = 0
    pending = b""
    with archive.open(info) as fh:
        first = True
        while True:
            piece = fh.read(PIECE)
            count += len(piece)
            if count > budget:
                raise BoundsExceeded(unzipped_message(limits))
            if first:
                first = False
                if piece[:2] in (b"\xff\xfe", b"\xfe\xff") or b"\x00" in piece[:64]:
                    exact = True  # UTF-16: the byte patterns below do not apply
            if exact:
                if not piece:
                    break
                continue
            data = pending + piece
            if piece:
                cut = max(data.rfind(b"<"), 0)  # '<' never occurs inside a tag: every tag before it is whole
                data, pending = data[:cut], data[cut:]
                if len(pending) > MAX_PENDING_TAG:
                    exact = True
                    continue
            else:
                pending = b""
            if data:
                text = data.translate(_WHITESPACE)
                cells = text.count(b'<c r="')
                if (text.count(b"<c ") != cells or text.count(b"<c>") or text.count(b"<c/")
                        or text.count(b":c ") or text.count(b":c>") or text.count(b":c/")
                        or text.count(b" r=") + text.count(b" r ") != cells + text.count(b'<row r="')):
                    exact = True
                    continue
                if cells:
                    referenced = True
                    shape = text.translate(_SHAPE)
                    wide = shape.count(b'<c r="AA')
                    if shape.count(b'<c r="A0') + wide != cells:
                        exact = True  # lower case, '$' or anything else calamine may read differently
                        continue
                    if wide:
                        for match in _WIDE_REF.finditer(text):
                            column = column_number(match.group(1))
                            if column > limits.columns:
                                raise BoundsExceeded(columns_message(column, limits))
                            widest = max(widest, column)
                            wide_rows = max(wide_rows, int(match.group(2)))
                    if shape.count(long_row):
                        found = row_above.search(text)
                        if found:
                            rows = int(found.group(1))
                            raise BoundsExceeded(rows_message(rows, limits) if rows > limits.rows
                                                 else cells_message(rows, single_limit, limits))
            if not piece:
                break
    if exact:
        _exact_extent(archive, info, limits)
        return count
    if wide_rows:
        check_extent(wide_rows, widest, limits)
    columns = max(widest, single_limit if referenced else 0)
    if columns * row_limit > limits.cells:
        # More than 26 columns: fewer rows are allowed than the row limit; look again for them.
        allowed = limits.cells // columns
        row_above = re.compile(rb'<c r="[A-Z]+0*(' + _digits_above(allowed) + b")")
        with archive.open(info) as fh:
            pending = b""
            while True:
                piece = fh.read(PIECE)
                data = pending + piece
                cut = max(data.rfind(b"<"), 0) if piece else len(data)
                data, pending = data[:cut], data[cut:]
                found = row_above.search(data.translate(_WHITESPACE))
                if found:
                    raise BoundsExceeded(cells_message(int(found.group(1)), columns, limits))
                if not piece:
                    break
    return count


def _ref_position(ref: str) -> tuple[int, int] | None:
    """(row, column), 1-based, of an A1 reference as calamine reads it; None if it is not one."""
    match = re.fullmatch(r"([A-Za-z]+)0*(\d+)", ref)
    if not match:
        return None
    return int(match.group(2)), column_number(match.group(1))


def _exact_extent(archive: zipfile.ZipFile, info: zipfile.ZipInfo, limits: Limits) -> None:
    """Walk the sheet with expat the way calamine places cells: a row without r follows the previous
    one, a cell without r the previous cell; stop at the first limit exceeded. No DTD is accepted."""
    state = {"row": 0, "column": 0, "rows": 0, "columns": 0}

    def refuse_doctype(*_args) -> None:
        raise BoundsExceeded("文件中的工作表含有 DTD 声明，不是正常的 Excel 工作簿，已拒绝")

    def start(name: str, attributes: dict) -> None:
        local = name.rsplit(":", 1)[-1]
        if local == "row":
            position = attributes.get("r")
            state["row"] = int(position) if position and position.isdigit() else state["row"] + 1
            state["column"] = 0
        elif local == "c":
            position = _ref_position(attributes.get("r", "")) if attributes.get("r") else None
            if position:
                state["row"], state["column"] = position
            else:
                state["row"] = max(state["row"], 1)
                state["column"] += 1
            if state["row"] > state["rows"] or state["column"] > state["columns"]:
                state["rows"] = max(state["rows"], state["row"])
                state["columns"] = max(state["columns"], state["column"])
                check_extent(state["rows"], state["columns"], limits)

    parser = expat.ParserCreate()
    parser.StartDoctypeDeclHandler = refuse_doctype
    parser.EntityDeclHandler = refuse_doctype
    parser.StartElementHandler = start
    parser.buffer_text = True
    try:
        with archive.open(info) as fh:
            while piece := fh.read(PIECE):
                parser.Parse(piece, False)
            parser.Parse(b"", True)
    except expat.ExpatError as exc:
        raise BoundsExceeded(f"工作表的 XML 已损坏（{exc}），请用 Excel 另存为 .xlsx 后重试") from None
