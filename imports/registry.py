"""Importer kinds: what a domain app registers so that the generic engine can read its files.

The engine (``imports.services``) reads a spreadsheet, finds the header row, maps the columns to a
kind's ``Column`` keys and hands the rows to the kind's ``validate`` function; after the clerk
confirms, it calls the kind's ``commit`` function with the plan ``validate`` returned. The engine
never imports a domain app: registry registers its kinds from ``AppConfig.ready()``.

A kind's ``validate`` must not write anything; ``commit`` runs inside the engine's transaction and
must be set-based (bulk statements, no per-row ``save()``).

Problems of a row go into ``Plan.errors`` (the mode decides what happens to the other rows). A file
that cannot be imported at all is refused by raising, from ``validate`` or ``commit``:
``imports.reading.FileRejected(message)`` when the file itself is unusable (no usable column, nothing
to match against) — the batch fails with the message; or ``imports.services.FileRefused(message,
errors=[RowError, …])`` when some rows make the whole file unacceptable in every mode — the batch
fails with the message and the engine still keeps the counts, the preview's errors and the error
workbook of ``errors``. Either way nothing is written (a refusal in ``commit`` rolls it back), and the
kind never saves the batch itself.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from .values import header_key


@dataclass(frozen=True)
class Column:
    """One template column: internal key, the Chinese header, and how clerks may spell it."""

    key: str
    label: str
    required: bool = False
    synonyms: tuple[str, ...] = ()
    help: str = ""  # accepted values, shown in the template's 填写说明 sheet and in the docs
    width: int = 14

    @property
    def header(self) -> str:
        return f"{self.label}*" if self.required else self.label

    def keys(self) -> list[str]:
        return [header_key(self.label), *(header_key(s) for s in self.synonyms)]


@dataclass(frozen=True)
class RowError:
    """One problem of one row: Excel row number, column label, the value as read, reason in Chinese."""

    row: int
    column: str
    value: str
    reason: str

    def as_dict(self) -> dict:
        return {"row": self.row, "column": self.column, "value": self.value, "reason": self.reason}


@dataclass
class Table:
    """The rows of a file after the header row was found: cells by column key, Excel row numbers."""

    header: list[str]  # the header cells as they were in the file
    header_row: int  # Excel row number of the header
    columns: dict[str, int]  # column key → index into a row
    labels: dict[str, str]  # column key → label (for messages)
    rows: list[tuple[int, list[Any]]]  # (Excel row number, cells)
    unknown_columns: list[str] = field(default_factory=list)

    def has(self, key: str) -> bool:
        return key in self.columns

    def records(self) -> Iterator[tuple[int, dict[str, Any]]]:
        """(Excel row number, {column key: raw cell}) for every row; absent columns are missing keys."""
        items = list(self.columns.items())
        for number, cells in self.rows:
            width = len(cells)
            yield number, {key: (cells[index] if index < width else "") for key, index in items}


@dataclass
class Change:
    """A changed field of an updated row, for the preview: label, old and new value as clerks read them."""

    label: str
    old: str
    new: str


@dataclass
class Plan:
    """What ``validate`` found. ``payload`` is the kind's own data for ``commit``."""

    new: int = 0
    updated: int = 0
    unchanged: int = 0
    errors: list[RowError] = field(default_factory=list)
    changes: list[dict] = field(default_factory=list)  # preview rows: {"row", "who", "fields": [[label, old, new]]}
    payload: Any = None
    outcomes: dict[int, str] = field(default_factory=dict)  # Excel row → "new"/"update"/"skip" (ctx.keep_rows)

    @property
    def error_rows(self) -> int:
        return len({e.row for e in self.errors})

    def counts(self) -> dict[str, int]:
        return {"new": self.new, "updated": self.updated, "unchanged": self.unchanged, "error": self.error_rows}


@dataclass
class Context:
    """What a kind's functions get: the acting user, the table, and a progress callback (0.0–1.0)."""

    user: Any
    table: Table
    strict: bool = False
    progress: Callable[[float], None] = lambda fraction: None
    batch: Any = None
    keep_rows: bool = False  # ask validate to fill Plan.outcomes (the admin's row-by-row preview)


@dataclass(frozen=True)
class ImporterKind:
    key: str
    label: str
    columns: tuple[Column, ...]
    validate: Callable[[Context], Plan]
    commit: Callable[[Context, Plan], dict]
    permissions: tuple[str, ...] = ()  # needed on top of imports.add_importbatch
    description: str = ""
    template_name: str = ""  # download file name (without extension)
    portal: bool = True  # offered on the staff portal's import page (False: the admin's import only)

    @property
    def required(self) -> list[Column]:
        return [c for c in self.columns if c.required]

    def column(self, key: str) -> Column:
        for c in self.columns:
            if c.key == key:
                return c
        raise KeyError(key)

    def allowed_for(self, user: Any) -> bool:
        return bool(user.has_perm("imports.add_importbatch")) and all(user.has_perm(p) for p in self.permissions)


_KINDS: dict[str, ImporterKind] = {}


def register(kind: ImporterKind) -> ImporterKind:
    """Register (or replace, on autoreload) an importer kind under its key."""
    _KINDS[kind.key] = kind
    return kind


def get_kind(key: str) -> ImporterKind:
    try:
        return _KINDS[key]
    except KeyError:
        raise LookupError(f"未知的导入类型：{key}") from None


def all_kinds() -> list[ImporterKind]:
    return list(_KINDS.values())


def kind_choices() -> list[tuple[str, str]]:
    return [(k.key, k.label) for k in _KINDS.values()]
