"""Importer kind ``assessments`` (历史评估结果): past ability-assessment results from a spreadsheet.

Columns: 身份证号码*, 评估日期*, 标准版本*, 评估等级*, 评估机构. A result is level-only (docs/domain.md §1.2:
scores are never converted between GB/T 42195-2022 and MZ/T 039-2013), so an imported row becomes an
*approved* Assessment with ``source = imported``, no answers and no scores, approved by the importing
user, with the next due date from the county's interval.

Validation only reads: the elder must be registered in the uploader's area; the date is not in the
future nor before the elder's birth; the level must exist in the given standard (MZ/T 039-2013 has no
完全失能). A result already stored as approved (same elder, date, standard and level) counts as 无变化,
so a file can be imported twice; a stored approved result of the same elder, date and standard with a
*different* level is an error (approved results are immutable; a correction is a new 复评).

Commit is set-based: ``bulk_create`` of the assessments and their history rows; then, for each elder
whose imported result is strictly newer than every approved result stored before, the level is copied
to ``Elder.ability_level``, and for every elder of the file ``Elder.assessment_due_on`` is refreshed
from ``selectors.assessment_due_dates`` (so an old GB/T result already past due puts the elder on the
sweep's worklist), by one ``bulk_update`` per batch with one history row (importing user, reason) and
one ``eligibility.elder_ability_level`` audit event per changed elder — the same trail
``registry.services.elder_set_ability_level`` leaves, without a query per elder.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import defaultdict
from typing import Any

from django.db.models import Max
from django.utils import timezone

from audit.models import AuditEvent
from core.scoping import area_prefixes, code_within
from registry.public import DATE_HELP, ID_COLUMN, Elder, RowParser, existing_elders, mask_id_number
from imports.registry import Column, Context, ImporterKind, Plan, RowError, register
from imports.values import cell_text, clean_text, header_key, is_blank, nfkc

from . import rules, selectors
from .models import Assessment, Reason, Source, Standard, Status

CHUNK = 2000
BATCH = 1000
INSTITUTION_MAX = 100
IMPORT_REASON = Reason.ROUTINE  # the file does not say why a past assessment was made
SHORT_STANDARD: dict[str, str] = {rules.GBT_42195_2022: rules.GBT_42195_2022, rules.MZT_039_2013: rules.MZT_039_2013}

# --- values --------------------------------------------------------------------------------------
MZT_LEVELS = (rules.INTACT, rules.MILD, rules.MODERATE, rules.SEVERE)  # MZ/T 039-2013: four levels
STANDARD_LEVELS: dict[str, tuple[int, ...]] = {
    rules.GBT_42195_2022: tuple(rules.LEVEL_LABELS),
    rules.MZT_039_2013: MZT_LEVELS,
}
_LEVEL_WORDS: dict[str, int] = {}
for _level, _words in {
    rules.INTACT: ("能力完好", "完好", "正常", "0级", "零级"),
    rules.MILD: ("轻度失能", "能力轻度受损", "轻度受损", "轻度", "1级", "一级"),
    rules.MODERATE: ("中度失能", "能力中度受损", "中度受损", "中度", "2级", "二级"),
    rules.SEVERE: ("重度失能", "能力重度受损", "重度受损", "重度", "3级", "三级"),
    rules.TOTAL: ("完全失能", "能力完全丧失", "完全丧失", "完全", "4级", "四级"),
}.items():
    _LEVEL_WORDS[str(_level)] = _level
    for _word in _words:
        _LEVEL_WORDS[header_key(_word)] = _level


def _simple(value: Any) -> str:
    """Lower case, NFKC, only letters, digits and CJK: "GB/T 42195—2022" → "gbt421952022"."""
    return re.sub(r"[^0-9a-z\u4e00-\u9fff]", "", nfkc(cell_text(value)).lower())


def parse_standard(value: Any) -> str:
    """GB/T 42195-2022 or MZ/T 039-2013, however spelled (GB/T42195, 国标2022, MZ/T 039, 行标2013 …)."""
    s = _simple(value)
    gbt = "42195" in s or s.startswith(("gb", "国标", "国家标准", "2022", "新标准", "新版"))
    mzt = "039" in s or s.startswith(("mz", "行标", "行业标准", "民政", "2013", "旧标准", "旧版"))
    if gbt == mzt or (gbt and "2013" in s) or (mzt and "2022" in s):
        raise ValueError(f"无法识别的标准版本，可填：{rules.GBT_42195_2022}（国标2022）或 {rules.MZT_039_2013}（行标2013）")
    return rules.GBT_42195_2022 if gbt else rules.MZT_039_2013


def parse_level(value: Any, standard: str) -> int:
    """A level name of the standard (能力完好 … 完全失能, also 能力轻度受损 or "轻度失能(能力轻度受损)") or 0–4."""
    allowed = STANDARD_LEVELS[standard]
    names = "/".join(rules.LEVEL_LABELS[level] for level in allowed)
    hint = f"{SHORT_STANDARD[standard]} 的等级为 {names}（或 0–{max(allowed)}）"
    key = header_key(cell_text(value))
    parts = [p for p in re.split(r"[()\[\]【】]", key) if p] or [key]
    found = {_LEVEL_WORDS.get(p) for p in parts}
    if len(found) != 1 or None in found:
        raise ValueError(f"无法识别的评估等级；{hint}")
    level = found.pop()
    assert level is not None
    if level not in allowed:
        raise ValueError(f"{SHORT_STANDARD[standard]} 没有“{rules.LEVEL_LABELS[level]}”等级；{hint}")
    return level


# --- validation ----------------------------------------------------------------------------------
def _error(table, row: int, key: str, value: Any, reason: str) -> RowError:
    return RowError(row, table.labels.get(key) or COLUMN_LABELS[key], cell_text(value)[:100], reason)


def _parse_row(parser: RowParser, row: int, rec: dict, errors: list[RowError]) -> dict | None:
    table = parser.table
    pid = parser.id_number(row, rec, errors)
    assessed_on = None
    if is_blank(rec.get("assessed_on")):
        errors.append(_error(table, row, "assessed_on", "", "请填写评估日期"))
    else:
        value = parser.date(row, rec, "assessed_on", errors)
        if isinstance(value, dt.date):
            if value > parser.today:
                errors.append(_error(table, row, "assessed_on", rec["assessed_on"],
                                     f"评估日期不能晚于今天（{parser.today:%Y-%m-%d}）"))
            else:
                assessed_on = value
    standard = None
    if is_blank(rec.get("standard")):
        errors.append(_error(table, row, "standard", "", "请填写标准版本"))
    else:
        try:
            standard = parse_standard(rec["standard"])
        except ValueError as exc:
            errors.append(_error(table, row, "standard", rec["standard"], str(exc)))
    level = None
    if is_blank(rec.get("level")):
        errors.append(_error(table, row, "level", "", "请填写评估等级"))
    elif standard is not None:
        try:
            level = parse_level(rec["level"], standard)
        except ValueError as exc:
            errors.append(_error(table, row, "level", rec["level"], str(exc)))
    institution = clean_text(rec.get("institution")) if not is_blank(rec.get("institution")) else ""
    if len(institution) > INSTITUTION_MAX:
        errors.append(_error(table, row, "institution", rec.get("institution"), f"太长，最多 {INSTITUTION_MAX} 个字"))
    if errors or pid is None or assessed_on is None or standard is None or level is None:
        return None
    if pid.birth_date and assessed_on < pid.birth_date:
        errors.append(_error(table, row, "assessed_on", rec["assessed_on"], "评估日期早于出生日期"))
        return None
    return {"id_number": pid.number, "assessed_on": assessed_on, "standard": standard, "level": level,
            "institution": institution}


def _stored_results(elder_ids: list[int]) -> dict[tuple[int, dt.date, str], set[int]]:
    """Approved results already stored: (elder, date, standard) → levels."""
    found: dict[tuple[int, dt.date, str], set[int]] = defaultdict(set)
    for start in range(0, len(elder_ids), CHUNK):
        rows = Assessment.objects.filter(elder_id__in=elder_ids[start:start + CHUNK], status=Status.APPROVED)
        for elder_id, assessed_on, standard, level in rows.values_list("elder_id", "assessed_on", "standard",
                                                                       "final_level"):
            found[(elder_id, assessed_on, standard)].add(level)
    return found


def _describe(values: dict) -> str:
    return f"{values['assessed_on']:%Y-%m-%d} {SHORT_STANDARD[values['standard']]} {rules.level_label(values['level'])}"


def validate_results(ctx: Context) -> Plan:
    table = ctx.table
    today = timezone.localdate()
    parser = RowParser(table, today)
    prefixes = area_prefixes(ctx.user)
    errors: list[RowError] = []
    parsed: dict[int, dict] = {}
    first_of: dict[tuple[str, dt.date, str], int] = {}
    raw_level: dict[int, Any] = {}
    records = list(table.records())
    for index, (row, rec) in enumerate(records):
        if index % 5000 == 0:
            ctx.progress(0.5 * index / max(len(records), 1))
        row_errors: list[RowError] = []
        values = _parse_row(parser, row, rec, row_errors)
        errors.extend(row_errors)
        if values is None:
            continue
        raw_level[row] = rec.get("level")
        key = (values["id_number"], values["assessed_on"], values["standard"])
        first = first_of.setdefault(key, row)
        if first != row:  # one elder, one date, one standard: one result
            if first in parsed and parsed[first]["level"] != values["level"]:
                errors.append(_error(table, first, "level", raw_level[first],
                                     f"同一老年人同一日期、同一标准的结果在文件中重复且等级不一致（另见第 {row} 行）"))
                parsed.pop(first)
            errors.append(_error(table, row, "id_number", values["id_number"],
                                 f"与第 {first} 行重复（同一老年人、评估日期和标准版本），本行未导入"))
            continue
        parsed[row] = values
    ctx.progress(0.6)

    elders = existing_elders({v["id_number"] for v in parsed.values()}, ("name",))
    stored = _stored_results(sorted({e["id"] for e in elders.values()}))
    intervals: dict[str, int] = {}
    plan = Plan()
    creates: list[dict] = []
    for row, values in parsed.items():
        elder = elders.get(values["id_number"])
        if elder is None or not code_within(elder["region_code"], prefixes):
            errors.append(_error(table, row, "id_number", values["id_number"],
                                 "在您的管辖区域内没有登记该身份证号码的老年人"))
            continue
        levels = stored.get((elder["id"], values["assessed_on"], values["standard"]), set())
        if values["level"] in levels:
            plan.unchanged += 1
            continue
        if levels:
            shown = "、".join(rules.level_label(level) for level in sorted(levels))
            errors.append(_error(table, row, "level", raw_level[row],
                                 f"系统中已有该老年人这一日期、这一标准的已审核结果（{shown}），与文件不一致；"
                                 "已审核的结果不能修改，如需更正请录入复评"))
            continue
        county = elder["region_code"][:6]
        if county not in intervals:
            intervals[county] = selectors.interval_months_for(elder["region_code"])
        plan.new += 1
        creates.append({**values, "row": row, "elder_id": elder["id"], "region_code": elder["region_code"],
                        "next_due_on": rules.next_due_on(values["assessed_on"], intervals[county])})
        if len(plan.changes) < 200:
            plan.changes.append({
                "row": row, "who": f"{elder['name']}（{mask_id_number(values['id_number'])}）",
                "fields": [["历史评估结果", "（无）", _describe(values)]],
            })
    plan.errors = errors
    plan.payload = {"creates": creates}
    ctx.progress(1.0)
    return plan


# --- commit --------------------------------------------------------------------------------------
def _newest_imported(creates: list[dict]) -> dict[int, dict]:
    """Per elder, the newest result of the file (on one day, a GB/T 42195-2022 result before MZ/T)."""
    newest: dict[int, dict] = {}
    for values in creates:
        current = newest.get(values["elder_id"])
        rank = (values["assessed_on"], values["standard"] == Standard.GBT_42195_2022)
        if current is None or rank > (current["assessed_on"], current["standard"] == Standard.GBT_42195_2022):
            newest[values["elder_id"]] = values
    return newest


def _stored_latest(elder_ids: list[int]) -> dict[int, dt.date]:
    latest: dict[int, dt.date] = {}
    for start in range(0, len(elder_ids), CHUNK):
        rows = (Assessment.objects.filter(elder_id__in=elder_ids[start:start + CHUNK], status=Status.APPROVED)
                .values("elder_id").annotate(latest=Max("assessed_on")).values_list("elder_id", "latest"))
        latest.update(rows)
    return latest


def commit_results(ctx: Context, plan: Plan) -> dict:
    creates: list[dict] = plan.payload["creates"]
    now = timezone.now()
    user = ctx.user if getattr(ctx.user, "is_authenticated", False) else None
    batch_no = getattr(ctx.batch, "pk", None)
    note = f"导入历史评估结果（批次 {batch_no}）" if batch_no else "导入历史评估结果"

    # Which elders' level follows: the file's newest result, if newer than every approved one stored.
    newest = _newest_imported(creates)
    stored_latest = _stored_latest(sorted(newest))
    level_for = {elder_id: values for elder_id, values in newest.items()
                 if stored_latest.get(elder_id) is None or values["assessed_on"] > stored_latest[elder_id]}

    created = 0
    for start in range(0, len(creates), BATCH):
        objs = [
            Assessment(
                elder_id=v["elder_id"], region_code=v["region_code"], standard=v["standard"], reason=IMPORT_REASON,
                assessed_on=v["assessed_on"], institution=v["institution"], final_level=v["level"],
                status=Status.APPROVED, source=Source.IMPORTED, note=note[:200],
                created_by=user, approved_by=user, approved_at=now, next_due_on=v["next_due_on"],
            )
            for v in creates[start:start + BATCH]
        ]
        Assessment.objects.bulk_create(objs)
        Assessment.history.bulk_history_create(objs, default_user=user, default_date=now,
                                               default_change_reason="导入历史评估结果")
        created += len(objs)
        ctx.progress(0.8 * (start + BATCH) / max(len(creates), 1))

    levels_set = _copy_levels(level_for, sorted({v["elder_id"] for v in creates}), user, now)
    return {"new": created, "updated": 0, "levels_set": levels_set}


def _copy_levels(level_for: dict[int, dict], elder_ids: list[int], user: Any, now: dt.datetime) -> int:
    """For every elder the file added results to: ``Elder.ability_level`` ← the imported level (only
    the elders in ``level_for``) and ``Elder.assessment_due_on`` ← the due date of the latest valid
    assessment (``selectors.assessment_due_dates``: the one definition, read after the insert), with
    the history row and audit event that ``elder_set_ability_level`` writes. Elders where neither
    changes are not touched. Returns how many elders' level changed."""
    levels_changed = 0
    for start in range(0, len(elder_ids), BATCH):
        chunk = elder_ids[start:start + BATCH]
        due_on = selectors.assessment_due_dates(chunk)
        elders = []
        events = []
        for elder in Elder.objects.filter(pk__in=chunk).order_by("pk"):
            values = level_for.get(elder.pk)
            level = values["level"] if values is not None else elder.ability_level
            new_due = due_on.get(elder.pk)
            if (level, new_due) == (elder.ability_level, elder.assessment_due_on):
                continue
            old, old_due = elder.ability_level, elder.assessment_due_on
            if values is not None:
                reason = f"导入历史评估结果（{values['assessed_on']:%Y-%m-%d} {SHORT_STANDARD[values['standard']]}）"
            else:
                reason = "导入历史评估结果（能力评估到期日）"
            elder.ability_level = level
            elder.assessment_due_on = new_due
            elder.updated_at = now
            elder._change_reason = reason[:100]
            detail: dict[str, Any] = {"old": old, "new": level, "reason": reason}
            if old_due != new_due:
                detail.update(old_due_on=old_due.isoformat() if old_due else None,
                              new_due_on=new_due.isoformat() if new_due else None)
            levels_changed += old != level
            elders.append(elder)
            events.append(AuditEvent(
                user=user, username=user.username if user else "system", region_code=elder.region_code,
                event="eligibility.elder_ability_level", object_type=Elder._meta.label_lower,
                object_id=str(elder.pk), object_repr=str(elder)[:200], detail=detail,
            ))
        Elder.objects.bulk_update(elders, ["ability_level", "assessment_due_on", "updated_at"], batch_size=500)
        Elder.history.bulk_history_create(elders, update=True, default_user=user, default_date=now)
        AuditEvent.objects.bulk_create(events)
    return levels_changed


# --- the kind ------------------------------------------------------------------------------------
LEVEL_HELP = ("能力完好/轻度失能(能力轻度受损)/中度失能/重度失能/完全失能，或 0–4；"
              "MZ/T 039-2013 只有前四级（0–3），没有“完全失能”。不换算分数，只导入等级")
COLUMNS = (
    ID_COLUMN,
    Column("assessed_on", "评估日期", True, ("评估时间", "评定日期", "评估完成日期"), DATE_HELP + "；不能晚于今天", 12),
    Column("standard", "标准版本", True, ("评估标准", "标准", "评估标准版本", "标准版本号"),
           "GB/T 42195-2022（也可写 GB/T42195、国标2022）或 MZ/T 039-2013（也可写 MZ/T 039、行标2013）", 18),
    Column("level", "评估等级", True, ("能力等级", "评估结果", "最终等级", "能力评估等级", "等级"), LEVEL_HELP, 14),
    Column("institution", "评估机构", False, ("评估单位", "机构", "评估机构名称"), f"可不填；最多 {INSTITUTION_MAX} 个字", 24),
)
COLUMN_LABELS = {c.key: c.label for c in COLUMNS}
# Importing creates *approved* results: the county's reviewers (approve_assessment) and assessors
# (add_assessment) may do it, each still needing imports.add_importbatch (see allowed_for).
RESULT_PERMISSIONS = ("assessments.view_assessment",)


class AssessmentImporterKind(ImporterKind):
    """The registry needs every listed permission; this kind wants view + (add or approve)."""

    def allowed_for(self, user: Any) -> bool:
        return super().allowed_for(user) and (
            user.has_perm("assessments.add_assessment") or user.has_perm("assessments.approve_assessment")
        )


KIND = AssessmentImporterKind(
    "assessments", "历史评估结果", COLUMNS, validate_results, commit_results, RESULT_PERMISSIONS,
    "以往的老年人能力评估结果（只导入等级，不换算分数）：按身份证号码记为已审核的评估，并更新老年人的能力等级",
    "历史评估结果导入模板",
)


def register_importers() -> None:
    register(KIND)
