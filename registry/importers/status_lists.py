"""Status lists from other departments, on the same engine: deaths and hukou moves (公安), social
assistance (民政), disability certificates (残联). Each row names an elder already registered in the
uploader's area (ID number and name must agree) and sets a few dated fields."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from typing import Any

from django.utils import timezone

from core.scoping import area_prefixes, code_within
from imports.registry import Column, Context, Plan, RowError
from imports.values import header_key, is_blank

from .. import rules
from .parsing import (
    _MISSING,
    RowParser,
    _apply_updates,
    _flag_duplicates,
    _history_user,
    existing_elders,
    report_conflicts,
)
from .vocabulary import (
    COMPARED,
    DATE_HELP,
    DISABILITY_CATEGORY,
    ECONOMIC,
    FIELD_LABELS,
    ID_COLUMN,
    MOVE_TYPE,
    NAME_COLUMN,
    _display,
    _help,
)

STATUS_PERMISSIONS = ("registry.change_elder",)


def _status_validator(parse: Callable[[RowParser, int, dict, list[RowError], dict], dict | None]) -> Callable[[Context], Plan]:
    """A status list: each row names a registered elder in the area (ID and name must agree) and
    sets a few fields; ``parse`` returns those fields (or None on error)."""

    def validate(ctx: Context) -> Plan:
        table = ctx.table
        parser = RowParser(table, timezone.localdate())
        prefixes = area_prefixes(ctx.user)
        errors: list[RowError] = []
        parsed: dict[int, tuple[rules.ParsedId, str, dict]] = {}
        seen: dict[str, list[tuple[int, dict]]] = defaultdict(list)
        records = list(table.records())
        for index, (row, rec) in enumerate(records):
            if index % 5000 == 0:
                ctx.progress(0.6 * index / max(len(records), 1))
            row_errors: list[RowError] = []
            pid = parser.id_number(row, rec, row_errors)
            name = parser.text(row, rec, "name", row_errors)
            if name is None and not any(e.column == "姓名" for e in row_errors):
                parser.error(row_errors, row, "name", "", "请填写姓名")
            values = parse(parser, row, rec, row_errors, {})
            if row_errors or pid is None or values is None or name is None:
                errors.extend(row_errors)
                continue
            parsed[row] = (pid, name, values)
            seen[pid.number].append((row, values))
        flagged, ignored = _flag_duplicates(seen, parser, errors, parsed)
        existing = existing_elders((p[0].number for r, p in parsed.items() if r not in flagged), COMPARED)
        plan = Plan()
        updates: list[tuple[int, dict, dict, int]] = []
        for row, (pid, name, values) in parsed.items():
            if row in flagged:
                continue
            if row in ignored:
                plan.unchanged += 1
                continue
            stored = existing.get(pid.number)
            if stored is None or not code_within(stored["region_code"], prefixes):
                errors.append(RowError(row, table.labels["id_number"], pid.number,
                                       "在您的管辖区域内没有登记该身份证号码的老年人"))
                continue
            if header_key(stored["name"]) != header_key(name):
                errors.append(RowError(row, table.labels["name"], name,
                                       f"姓名与系统登记的不一致（登记为“{stored['name']}”），请核对身份证号码"))
                continue
            if values.get("deceased_on") and values["deceased_on"] < stored["birth_date"] or (
                values.get("moved_out_on") and values["moved_out_on"] < stored["birth_date"]
            ):
                errors.append(RowError(row, "日期", "", "日期早于出生日期"))
                continue
            merged_grade = values.get("disability_grade", stored["disability_grade"])
            merged_category = values.get("disability_category", stored["disability_category"])
            if merged_grade and not merged_category:
                errors.append(RowError(row, "残疾类别", "", "填写了残疾等级时请填写残疾类别"))
                continue
            changed = {k: v for k, v in values.items() if stored[k] != v}
            if not changed:
                plan.unchanged += 1
                continue
            plan.updated += 1
            updates.append((stored["id"], changed, {k: stored[k] for k in changed}, row))
            if len(plan.changes) < 200:
                plan.changes.append({
                    "row": row, "who": f"{stored['name']}（{rules.mask_id_number(pid.number)}）",
                    "fields": [[FIELD_LABELS[k], _display(k, stored[k]), _display(k, v)] for k, v in changed.items()],
                })
        plan.errors = errors
        plan.payload = {"updates": updates}
        ctx.progress(1.0)
        return plan

    return validate


def commit_status(ctx: Context, plan: Plan) -> dict:
    updates = plan.payload["updates"]
    skipped = report_conflicts(ctx, plan, _apply_updates(updates, _history_user(ctx), timezone.now()))
    return {"new": 0, "updated": len(updates) - skipped}


def _not_future(parser: RowParser, row: int, rec: dict, key: str, value: Any, errors: list[RowError]) -> bool:
    if value is not _MISSING and value > parser.today:
        parser.error(errors, row, key, rec.get(key), "日期不能晚于今天")
        return False
    return True


def parse_death(parser: RowParser, row: int, rec: dict, errors: list[RowError], out: dict) -> dict | None:
    kind = _MISSING
    if is_blank(rec.get("type")):
        parser.error(errors, row, "type", "", "请填写类型（死亡/迁出）")
    else:
        try:
            kind = MOVE_TYPE.parse(rec.get("type"))
        except ValueError as exc:
            parser.error(errors, row, "type", rec.get("type"), str(exc))
    date = parser.date(row, rec, "date", errors)
    if date is _MISSING and is_blank(rec.get("date")):
        parser.error(errors, row, "date", "", "请填写日期")
    if kind is _MISSING or date is _MISSING or not _not_future(parser, row, rec, "date", date, errors):
        return None
    out[kind] = date
    return out


def parse_assistance(parser: RowParser, row: int, rec: dict, errors: list[RowError], out: dict) -> dict | None:
    status = parser.choice(row, rec, "economic_status", errors)
    if status is _MISSING and is_blank(rec.get("economic_status")):
        parser.error(errors, row, "economic_status", "", "请填写经济状况")
    start = parser.date(row, rec, "economic_status_from", errors)
    end = parser.date(row, rec, "economic_status_to", errors)
    if start is not _MISSING and end is not _MISSING and end < start:
        parser.error(errors, row, "economic_status_to", rec.get("economic_status_to"), "终止日期早于起始日期")
        return None
    if status is _MISSING:
        return None
    out["economic_status"] = status
    if start is not _MISSING:
        out["economic_status_from"] = start
    if end is not _MISSING:
        out["economic_status_to"] = end
    return out


def parse_disability(parser: RowParser, row: int, rec: dict, errors: list[RowError], out: dict) -> dict | None:
    category = parser.choice(row, rec, "disability_category", errors)
    grade = parser.choice(row, rec, "disability_grade", errors)
    if category is _MISSING and is_blank(rec.get("disability_category")):
        parser.error(errors, row, "disability_category", "", "请填写残疾类别")
    if grade is _MISSING and is_blank(rec.get("disability_grade")):
        parser.error(errors, row, "disability_grade", "", "请填写残疾等级")
    number = parser.text(row, rec, "disability_certificate_no", errors, code_like=True)
    issued = parser.date(row, rec, "disability_certified_on", errors)
    if category is _MISSING or grade is _MISSING or not _not_future(parser, row, rec, "disability_certified_on", issued, errors):
        return None
    out.update(disability_category=category, disability_grade=grade)
    if number is not None:
        out["disability_certificate_no"] = number.upper()
    if issued is not _MISSING:
        out["disability_certified_on"] = issued
    return out


DEATH_COLUMNS = (
    ID_COLUMN, NAME_COLUMN,
    Column("type", "类型", True, ("变动类型", "注销原因", "变动原因"), _help(MOVE_TYPE, "去世、户口迁出"), 8),
    Column("date", "日期", True, ("死亡日期", "迁出日期", "变动日期", "注销日期"), DATE_HELP, 12),
)
ASSISTANCE_COLUMNS = (
    ID_COLUMN, NAME_COLUMN,
    Column("economic_status", "经济状况", True, ("救助类型", "保障类型", "困难类型"), _help(ECONOMIC, "低保户、低边、分散供养特困"), 14),
    Column("economic_status_from", "起始日期", False, ("开始日期", "享受起始日期", "纳入日期"), DATE_HELP, 12),
    Column("economic_status_to", "终止日期", False, ("结束日期", "享受终止日期", "退出日期"), DATE_HELP, 12),
)
DISABILITY_COLUMNS = (
    ID_COLUMN, NAME_COLUMN,
    Column("disability_category", "残疾类别", True, ("残疾类型",), _help(DISABILITY_CATEGORY, "视力、肢体等"), 10),
    Column("disability_grade", "残疾等级", True, ("残疾级别",), "一级/二级/三级/四级（也可写 1–4）", 8),
    Column("disability_certificate_no", "证号", False, ("残疾证号", "残疾人证号", "证件编号"), "残疾人证号", 24),
    Column("disability_certified_on", "发证日期", False, ("发证时间", "办证日期"), DATE_HELP, 12),
)
