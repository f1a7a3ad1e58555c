"""杨陵区基本养老服务清单 (docs/domain.md §9 P5, 2023-12-20), read as in docs/domain.md §10."""

import datetime as dt

TITLE = "杨陵区基本养老服务清单"
JURISDICTION = "610403000000"  # 杨陵区
EFFECTIVE_FROM = dt.date(2024, 1, 1)
DIFFICULT = ["dibao", "dibao_edge", "tekun_home", "tekun_inst", "hardship"]

# key, name, value, note — values the list does not state are examples (示例值), never hidden in code.
PARAMETERS = [
    ("dibao_standard", "城乡低保标准（元/人/月）", "640.00", "示例值：清单未载明，上线前请按杨陵区现行低保标准修改"),
]


def _rule(benefit, label, criteria, amount="0", kind="fixed", item="", parameter="", start="next_month"):
    return {
        "benefit": benefit, "label": label, "criteria": criteria, "amount": amount, "amount_kind": kind,
        "parameter_key": parameter, "start": start, "source": f"{TITLE} 第{item}项" if item else TITLE,
    }


_adapt = []
for hukou, amount in (("rural", "2000"), ("urban", "4000")):
    word = "农村" if hukou == "rural" else "城镇"
    for label, extra in (
        ("分散供养特困", {"economic_status": ["tekun_home"]}),
        ("低保失能", {"economic_status": ["dibao"], "ability_level": {"min": 1, "max": 4}}),
        ("低保高龄", {"economic_status": ["dibao"], "age": {"min": 80, "max": None}}),
        ("低保重度残疾", {"economic_status": ["dibao"], "disability_grade": {"min": 1, "max": 2}}),
        ("计生特殊家庭", {"special_family": ["only_child_disabled", "only_child_deceased"]}),
    ):
        criteria = {"age": {"min": 60, "max": None}, "hukou_type": hukou, **extra}
        if "age" in extra:
            criteria["age"] = extra["age"]
        _adapt.append(_rule("home_adaptation", f"（{word}{label}家庭）", criteria, amount, "one_off", "6"))

RULES = [
    # 第4项 高龄津贴：杨陵户籍，70–79/80–89/90–99/100+ 周岁，每月 50/100/200/300 元，免申即享
    *[
        _rule("age_allowance", label, {"local_hukou": True, "age": {"min": lo, "max": hi}}, amount, item="4")
        for label, lo, hi, amount in (
            ("70–79周岁档", 70, 80, "50"), ("80–89周岁档", 80, 90, "100"),
            ("90–99周岁档", 90, 100, "200"), ("100周岁及以上档", 100, None, "300"),
        )
    ],
    # 第5项 养老服务补贴：低保家庭中60周岁及以上的重度失能和完全失能老年人，每月200元
    _rule("service_subsidy", "", {"economic_status": ["dibao"], "age": {"min": 60, "max": None},
                                   "ability_level": {"min": 3, "max": 4}}, "200", item="5"),
    # 第6项 家庭适老化改造：农村每户2000元、城镇每户4000元；持二级残疾证的困难残疾老年人家庭2500元
    *_adapt,
    _rule("home_adaptation", "（二级重度残疾困难家庭无障碍改造）",
          {"age": {"min": 60, "max": None}, "economic_status": DIFFICULT, "disability_grade": {"min": 2, "max": 2}},
          "2500", "one_off", "6"),
    # 第7项 照料护理费：未入住供养机构的特困老年人，全自理216、半护理324、全护理540元/月
    *[
        _rule("care_fee", label, {"economic_status": ["tekun_home"], "age": {"min": 60, "max": None},
                                  "ability_level": {"min": lo, "max": hi}}, amount, item="7")
        for label, lo, hi, amount in (("（全自理）", 0, 0, "216"), ("（半护理）", 1, 2, "324"), ("（全护理）", 3, 4, "540"))
    ],
    # 第10项 最低生活保障：低保家庭中70周岁及以上老年人，按当地低保标准的30%增发
    _rule("dibao_topup", "", {"economic_status": ["dibao"], "age": {"min": 70, "max": None}}, "30", "percent", "10",
          parameter="dibao_standard"),
    # 第11–12项 特困人员救助供养：60周岁及以上特困老年人（分散或集中），基本生活标准884元/人/月
    _rule("tekun_basic", "", {"economic_status": ["tekun_home", "tekun_inst"], "age": {"min": 60, "max": None}},
          "884", item="11–12"),
    # 第15项 计划生育特别扶助：独生子女伤残（三级以上）49周岁及以上460元；独生子女死亡 男49–59、女49–54
    # 590元，男60+、女55+ 1200元
    _rule("family_planning", "（独生子女伤残）", {"special_family": ["only_child_disabled"], "age": {"min": 49, "max": None}},
          "460", item="15"),
    _rule("family_planning", "（独生子女死亡，未达60/55周岁）",
          {"special_family": ["only_child_deceased"], "age_male": {"min": 49, "max": 60}, "age_female": {"min": 49, "max": 55}},
          "590", item="15"),
    _rule("family_planning", "（独生子女死亡，男60/女55周岁及以上）",
          {"special_family": ["only_child_deceased"], "age_male": {"min": 60, "max": None}, "age_female": {"min": 55, "max": None}},
          "1200", item="15"),
    # 第16项 困难残疾人生活补贴：持证残疾人且为低保或低保边缘，每月100元
    _rule("disability_living", "", {"has_disability": True, "economic_status": ["dibao", "dibao_edge"]}, "100", item="16"),
    # 第17项 重度残疾人护理补贴：一级120元、二级80元
    _rule("disability_care", "（一级）", {"disability_grade": {"min": 1, "max": 1}}, "120", item="17"),
    _rule("disability_care", "（二级）", {"disability_grade": {"min": 2, "max": 2}}, "80", item="17"),
    # 第3项 老年人能力综合评估（实施精准识别和动态管理）：65周岁及以上，尚未评估的，或上次评估已到期
    # （到所测算月份1日已到期，见 vocabulary 的 assessment_due），服务找人提示上门评估。两条规则互不重叠，
    # 工作台上的依据分别写明“尚未评估”或“评估已到期”。
    _rule("ability_assessment", "（65周岁以上尚未评估）", {"age": {"min": 65, "max": None}, "ability_assessed": False},
          kind="none", item="3"),
    _rule("ability_assessment", "（65周岁以上，上次评估已到期，应重新评估）",
          {"age": {"min": 65, "max": None}, "ability_assessed": True, "assessment_due": True}, kind="none", item="3"),
    # 第13项 特殊困难老年人巡访关爱：60周岁及以上独居、空巢、留守、失能、重残、计生特殊家庭
    _rule("visit_care", "（独居、空巢、留守）",
          {"age": {"min": 60, "max": None}, "living_arrangement": ["alone", "empty_nest", "left_behind"]}, kind="none", item="13"),
    _rule("visit_care", "（失能）", {"age": {"min": 60, "max": None}, "ability_level": {"min": 1, "max": 4}}, kind="none", item="13"),
    _rule("visit_care", "（重度残疾）", {"age": {"min": 60, "max": None}, "disability_grade": {"min": 1, "max": 2}},
          kind="none", item="13"),
    _rule("visit_care", "（计生特殊家庭）",
          {"age": {"min": 60, "max": None}, "special_family": ["only_child_disabled", "only_child_deceased"]},
          kind="none", item="13"),
]
