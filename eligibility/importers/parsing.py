"""Shared row parsing and the reads/writes both the roll and the status lists use: one row's cells
into model values (problems as RowError), duplicate IDs inside the file, stored elders by ID number in
chunks, and the set-based update of changed elders with one history row each."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from imports.registry import Context, RowError
from imports.values import cell_text, clean_text, compact, is_blank, number_lost_digits, parse_date

from .. import rules
from ..models import Elder
from .vocabulary import LOOKUPS, TEXT_LIMITS

CHUNK = 2000
BATCH = 2000


class RowParser:
    """Parses one row's cells into model values; problems go to ``errors`` as RowError."""

    def __init__(self, table, today: dt.date):
        self.table = table
        self.today = today

    def error(self, errors: list[RowError], row: int, key: str, value: Any, reason: str) -> None:
        errors.append(RowError(row, self.table.labels.get(key, key), cell_text(value)[:100], reason))

    def id_number(self, row: int, rec: dict, errors: list[RowError]) -> rules.ParsedId | None:
        raw = rec.get("id_number")
        if number_lost_digits(raw):
            self.error(errors, row, "id_number", raw,
                       "身份证号码被Excel存成了数字，末几位已丢失；请把该列设为文本格式后重新填写")
            return None
        try:
            return rules.parse_id_number(compact(raw), today=self.today)
        except rules.IdNumberError as exc:
            self.error(errors, row, "id_number", raw, str(exc))
            return None

    def text(self, row: int, rec: dict, key: str, errors: list[RowError], *, code_like: bool = False) -> str | None:
        raw = rec.get(key)
        if key not in rec or is_blank(raw):
            return None
        value = compact(raw) if code_like else clean_text(raw)
        limit = TEXT_LIMITS.get(key)
        if limit and len(value) > limit:
            self.error(errors, row, key, raw, f"太长，最多 {limit} 个字")
            return None
        return value

    def choice(self, row: int, rec: dict, key: str, errors: list[RowError]) -> Any:
        raw = rec.get(key)
        if key not in rec or is_blank(raw):
            return _MISSING
        try:
            return LOOKUPS[key].parse(raw)
        except ValueError as exc:
            self.error(errors, row, key, raw, str(exc))
            return _MISSING

    def date(self, row: int, rec: dict, key: str, errors: list[RowError], *, field: str = "") -> Any:
        raw = rec.get(key)
        if key not in rec or is_blank(raw):
            return _MISSING
        try:
            value = parse_date(raw)
        except ValueError as exc:
            self.error(errors, row, key, raw, str(exc))
            return _MISSING
        if value.year < 1880 or value > self.today + dt.timedelta(days=366 * 20):
            self.error(errors, row, key, raw, "日期不合理")
            return _MISSING
        return value


_MISSING = object()


def _existing(ids: Iterable[str], fields: tuple[str, ...]) -> dict[str, dict]:
    """Stored elders by ID number, a few chunked queries (no scoping: the caller checks the area)."""
    ids = list(ids)
    found: dict[str, dict] = {}
    columns = ("id", "id_number", "region_id", "region_code", "household_id", "household__household_number",
               "household__region_id", "sex", "birth_date", *fields)
    for start in range(0, len(ids), CHUNK):
        for values in Elder.objects.filter(id_number__in=ids[start:start + CHUNK]).values_list(*columns):
            row = dict(zip(columns, values))
            found[row["id_number"]] = row
    return found


def _in_area(prefixes: list[str] | None, code: str) -> bool:
    return prefixes is None or any(code.startswith(p) for p in prefixes)


def _flag_duplicates(seen: dict[str, list[tuple[int, dict]]], parser: RowParser, records_errors: list[RowError],
                     rows_by_number: dict[int, Any]) -> tuple[set[int], set[int]]:
    """Duplicate IDs inside the file: all rows flagged unless identical (then the copies are ignored)."""
    flagged: set[int] = set()
    ignored: set[int] = set()
    for number, occurrences in seen.items():
        if len(occurrences) < 2:
            continue
        first = occurrences[0][1]
        rows = [r for r, _ in occurrences]
        if all(values == first for _, values in occurrences[1:]):
            ignored.update(rows[1:])
            continue
        for r in rows:
            others = "、".join(str(o) for o in rows if o != r)
            records_errors.append(RowError(r, parser.table.labels["id_number"], number,
                                           f"身份证号码在文件中重复（另见第 {others} 行），且内容不一致"))
            flagged.add(r)
    return flagged, ignored


def _history_user(ctx: Context) -> Any:
    return ctx.user if getattr(ctx.user, "is_authenticated", False) else None


def _apply_updates(updates: list[tuple[int, dict]], user: Any, now: dt.datetime) -> None:
    """Changed elders: only the changed columns are written; one history row each with the importing user."""
    for start in range(0, len(updates), BATCH):
        chunk = dict(updates[start:start + BATCH])
        elders = list(Elder.objects.filter(pk__in=chunk))
        fields: set[str] = {"updated_at"}
        for elder in elders:
            for name, value in chunk[elder.pk].items():
                setattr(elder, name, value)
                fields.add(name)
            elder.updated_at = now
        Elder.objects.bulk_update(elders, sorted(fields), batch_size=500)
        Elder.history.bulk_history_create(elders, batch_size=BATCH, update=True, default_user=user, default_date=now)
