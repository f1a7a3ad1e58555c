"""The vocabularies and column definitions shared by the registry's importers: what clerks write
(labels from choices.py plus real-world synonyms), the two columns every list starts with, and how a
stored value is shown on the preview."""

from __future__ import annotations

import datetime as dt
from typing import Any

from imports.registry import Column
from imports.values import YES_NO, Lookup

from .. import rules
from ..choices import (
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
from ..models import Elder

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
TEXT_LIMITS = {"name": 50, "head_name": 50, "address": 200, "bank_name": 60, "bank_account": 32, "note": 200, "household_number": 40,
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
