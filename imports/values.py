"""Turning messy spreadsheet cells into clean values. Pure functions, no ORM.

Real files come from many hands: full-width characters, stray spaces, numbers stored as numbers,
dates in five spellings. Every parser raises ``ValueError`` with a Chinese reason a clerk can act on.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Iterable
from typing import Any

EXCEL_EPOCH = dt.date(1899, 12, 30)  # serial 1 = 1900-01-01 (with Excel's phantom 1900-02-29)
_WS = re.compile(r"[\s\u3000\u00a0\u200b\ufeff]+")
_REQUIRED_MARKS = re.compile(r"[*＊]|\(必填\)|必填")
_DATE_PATTERNS = (
    re.compile(r"^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?$"),
    re.compile(r"^(\d{4})年(\d{1,2})月(\d{1,2})日?$"),
    re.compile(r"^(\d{4})(\d{2})(\d{2})$"),
)


def nfkc(text: str) -> str:
    """Full-width letters, digits and punctuation to their ASCII forms (ＡＢ１２（） → AB12())."""
    if text.isascii() or unicodedata.is_normalized("NFKC", text):
        return text
    return unicodedata.normalize("NFKC", text)


_INVISIBLE = str.maketrans("", "", "\u200b\ufeff")


def header_key(text: Any) -> str:
    """How a header cell is compared: NFKC, no spaces, no required-marks, lower case."""
    return _REQUIRED_MARKS.sub("", _WS.sub("", nfkc(str(text or "")))).lower()


def cell_text(value: Any) -> str:
    """A cell as text: numbers stored as numbers lose their ".0", dates become ISO, spaces are trimmed."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, float):
        if value.is_integer() and abs(value) < 1e15:
            return str(int(value))
        return repr(value)
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat(sep=" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    text = value if isinstance(value, str) else str(value)
    if not text.isascii():
        text = text.translate(_INVISIBLE)
    return " ".join(text.split())  # str.split() also splits on full-width and no-break spaces


def clean_text(value: Any) -> str:
    """A free-text cell (name, address): NFKC, inner runs of spaces collapsed, trimmed."""
    return " ".join(nfkc(cell_text(value)).split())


def compact(value: Any) -> str:
    """A code-like cell (ID, account, household number): NFKC and no spaces at all."""
    return "".join(nfkc(cell_text(value)).split())


def is_blank(value: Any) -> bool:
    if value is None or value == "":
        return True
    return isinstance(value, str) and not value.translate(_INVISIBLE).strip()


def number_lost_digits(value: Any) -> bool:
    """True for a long number that Excel stored as a float (an 18-digit ID loses its last digits)."""
    return isinstance(value, float) and abs(value) >= 1e15


def parse_date(value: Any) -> dt.date:
    """Excel dates, serial numbers, 2024-1-5, 2024/01/05, 2024.1.5, 2024年1月5日, 20240105."""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, bool):
        raise ValueError("无法识别的日期")
    if isinstance(value, int | float):
        if 19000101 <= value <= 21001231 and float(value).is_integer():
            return parse_date(str(int(value)))
        if 1 <= value < 2958466:
            return EXCEL_EPOCH + dt.timedelta(days=int(value))
        raise ValueError("无法识别的日期")
    text = compact(value)
    if re.fullmatch(r"\d{1,5}(\.0+)?", text) and not re.fullmatch(r"\d{8}", text):
        return parse_date(float(text))
    for pattern in _DATE_PATTERNS:
        match = pattern.match(text)
        if match:
            year, month, day = (int(g) for g in match.groups())
            try:
                return dt.date(year, month, day)
            except ValueError:
                raise ValueError("日期不存在（请核对年、月、日）") from None
    raise ValueError("无法识别的日期，请写成 2024-01-05、2024/1/5、2024年1月5日 或 20240105")


_NOT_SEEN = object()


class Lookup:
    """A controlled vocabulary: labels and synonyms (compared after NFKC, without spaces) → codes."""

    def __init__(self, choices: Iterable[tuple[Any, str]], synonyms: dict[str, Any] | None = None,
                 *, blank: Any = None):
        self.labels: dict[Any, str] = {}
        self._map: dict[str, Any] = {}
        for code, label in choices:
            self.labels[code] = str(label)
            self._map[header_key(label)] = code
            if isinstance(code, str) and code:
                self._map[header_key(code)] = code
        for word, code in (synonyms or {}).items():
            self._map[header_key(word)] = code
        self.blank = blank
        self._seen: dict[str, Any] = {}

    def parse(self, value: Any) -> Any:
        if isinstance(value, str):  # the same few spellings repeat on every row: remember them
            hit = self._seen.get(value, _NOT_SEEN)
            if hit is not _NOT_SEEN:
                return hit
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        key = header_key(cell_text(value))
        if key in self._map:
            if isinstance(value, str) and len(self._seen) < 10_000:
                self._seen[value] = self._map[key]
            return self._map[key]
        allowed = "、".join(label for label in self.labels.values() if label)
        raise ValueError(f"不是可选的值，可填：{allowed}")

    def label(self, code: Any) -> str:
        return self.labels.get(code, "" if code in (None, "") else str(code))

    def accepted(self) -> str:
        return "/".join(label for label in self.labels.values() if label)


YES_NO = Lookup(
    [(True, "是"), (False, "否")],
    {"y": True, "yes": True, "true": True, "1": True, "本地": True, "√": True,
     "n": False, "no": False, "false": False, "0": False, "外地": False, "非本地": False, "×": False},
)
