"""临汾市基本养老服务清单 (临政办发〔2023〕43号, docs/domain.md §9 P3), the city floor; counties may only go higher.

Amounts the city leaves to its counties are parameters; the county values below are examples (示例值).
"""

import datetime as dt

TITLE = "临汾市基本养老服务清单"
JURISDICTION = "141000000000"  # 临汾市
EFFECTIVE_FROM = dt.date(2024, 1, 1)
DIFFICULT = ["dibao", "dibao_edge", "tekun_home", "tekun_inst", "hardship"]

# (key, name, value, note[, jurisdiction]) — a fifth element puts the value on a county.
PARAMETERS = [
    ("age_allowance_80", "高龄津贴标准（80周岁及以上，元/月）", "100.00", "示例值：由各县(市、区)确定，此为市级缺省"),
    ("age_allowance_80", "高龄津贴标准（80周岁及以上，元/月）", "120.00", "示例值：尧都区标准，上线前请核对", "141002000000"),
    ("dibao_standard", "城乡低保标准（元/人/月）", "700.00", "示例值：清单未载明，上线前请按当地低保标准修改"),
    ("nursing_standard", "护理补贴标准（元/月）", "100.00", "清单：不低于100元/月"),
    ("disability_living_standard", "困难残疾人生活补贴标准（元/月）", "80.00", "示例值：按残疾人两项补贴政策确定"),
    ("disability_care_standard", "重度残疾人护理补贴标准（元/月）", "80.00", "示例值：按残疾人两项补贴政策确定"),
]


def _rule(benefit, label, criteria, amount="0", kind="fixed", item="", parameter="", start="next_month"):
    return {
        "benefit": benefit, "label": label, "criteria": criteria, "amount": amount, "amount_kind": kind,
        "parameter_key": parameter, "start": start, "source": f"{TITLE} 第{item}项" if item else TITLE,
    }


RULES = [
    # 第11项 高龄津贴：临汾户籍80周岁及以上，标准由各县确定（参数）
    _rule("age_allowance", "（80周岁及以上）", {"local_hukou": True, "age": {"min": 80, "max": None}}, "1", "multiple", "11",
          parameter="age_allowance_80"),
    # 第12项 百岁补贴：100周岁及以上，每月不低于300元
    _rule("centenarian_subsidy", "", {"age": {"min": 100, "max": None}}, "300", item="12"),
    # 第13项 养老服务补贴：经济困难的80周岁及以上老年人，每月不低于70元
    _rule("service_subsidy", "", {"economic_status": DIFFICULT, "age": {"min": 80, "max": None}}, "70", item="13"),
    # 第15项 护理补贴：经济困难的60周岁及以上失能老年人，每月不低于100元
    _rule("nursing_subsidy", "", {"economic_status": DIFFICULT, "age": {"min": 60, "max": None},
                                   "ability_level": {"min": 1, "max": 4}}, "1", "multiple", "15", parameter="nursing_standard"),
    # 第18项 分散供养特困人员：基本生活费为低保标准的1.3倍；照料护理费为护理补贴标准的1/2/3倍
    _rule("tekun_basic", "（分散供养）", {"economic_status": ["tekun_home"], "age": {"min": 60, "max": None}}, "1.3",
          "multiple", "18", parameter="dibao_standard"),
    *[
        _rule("care_fee", label, {"economic_status": ["tekun_home"], "age": {"min": 60, "max": None},
                                  "ability_level": {"min": lo, "max": hi}}, factor, "multiple", "18", parameter="nursing_standard")
        for label, lo, hi, factor in (("（全自理）", 0, 0, "1"), ("（半自理）", 1, 2, "2"), ("（全护理）", 3, 4, "3"))
    ],
    # 第23项 残疾人两项补贴
    _rule("disability_living", "", {"has_disability": True, "economic_status": ["dibao", "dibao_edge"]}, "1", "multiple", "23",
          parameter="disability_living_standard"),
    _rule("disability_care", "（一、二级）", {"disability_grade": {"min": 1, "max": 2}}, "1", "multiple", "23",
          parameter="disability_care_standard"),
    _rule("disability_care", "（三、四级精神、智力残疾）",
          {"disability_grade": {"min": 3, "max": 4}, "disability_category": ["mental", "intellectual"]}, "1", "multiple", "23",
          parameter="disability_care_standard"),
]
