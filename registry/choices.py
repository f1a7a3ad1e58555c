"""Controlled vocabularies of the elder registry. Codes are English; labels are what clerks see."""

from django.db import models


class Sex(models.TextChoices):
    MALE = "M", "男"
    FEMALE = "F", "女"


class HukouType(models.TextChoices):
    URBAN = "urban", "城镇"
    RURAL = "rural", "农村"


class EconomicStatus(models.TextChoices):
    NORMAL = "normal", "普通"
    DIBAO = "dibao", "低保"
    DIBAO_EDGE = "dibao_edge", "低保边缘"
    TEKUN_HOME = "tekun_home", "特困分散供养"
    TEKUN_INST = "tekun_inst", "特困集中供养"
    HARDSHIP = "hardship", "支出型困难"


# 经济困难 = any of these unless a county narrows it (docs/domain.md §10, conventions).
ECONOMICALLY_DIFFICULT = (
    EconomicStatus.DIBAO,
    EconomicStatus.DIBAO_EDGE,
    EconomicStatus.TEKUN_HOME,
    EconomicStatus.TEKUN_INST,
    EconomicStatus.HARDSHIP,
)


class LivingArrangement(models.TextChoices):
    ALONE = "alone", "独居"
    EMPTY_NEST = "empty_nest", "空巢"
    LEFT_BEHIND = "left_behind", "留守"
    WITH_CHILDREN = "with_children", "与子女同住"
    OTHER = "other", "其他"


class DisabilityCategory(models.TextChoices):
    NONE = "", "无"
    VISUAL = "visual", "视力残疾"
    HEARING = "hearing", "听力残疾"
    SPEECH = "speech", "言语残疾"
    PHYSICAL = "physical", "肢体残疾"
    INTELLECTUAL = "intellectual", "智力残疾"
    MENTAL = "mental", "精神残疾"
    MULTIPLE = "multiple", "多重残疾"


class DisabilityGrade(models.IntegerChoices):
    GRADE_1 = 1, "一级"
    GRADE_2 = 2, "二级"
    GRADE_3 = 3, "三级"
    GRADE_4 = 4, "四级"


class SpecialFamily(models.TextChoices):
    NONE = "", "否"
    ONLY_CHILD_DISABLED = "only_child_disabled", "独生子女伤残"
    ONLY_CHILD_DECEASED = "only_child_deceased", "独生子女死亡"


class VeteranCategory(models.TextChoices):
    NONE = "", "否"
    DISABLED_SOLDIER = "disabled_soldier", "残疾军人"
    MARTYR_FAMILY = "martyr_family", "烈士遗属"
    DUTY_DEATH_FAMILY = "duty_death_family", "因公牺牲军人遗属"
    ILLNESS_DEATH_FAMILY = "illness_death_family", "病故军人遗属"
    DEMOBILISED = "demobilised", "在乡复员军人"
    ILL_VETERAN = "ill_veteran", "带病回乡退伍军人"
    WAR_VETERAN = "war_veteran", "参战退役人员"
    OTHER = "other", "其他优抚对象"


class AbilityLevel(models.IntegerChoices):
    """GB/T 42195-2022 levels (docs/domain.md §1.1); set by approved assessments."""

    INTACT = 0, "能力完好"
    MILD = 1, "轻度失能"
    MODERATE = 2, "中度失能"
    SEVERE = 3, "重度失能"
    TOTAL = 4, "完全失能"


class CareSetting(models.TextChoices):
    HOME = "home", "居家"
    INSTITUTION = "institution", "机构"


class Relation(models.TextChoices):
    HEAD = "head", "户主"
    SPOUSE = "spouse", "配偶"
    CHILD = "child", "子女"
    CHILD_IN_LAW = "child_in_law", "儿媳/女婿"
    GRANDCHILD = "grandchild", "孙子女/外孙子女"
    PARENT = "parent", "父母"
    SIBLING = "sibling", "兄弟姐妹"
    OTHER = "other", "其他"


# Special-difficulty flags used by list filters and (later) visit plans.
SPECIAL_DIFFICULTY_FLAGS = {
    "alone": "独居",
    "empty_nest": "空巢",
    "left_behind": "留守",
    "disabled_ability": "失能",
    "disability": "残疾",
    "special_family": "计生特殊家庭",
    "difficult": "经济困难",
    "veteran": "优抚对象",
}

# key: (label, min age inclusive, max age exclusive)
AGE_BANDS = {
    "under60": ("60岁以下", None, 60),
    "60-69": ("60–69岁", 60, 70),
    "70-79": ("70–79岁", 70, 80),
    "80-89": ("80–89岁", 80, 90),
    "90-99": ("90–99岁", 90, 100),
    "100+": ("100岁及以上", 100, None),
}
