"""Shared row parsing and the reads/writes both the roll and the status lists use: one row's cells
into model values (problems as RowError), duplicate IDs inside the file, stored elders by ID number in
chunks, and the set-based update of changed elders with one history row each."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from django.db import connection
from django.db.models import Case, F, Value, When
from django.db.models.functions import Cast

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

    def village(self, row: int, rec: dict, villages: Any, errors: list[RowError]) -> tuple[int, str] | None:
        """(region id, code) of the row's village inside the uploader's area, or None (an error)."""
        raw = rec.get("village")
        if is_blank(raw):
            self.error(errors, row, "village", "", "请填写村(社区)")
            return None
        resolved = villages.resolve(raw)
        if isinstance(resolved, str):
            self.error(errors, row, "village", raw, resolved)
            return None
        return resolved


_MISSING = object()


def existing_elders(ids: Iterable[str], fields: tuple[str, ...]) -> dict[str, dict]:
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


def _apply_updates(updates: list[tuple], user: Any, now: dt.datetime) -> tuple[list[tuple[int | None, list[str]]], int]:
    """Write changed elders without losing a concurrent update; one history row per elder written.

    ``updates`` are ``(pk, changed)`` or ``(pk, changed, prior, row)``: the columns this row changes
    with their new values, the values they had when the import read them, and the Excel row.
    In pk order (two imports lock in the same order, so they cannot deadlock), a chunk at a time:

    - the chunk's rows are locked (``SELECT … FOR UPDATE ORDER BY pk``) and read again;
    - a column already holding the new value is left alone (the same file imported twice at once
      writes its changes, and its history rows, once);
    - a column whose value changed since the import read it (another import or a clerk changed that
      same column meanwhile) is not overwritten (compare-and-set): the row is returned as a conflict;
    - each row writes only its own changed columns — one UPDATE per chunk, ``CASE pk WHEN … ELSE
      column END`` per column, so a column another row of the chunk changes keeps this row's current
      value (the old ``bulk_update`` wrote every column any row of the chunk changed, from values read
      without a lock: 1,996 phone changes lost to a concurrent roll changing addresses).

    Returns the conflicts as (row, [field names]) and how many rows needed no write after all.
    """
    conflicts: list[tuple[int | None, list[str]]] = []
    already = 0
    ordered = sorted(updates, key=lambda entry: entry[0])
    for start in range(0, len(ordered), BATCH):
        chunk = {entry[0]: entry for entry in ordered[start:start + BATCH]}
        elders = list(Elder.objects.select_for_update().filter(pk__in=chunk).order_by("pk"))
        writes: dict[str, list[tuple[int, Any]]] = defaultdict(list)
        written = []
        for elder in elders:
            entry = chunk[elder.pk]
            changed, prior, row = entry[1], (entry[2] if len(entry) > 2 else None), (entry[3] if len(entry) > 3 else None)
            pending: dict[str, Any] = {}
            clashed: list[str] = []
            for name, value in changed.items():
                current = getattr(elder, name)
                if current == value:
                    continue
                if prior is not None and name in prior and current != prior[name]:
                    clashed.append(name)
                    continue
                pending[name] = value
            if clashed:
                conflicts.append((row, clashed))
                continue
            if not pending:
                already += 1
                continue
            for name, value in pending.items():
                setattr(elder, name, value)
                writes[name].append((elder.pk, value))
            elder.updated_at = now
            written.append(elder)
        if not written:
            continue
        _update_columns([e.pk for e in written], writes, now)
        Elder.history.bulk_history_create(written, batch_size=BATCH, update=True, default_user=user, default_date=now)
    return conflicts, already


def _update_columns(pks: list[int], writes: dict[str, list[tuple[int, Any]]], now: dt.datetime) -> None:
    """One UPDATE per 500 rows: each column set only on the rows that change it, the others keep
    their current value (``ELSE column``)."""
    requires_cast = connection.features.requires_casted_case_in_updates
    for start in range(0, len(pks), 500):
        part = set(pks[start:start + 500])
        assignments: dict[str, Any] = {"updated_at": now}
        for name, values in writes.items():
            field = Elder._meta.get_field(name)
            kind = field.target_field if field.is_relation else field
            whens = []
            for pk, value in values:
                if pk in part:
                    then = Value(value, output_field=kind)
                    whens.append(When(pk=pk, then=Cast(then, output_field=kind) if requires_cast else then))
            if whens:
                assignments[field.attname] = Case(*whens, default=F(field.attname), output_field=kind)
        Elder.objects.filter(pk__in=part).update(**assignments)


CONFLICT_REASON = "导入期间该老年人的「{fields}」已被他人修改，本行未覆盖；请核对后重新导入这一行"


def report_conflicts(ctx: Context, plan: Any, outcome: tuple[list[tuple[int | None, list[str]]], int]) -> int:
    """Rows a concurrent change made stale become errors of the batch (its counts, preview and error
    workbook); in strict mode the whole file is refused and the commit rolled back. Rows another
    import had already written the same way count as unchanged. Returns the rows not written."""
    conflicts, already = outcome
    plan.updated -= already
    plan.unchanged += already
    if not conflicts:
        return already
    from imports.services import FileRefused

    from .vocabulary import FIELD_LABELS

    labels = {**FIELD_LABELS, "region_id": "村(社区)", "region_code": "村(社区)", "household_id": "户号"}
    for row, names in conflicts:
        fields = "、".join(dict.fromkeys(labels.get(n, n) for n in names))
        plan.errors.append(RowError(row or 0, ctx.table.labels.get("id_number", "身份证号码"), "",
                                    CONFLICT_REASON.format(fields=fields)))
    plan.updated -= len(conflicts)
    if ctx.strict:
        raise FileRefused(f"严格模式：导入期间有 {len(conflicts)} 行的数据已被他人修改，未导入任何数据；请重新导入",
                          errors=plan.errors)
    return already + len(conflicts)
