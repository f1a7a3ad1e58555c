"""Importer kinds of the elder registry, registered into the generic ``imports`` engine.

- ``roll``: 户籍花名册 — upsert elders by ID number, households by 户号 within the village;
- ``deaths``: 死亡/迁出名单 (公安) — sets deceased_on / moved_out_on;
- ``assistance``: 社会救助名单 — economic status with its start/end dates;
- ``disability``: 残疾人证名单 (残联) — disability category, grade, certificate no. and date.

The same rules as the single-row services (eligibility/services.py): the ID number is normalised
and decides sex and birth date; a given sex or birth date must agree with it; phone numbers are
11-digit mobiles or landlines with an area code; a disability grade needs a category; every village
must lie inside the uploader's area, and an elder registered outside it is never touched.

Validation is plain Python over all rows, with a fixed number of queries (villages once, existing
elders and households in chunks). Commit is set-based: bulk_create / bulk_update in batches, one
history row per created or changed elder with the importing user, no row touched when nothing changed.
A blank cell means "not given": it never clears a stored value.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable, Iterable
from typing import Any

from django.utils import timezone

from imports import bulk
from imports.registry import Column, Context, ImporterKind, Plan, RowError, register
from imports.values import (
    YES_NO,
    Lookup,
    cell_text,
    clean_text,
    compact,
    header_key,
    is_blank,
    number_lost_digits,
    parse_date,
)
from regions.models import Region
from regions.scoping import area_prefixes

from . import rules
from .choices import (
    DisabilityCategory,
    DisabilityGrade,
    EconomicStatus,
    HukouType,
    LivingArrangement,
    Relation,
    Sex,
    SpecialFamily,
    VeteranCategory,
)
from .models import Elder, Household

CHUNK = 2000
BATCH = 2000

# --- vocabularies (labels from choices.py, plus what clerks actually write) --------------------------
SEX = Lookup(Sex.choices, {"男性": "M", "女性": "F", "m": "M", "f": "F"})
HUKOU = Lookup(HukouType.choices, {"城市": "urban", "非农业": "urban", "非农": "urban", "城镇户口": "urban",
                                   "居民": "urban", "农业": "rural", "农业户口": "rural", "农村户口": "rural"})
RELATION = Lookup(Relation.choices, {
    "本人": "head", "户主本人": "head", "妻": "spouse", "妻子": "spouse", "夫": "spouse", "丈夫": "spouse",
    "老伴": "spouse", "子": "child", "女": "child", "儿子": "child", "女儿": "child", "长子": "child",
    "长女": "child", "次子": "child", "次女": "child", "儿媳": "child_in_law", "女婿": "child_in_law",
    "孙子": "grandchild", "孙女": "grandchild", "外孙": "grandchild", "外孙子": "grandchild",
    "外孙女": "grandchild", "父亲": "parent", "母亲": "parent", "父": "parent", "母": "parent",
    "兄": "sibling", "弟": "sibling", "姐": "sibling", "妹": "sibling", "哥哥": "sibling", "弟弟": "sibling",
    "姐姐": "sibling", "妹妹": "sibling",
})
ECONOMIC = Lookup(EconomicStatus.choices, {
    "一般": "normal", "正常": "normal", "无": "normal", "非低保": "normal",
    "低保户": "dibao", "低保对象": "dibao", "城市低保": "dibao", "农村低保": "dibao", "最低生活保障": "dibao",
    "低边": "dibao_edge", "低保边缘户": "dibao_edge", "低保边缘家庭": "dibao_edge",
    "分散供养特困": "tekun_home", "特困分散": "tekun_home", "分散供养": "tekun_home", "五保分散": "tekun_home",
    "集中供养特困": "tekun_inst", "特困集中": "tekun_inst", "集中供养": "tekun_inst", "五保集中": "tekun_inst",
    "支出型贫困": "hardship", "支出型困难家庭": "hardship", "支出型": "hardship",
})
LIVING = Lookup(LivingArrangement.choices, {
    "独居老人": "alone", "空巢老人": "empty_nest", "留守老人": "left_behind", "和子女同住": "with_children",
    "与子女共同生活": "with_children", "与子女居住": "with_children",
})
DISABILITY_CATEGORY = Lookup(DisabilityCategory.choices, {
    "视力": "visual", "听力": "hearing", "言语": "speech", "肢体": "physical", "智力": "intellectual",
    "精神": "mental", "多重": "multiple", "否": "", "无残疾": "",
})
DISABILITY_GRADE = Lookup(DisabilityGrade.choices, {
    "1": 1, "2": 2, "3": 3, "4": 4, "1级": 1, "2级": 2, "3级": 3, "4级": 4, "一": 1, "二": 2, "三": 3, "四": 4,
    "壹级": 1, "贰级": 2, "叁级": 3, "肆级": 4, "无": None,
})
SPECIAL_FAMILY = Lookup(SpecialFamily.choices, {
    "无": "", "不是": "", "独生子女残疾": "only_child_disabled", "伤残": "only_child_disabled",
    "失独": "only_child_deceased", "独生子女死亡家庭": "only_child_deceased",
    "独生子女伤残家庭": "only_child_disabled",
})
VETERAN = Lookup(VeteranCategory.choices, {"无": "", "不是": "", "复员军人": "demobilised",
                                           "在乡复员": "demobilised", "伤残军人": "disabled_soldier"})
MOVE_TYPE = Lookup([("deceased_on", "死亡"), ("moved_out_on", "迁出")], {
    "去世": "deceased_on", "亡故": "deceased_on", "病故": "deceased_on", "死亡注销": "deceased_on",
    "户口迁出": "moved_out_on", "迁出注销": "moved_out_on", "迁移": "moved_out_on", "迁移注销": "moved_out_on",
})

LOOKUPS: dict[str, Lookup] = {
    "sex": SEX, "hukou_type": HUKOU, "relation_to_head": RELATION, "economic_status": ECONOMIC,
    "living_arrangement": LIVING, "disability_category": DISABILITY_CATEGORY, "disability_grade": DISABILITY_GRADE,
    "special_family": SPECIAL_FAMILY, "veteran_category": VETERAN, "local_hukou": YES_NO,
}
TEXT_LIMITS = {"name": 50, "address": 200, "bank_name": 60, "bank_account": 32, "note": 200, "household_number": 40,
               "disability_certificate_no": 30}
FIELD_LABELS = {f.name: str(f.verbose_name) for f in Elder._meta.concrete_fields}
FIELD_LABELS["household"] = "户号"
FIELD_LABELS["region"] = "村(社区)"


def _help(lookup: Lookup, extra: str = "") -> str:
    return lookup.accepted() + (f"（也可写 {extra}）" if extra else "")


DATE_HELP = "Excel 日期，或 2024-01-05、2024/1/5、2024年1月5日、20240105"
ID_COLUMN = Column("id_number", "身份证号码", True, ("身份证号", "公民身份号码", "身份证", "证件号码", "身份证件号码", "身份号码"),
                   "18位（或15位旧号码）；全角数字、空格、小写x可自动纠正。请将该列设为文本格式", 22)
NAME_COLUMN = Column("name", "姓名", True, ("名字", "老人姓名", "户籍人员姓名"), "与身份证一致", 10)

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
COMPARED = ("name", "relation_to_head", "hukou_type", "address", "phone", "economic_status", "living_arrangement",
            "disability_category", "disability_grade", "special_family", "veteran_category", "local_hukou",
            "bank_name", "bank_account", "note", "economic_status_from", "economic_status_to",
            "disability_certificate_no", "disability_certified_on", "deceased_on", "moved_out_on")


def _display(field: str, value: Any) -> str:
    if value is None or value == "":
        return "（空）"
    lookup = LOOKUPS.get(field)
    if lookup is not None:
        return lookup.label(value) or str(value)
    if field == "bank_account":
        return rules.mask_bank_account(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


# --- villages ------------------------------------------------------------------------------------
_SUFFIXES = ("村民委员会", "居民委员会", "村委会", "居委会")


def _aliases(name: str) -> set[str]:
    key = header_key(name)
    found = {key}
    for suffix in _SUFFIXES:
        if key.endswith(suffix) and len(key) > len(suffix):
            base = key[: -len(suffix)]
            found.add(base)
            if suffix.startswith("村") and not base.endswith("村"):
                found.add(base + "村")
            if suffix.startswith("居") and base.endswith("社区"):
                found.add(base[:-2])
            break
    else:
        if key.endswith("社区") and len(key) > 2:
            found.add(key[:-2])
    return found


class Villages:
    """The villages a user may import into, resolvable by 12-digit code or name (one query)."""

    def __init__(self, user: Any):
        self.user = user
        rows = Region.objects.visible_to(user).filter(level=Region.Level.VILLAGE).values_list(
            "id", "code", "name", "parent__name"
        )
        self.by_code: dict[str, tuple[int, str]] = {}
        self.by_name: dict[str, set[tuple[int, str]]] = defaultdict(set)
        self.names: dict[int, str] = {}
        for pk, code, name, township in rows:
            entry = (pk, code)
            self.by_code[code] = entry
            self.names[pk] = f"{township or ''}{name}"
            for alias in _aliases(name):
                self.by_name[alias].add(entry)
                if township:
                    for t in _aliases(township):
                        self.by_name[t + alias].add(entry)
                        self.by_name[t + "/" + alias].add(entry)
        self._cache: dict[str, tuple[int, str] | str] = {}
        self._outside_codes: set[str] = set()
        self._outside_names: set[str] = set()

    def prepare(self, values: Iterable[Any]) -> None:
        """Find, in two queries, which unresolved codes/names exist outside the area."""
        codes, names = set(), set()
        for value in values:
            text = compact(value)
            if text in self._cache:
                continue
            if text.isdigit():
                if len(text) == 12 and text not in self.by_code:
                    codes.add(text)
            elif header_key(text).replace("\\", "/") not in self.by_name:
                base = clean_text(value).split("/")[-1]
                names.update({base, *(base + s for s in _SUFFIXES), *(base[:-1] + s for s in _SUFFIXES if base.endswith("村"))})
        if codes:
            self._outside_codes = set(
                Region.objects.filter(code__in=codes, level=Region.Level.VILLAGE).values_list("code", flat=True)
            )
        if names:
            self._outside_names = {
                header_key(n) for n in Region.objects.filter(name__in=names, level=Region.Level.VILLAGE)
                .values_list("name", flat=True)
            }

    def resolve(self, value: Any) -> tuple[int, str] | str:
        """(region id, code) or a Chinese reason."""
        text = compact(value)
        hit = self._cache.get(text)
        if hit is not None:
            return hit
        result: tuple[int, str] | str
        if text.isdigit():
            if len(text) != 12:
                result = "村(社区)代码应为12位数字"
            elif text in self.by_code:
                result = self.by_code[text]
            elif text in self._outside_codes:
                result = "该村(社区)不在您的管辖区域内"
            elif text.endswith("000"):
                result = "应填写村(社区)的12位代码，这是乡镇(街道)或以上的代码"
            else:
                result = "未找到该村(社区)代码"
        else:
            key = header_key(text).replace("\\", "/")
            found = self.by_name.get(key, set())
            if len(found) == 1:
                result = next(iter(found))
            elif len(found) > 1:
                result = "村(社区)名称有重名，请填写“乡镇(街道)/村名”或12位代码"
            elif any(alias in self._outside_names for alias in _aliases(key.split("/")[-1])) or (
                header_key(clean_text(value).split("/")[-1]) in self._outside_names
            ):
                result = "该村(社区)不在您的管辖区域内"
            else:
                result = "未找到该村(社区)，请核对名称或填写12位代码"
        self._cache[text] = result
        return result


# --- shared row parsing --------------------------------------------------------------------------
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


# --- the household roll --------------------------------------------------------------------------
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
        village = None
        raw_village = rec.get("village")
        if is_blank(raw_village):
            parser.error(row_errors, row, "village", "", "请填写村(社区)")
        else:
            resolved = villages.resolve(raw_village)
            if isinstance(resolved, str):
                parser.error(row_errors, row, "village", raw_village, resolved)
            else:
                village = resolved
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
    creates: list[dict] = []
    updates: list[tuple[int, dict]] = []
    new_households: dict[tuple[int, str], dict] = {}
    row_values: dict[int, dict] = {}  # every valid row, for the admin's row-by-row resource
    compared = ROLL_FIELDS[:1] + ROLL_FIELDS[3:]  # sex and birth date come from the ID number
    items = list(parsed.items())
    for position, (row, (pid, values)) in enumerate(items):
        if position % CHUNK == 0:  # stored elders a chunk at a time: memory stays flat for 200k rows
            ctx.progress(0.7 + 0.3 * position / total)
            existing = _existing([p.number for _, (p, _) in items[position:position + CHUNK]], compared)
        if row in ignored:
            plan.unchanged += 1
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
        if stored is not None and not _in_area(prefixes, stored["region_code"]):
            errors.append(RowError(row, table.labels["id_number"], pid.number,
                                   "该身份证号码已在您的管辖区域以外登记，不能通过导入修改；如需迁入请联系县级管理员"))
            continue
        if key not in households and key not in new_households:
            new_households[key] = {"region_id": region_id, "region_code": region_code, "household_number": number,
                                   "hukou_type": values.get("hukou_type") or HukouType.RURAL,
                                   "address": values.get("address", ""), "head_name": ""}
        if key in new_households and values.get("relation_to_head") == Relation.HEAD:
            new_households[key]["head_name"] = values.get("name", "")
        full = {**values, "id_number": pid.number, "sex": pid.sex, "birth_date": pid.birth_date,
                "region_id": region_id, "region_code": region_code, "_household": key}
        if ctx.keep_rows:
            row_values[row] = full
        if stored is None:
            plan.new += 1
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
        if not changed:
            plan.unchanged += 1
            full["_unchanged"] = True
            continue
        plan.updated += 1
        updates.append((stored["id"], changed))
        if len(plan.changes) < 200:
            plan.changes.append({"row": row, "who": f"{values.get('name', '')}（{rules.mask_id_number(pid.number)}）",
                                 "fields": shown})
    plan.errors = errors
    plan.payload = {"creates": creates, "updates": updates, "new_households": new_households,
                    "households": households, "rows": row_values, "ignored": ignored}
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


def _history_user(ctx: Context) -> Any:
    return ctx.user if getattr(ctx.user, "is_authenticated", False) else None


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
                     for k, v in changed.items()}) for pk, changed in payload["updates"]]
    _apply_updates(updates, user, now)
    return {"new": len(creates), "updated": len(updates), "households_created": len(new_households)}


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


# --- status lists --------------------------------------------------------------------------------
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
        existing = _existing((p[0].number for r, p in parsed.items() if r not in flagged), COMPARED)
        plan = Plan()
        updates: list[tuple[int, dict]] = []
        for row, (pid, name, values) in parsed.items():
            if row in flagged:
                continue
            if row in ignored:
                plan.unchanged += 1
                continue
            stored = existing.get(pid.number)
            if stored is None or not _in_area(prefixes, stored["region_code"]):
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
            updates.append((stored["id"], changed))
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
    _apply_updates(updates, _history_user(ctx), timezone.now())
    return {"new": 0, "updated": len(updates)}


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

ROLL_PERMISSIONS = ("eligibility.add_elder", "eligibility.change_elder", "eligibility.add_household")
STATUS_PERMISSIONS = ("eligibility.change_elder",)


def register_importers() -> None:
    register(ImporterKind("roll", "户籍花名册", ROLL_COLUMNS, validate_roll, commit_roll, ROLL_PERMISSIONS,
                          "按身份证号码新增或更新老年人，按户号归户", "户籍花名册导入模板"))
    register(ImporterKind("deaths", "死亡/迁出名单", DEATH_COLUMNS, _status_validator(parse_death), commit_status,
                          STATUS_PERMISSIONS, "公安部门的死亡、户口迁出名单：记录死亡日期或迁出日期", "死亡迁出名单模板"))
    register(ImporterKind("assistance", "社会救助名单", ASSISTANCE_COLUMNS, _status_validator(parse_assistance),
                          commit_status, STATUS_PERMISSIONS, "低保、特困等名单：记录经济状况及起止日期", "社会救助名单模板"))
    register(ImporterKind("disability", "残疾人证名单", DISABILITY_COLUMNS, _status_validator(parse_disability),
                          commit_status, STATUS_PERMISSIONS, "残联的残疾人证名单：记录残疾类别、等级、证号和发证日期",
                          "残疾人证名单模板"))

