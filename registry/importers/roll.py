"""The household roll (户籍花名册): upsert elders by ID number, households by 户号 within the village.

Validation reads only (villages once, existing elders and households in chunks); commit is set-based:
COPY / bulk_create of new households and elders, bulk_update of the changed columns, one history row
per created or changed elder carrying the importing user; an unchanged row is not touched.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from django.utils import timezone

from audit.services import record
from core.scoping import area_prefixes, code_within
from imports import bulk
from imports.registry import Column, Context, Plan, RowError
from imports.values import cell_text, is_blank

from .. import rules
from ..choices import HukouType, Relation
from ..models import Elder, Household
from .parsing import (
    _MISSING,
    BATCH,
    CHUNK,
    RowParser,
    _apply_updates,
    _flag_duplicates,
    _history_user,
    existing_elders,
    report_conflicts,
)
from .villages import Villages
from .vocabulary import (
    DATE_HELP,
    DISABILITY_CATEGORY,
    ECONOMIC,
    FIELD_LABELS,
    HUKOU,
    ID_COLUMN,
    LIVING,
    NAME_COLUMN,
    RELATION,
    VETERAN,
    _display,
    _help,
)

ROLL_COLUMNS = (
    ID_COLUMN,
    NAME_COLUMN,
    Column("sex", "性别", False, (), "男/女；可不填（由身份证号码确定），填写时须与号码一致", 6),
    Column("birth_date", "出生日期", False, ("出生年月日", "生日"), "可不填（由身份证号码确定）；" + DATE_HELP, 12),
    Column("household_number", "户号", True, ("户编号", "户口号", "户口簿号"), "同一村(社区)内唯一", 14),
    Column("relation_to_head", "与户主关系", False, ("关系", "与户主的关系"), _help(RELATION, "本人、妻、子、女、儿媳、孙子等"), 10),
    Column("hukou_type", "户籍类型", False, ("户口性质", "户籍性质", "户口类型"), _help(HUKOU, "农业、非农业"), 10),
    Column("village", "村(社区)", True, ("村", "社区", "村(居)委会", "所属村", "所属村(社区)", "村社区", "村/社区", "村居", "所属社区"),
           "12位区划代码，或您辖区内的村(社区)名称（重名时写“街道/村名”）", 16),
    Column("address", "现住址", False, ("住址", "居住地址", "家庭住址", "地址", "现居住地址"), "", 30),
    Column("phone", "联系电话", False, ("电话", "手机", "手机号", "手机号码", "联系方式", "电话号码"), "11位手机号码，或带区号的固定电话", 14),
    Column("economic_status", "经济状况", False, ("经济类型", "困难类型", "救助类型"), _help(ECONOMIC, "低保户、低边、分散供养特困"), 12),
    Column("living_arrangement", "居住状况", False, ("居住情况", "居住类型"), _help(LIVING, "独居老人、空巢老人"), 10),
    Column("disability_category", "残疾类别", False, ("残疾类型",), _help(DISABILITY_CATEGORY, "视力、肢体等"), 10),
    Column("disability_grade", "残疾等级", False, ("残疾级别",), "一级/二级/三级/四级（也可写 1–4）", 8),
    Column("special_family", "计划生育特殊家庭", False, ("计生特殊家庭", "计划生育特殊困难家庭"), "否/独生子女伤残/独生子女死亡", 14),
    Column("veteran_category", "优抚对象类别", False, ("优抚类别", "优抚对象"), _help(VETERAN), 14),
    Column("local_hukou", "是否本地户籍", False, ("本地户籍", "是否本地户口"), "是/否", 10),
    Column("bank_name", "开户银行", False, ("开户行", "银行", "开户银行名称"), "", 16),
    Column("bank_account", "银行账号", False, ("账号", "银行卡号", "卡号", "银行帐号", "社保卡号"), "请将该列设为文本格式", 24),
    Column("note", "备注", False, ("说明",), "", 20),
)
ROLL_FIELDS = ("name", "sex", "birth_date", "relation_to_head", "hukou_type", "address", "phone", "economic_status",
               "living_arrangement", "disability_category", "disability_grade", "special_family", "veteran_category",
               "local_hukou", "bank_name", "bank_account", "note")

# What a row whose ID number cannot be imported by this uploader says — the same words whatever the
# reason, so that the import cannot be used to find out who is registered in another area.
REFUSED_ID = "该身份证号码无法在您的辖区导入，请联系县级管理员"

ROLL_PERMISSIONS = ("registry.add_elder", "registry.change_elder", "registry.add_household")


def validate_roll(ctx: Context) -> Plan:
    table = ctx.table
    today = timezone.localdate()
    parser = RowParser(table, today)
    villages = Villages(ctx.user)
    prefixes = area_prefixes(ctx.user)
    total = len(table.rows) or 1
    if table.has("village"):
        index_of = table.columns["village"]
        villages.prepare({cells[index_of] if index_of < len(cells) else "" for _, cells in table.rows})
    errors: list[RowError] = []
    parsed: dict[int, dict] = {}
    seen: dict[str, list[tuple[int, dict]]] = defaultdict(list)
    for index, (row, rec) in enumerate(table.records()):
        if index % 5000 == 0:
            ctx.progress(0.6 * index / total)
        row_errors: list[RowError] = []
        pid = parser.id_number(row, rec, row_errors)
        name = parser.text(row, rec, "name", row_errors)
        if name is None and not any(e.column == "姓名" for e in row_errors):
            parser.error(row_errors, row, "name", "", "请填写姓名")
        values: dict[str, Any] = {}
        if name:
            values["name"] = name
        sex = parser.choice(row, rec, "sex", row_errors)
        birth = parser.date(row, rec, "birth_date", row_errors)
        if pid is not None:
            if sex is not _MISSING and sex != pid.sex:
                parser.error(row_errors, row, "sex", rec.get("sex"),
                             f"性别与身份证号码不符（号码第17位表示{'男' if pid.sex == 'M' else '女'}）")
            if birth is not _MISSING and birth != pid.birth_date:
                parser.error(row_errors, row, "birth_date", rec.get("birth_date"),
                             f"出生日期与身份证号码不符（号码中为 {pid.birth_date:%Y-%m-%d}）")
        household_number = parser.text(row, rec, "household_number", row_errors, code_like=True)
        if household_number is None and not any(e.column == "户号" for e in row_errors):
            parser.error(row_errors, row, "household_number", "", "请填写户号")
        village = parser.village(row, rec, villages, row_errors)
        for key in ("relation_to_head", "hukou_type", "economic_status", "living_arrangement", "disability_category",
                    "disability_grade", "special_family", "veteran_category", "local_hukou"):
            value = parser.choice(row, rec, key, row_errors)
            if value is not _MISSING:
                values[key] = value
        for key in ("address", "bank_name", "note"):
            value = parser.text(row, rec, key, row_errors)
            if value is not None:
                values[key] = value
        account = parser.text(row, rec, "bank_account", row_errors, code_like=True)
        if account is not None:
            if not account.isdigit():
                parser.error(row_errors, row, "bank_account", rec.get("bank_account"), "银行账号只能是数字")
            else:
                values["bank_account"] = account
        if "phone" in rec and not is_blank(rec.get("phone")):
            phone = rules.normalize_phone(cell_text(rec["phone"]))
            problem = rules.phone_error(phone)
            if problem:
                parser.error(row_errors, row, "phone", rec["phone"], problem)
            else:
                values["phone"] = phone
        if row_errors or pid is None:
            errors.extend(row_errors)
            continue
        assert village is not None and household_number is not None
        values["_village"] = village
        values["_household"] = household_number
        parsed[row] = (pid, values)
        seen[pid.number].append((row, values))

    flagged, ignored = _flag_duplicates(seen, parser, errors, parsed)
    del seen
    for r in flagged:
        parsed.pop(r, None)
    ctx.progress(0.65)

    # Households: which (village, 户号) already exist — chunked, by the villages the file uses.
    keys = {(values["_village"][0], values["_household"]) for _, values in parsed.values()}
    households = _existing_households(keys)
    ctx.progress(0.7)
    existing: dict[str, dict] = {}

    plan = Plan()
    foreign: list[dict] = []  # rows whose ID is registered outside the uploader's area (audited only)
    creates: list[dict] = []
    updates: list[tuple[int, dict, dict, int]] = []
    new_households: dict[tuple[int, str], dict] = {}
    compared = ROLL_FIELDS[:1] + ROLL_FIELDS[3:]  # sex and birth date come from the ID number
    items = list(parsed.items())
    for position, (row, (pid, values)) in enumerate(items):
        if position % CHUNK == 0:  # stored elders a chunk at a time: memory stays flat for 200k rows
            ctx.progress(0.7 + 0.3 * position / total)
            existing = existing_elders([p.number for _, (p, _) in items[position:position + CHUNK]], compared)
        if row in ignored:
            plan.unchanged += 1
            if ctx.keep_rows:
                plan.outcomes[row] = "skip"
            continue
        region_id, region_code = values.pop("_village")
        number = values.pop("_household")
        key = (region_id, number)
        stored = existing.get(pid.number)
        grade = values.get("disability_grade", stored["disability_grade"] if stored else None)
        category = values.get("disability_category", stored["disability_category"] if stored else "")
        if grade and not category:
            errors.append(RowError(row, table.labels.get("disability_category", "残疾类别"),
                                   cell_text(values.get("disability_category", "")),
                                   "填写了残疾等级时请填写残疾类别"))
            continue
        if stored is not None and not code_within(stored["region_code"], prefixes):
            # The clerk must not learn that (or where) the person is registered elsewhere: the message
            # is the one any refused ID gets; the real reason goes to the audit log (one event per file).
            errors.append(RowError(row, table.labels["id_number"], pid.number, REFUSED_ID))
            foreign.append({"row": row, "id": rules.mask_id_number(pid.number), "region_code": stored["region_code"]})
            continue
        if key not in households and key not in new_households:
            new_households[key] = {"region_id": region_id, "region_code": region_code, "household_number": number,
                                   "hukou_type": values.get("hukou_type") or HukouType.RURAL,
                                   "address": values.get("address", ""), "head_name": ""}
        if key in new_households and values.get("relation_to_head") == Relation.HEAD:
            new_households[key]["head_name"] = values.get("name", "")
        full = {**values, "id_number": pid.number, "sex": pid.sex, "birth_date": pid.birth_date,
                "region_id": region_id, "region_code": region_code, "_household": key}
        if stored is None:
            plan.new += 1
            if ctx.keep_rows:
                plan.outcomes[row] = "new"
            creates.append(full)
            continue
        changed: dict[str, Any] = {}
        shown: list[list[str]] = []
        for field_name, value in values.items():
            if stored[field_name] != value:
                changed[field_name] = value
                shown.append([FIELD_LABELS[field_name], _display(field_name, stored[field_name]),
                              _display(field_name, value)])
        if stored["region_id"] != region_id:
            changed["region_id"] = region_id
            changed["region_code"] = region_code
            shown.append(["村(社区)", villages.names.get(stored["region_id"], stored["region_code"]),
                          villages.names.get(region_id, region_code)])
        if stored["household_id"] is None or (stored["household__region_id"], stored["household__household_number"]) != key:
            changed["_household"] = key
            shown.append(["户号", stored["household__household_number"] or "（空）", number])
        if ctx.keep_rows:
            plan.outcomes[row] = "update" if changed else "skip"
        if not changed:
            plan.unchanged += 1
            continue
        plan.updated += 1
        prior = {name: stored["household_id"] if name == "_household" else stored[name] for name in changed}
        updates.append((stored["id"], changed, prior, row))
        if len(plan.changes) < 200:
            plan.changes.append({"row": row, "who": f"{values.get('name', '')}（{rules.mask_id_number(pid.number)}）",
                                 "fields": shown})
    plan.errors = errors
    if foreign:
        record(actor=ctx.user, event="imports.roll_foreign_ids_refused", obj=ctx.batch, outcome="refused",
               detail={"count": len(foreign), "rows": foreign[:200],
                       "reason": "身份证号码已在导入者管辖区域以外登记"})
    plan.payload = {"creates": creates, "updates": updates, "new_households": new_households,
                    "households": households, "ignored": ignored}
    ctx.progress(1.0)
    return plan


def _existing_households(keys: set[tuple[int, str]]) -> dict[tuple[int, str], int]:
    found: dict[tuple[int, str], int] = {}
    by_village: dict[int, list[str]] = defaultdict(list)
    for region_id, number in keys:
        by_village[region_id].append(number)
    numbers = sorted({n for _, n in keys})
    village_ids = sorted(by_village)
    for start in range(0, len(numbers), CHUNK):
        qs = Household.objects.filter(region_id__in=village_ids, household_number__in=numbers[start:start + CHUNK])
        for pk, region_id, number in qs.values_list("id", "region_id", "household_number"):
            if (region_id, number) in keys:
                found[(region_id, number)] = pk
    return found


def commit_roll(ctx: Context, plan: Plan) -> dict:
    """New households and elders by COPY (PostgreSQL) or bulk_create, each with one history row
    carrying the importing user; changed elders by bulk_update of the changed columns."""
    payload = plan.payload
    now = timezone.now()
    user = _history_user(ctx)
    user_id = getattr(user, "pk", None)
    household_ids: dict[tuple[int, str], int] = dict(payload["households"])
    new_households = [{**values, "created_at": now, "updated_at": now} for values in payload["new_households"].values()]
    for start in range(0, len(new_households), BATCH):
        chunk = new_households[start:start + BATCH]
        for row, pk in zip(chunk, bulk.insert_rows(Household, chunk), strict=True):
            row["id"] = pk
            household_ids[(row["region_id"], row["household_number"])] = pk
        bulk.insert_rows(Household.history.model, bulk.history_rows(Household, chunk, user_id=user_id, date=now),
                         ids=False)
    ctx.progress(0.2)

    creates = payload["creates"]
    for start in range(0, len(creates), BATCH):
        chunk = []
        for values in creates[start:start + BATCH]:
            row = {k: v for k, v in values.items() if not k.startswith("_")}
            row.update(household_id=household_ids[values["_household"]], created_at=now, updated_at=now)
            chunk.append(row)
        for row, pk in zip(chunk, bulk.insert_rows(Elder, chunk), strict=True):
            row["id"] = pk
        bulk.insert_rows(Elder.history.model, bulk.history_rows(Elder, chunk, user_id=user_id, date=now), ids=False)
        ctx.progress(0.2 + 0.6 * (start + BATCH) / max(len(creates), 1))

    updates = [(pk, {("household_id" if k == "_household" else k): (household_ids[v] if k == "_household" else v)
                     for k, v in changed.items()},
                {("household_id" if k == "_household" else k): v for k, v in prior.items()}, row)
               for pk, changed, prior, row in payload["updates"]]
    skipped = report_conflicts(ctx, plan, _apply_updates(updates, user, now))
    return {"new": len(creates), "updated": len(updates) - skipped, "households_created": len(new_households)}
