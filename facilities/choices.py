"""Controlled vocabularies of the facilities app. Codes are English; labels are what clerks see."""

from django.db import models


class FacilityKind(models.TextChoices):
    INSTITUTION = "institution", "养老机构"
    TEKUN = "tekun", "特困人员供养服务机构(敬老院)"
    GLORY_HOME = "glory_home", "光荣院"
    REGIONAL_CENTRE = "regional_centre", "区域养老服务中心"
    COMMUNITY_CENTRE = "community_centre", "社区养老服务中心/站"
    DAY_CARE = "day_care", "日间照料中心"
    MUTUAL_AID = "mutual_aid", "农村互助幸福院"
    OTHER = "other", "其他"


# Kinds graded under GB/T 37276-2018《养老机构等级划分与评定》 (docs/domain.md §5); the others take stars.
GRADED_KINDS = (FacilityKind.INSTITUTION, FacilityKind.TEKUN, FacilityKind.GLORY_HOME, FacilityKind.REGIONAL_CENTRE)


class Ownership(models.TextChoices):
    PUBLIC = "public", "公办"
    PUBLIC_PRIVATE = "public_private", "公建民营"
    PRIVATE = "private", "民办"
    STATE_ENTERPRISE = "soe", "国企"


# 公办养老机构 in the seeds' sense: owned by the state, whoever runs it. Only these keep a public waitlist.
PUBLIC_OWNERSHIPS = (Ownership.PUBLIC, Ownership.PUBLIC_PRIVATE)


class MedicalIntegration(models.TextChoices):
    IN_HOUSE = "in_house", "内设医疗机构"
    CONTRACTED = "contracted", "签约医疗机构"
    NONE = "none", "无"


class ResidentType(models.TextChoices):
    """Residents a facility accepts (the national facility table's 收住对象)."""

    ABLE = "able", "能力完好"
    PARTLY_DISABLED = "partly_disabled", "部分失能"
    FULLY_DISABLED = "fully_disabled", "完全失能"
    DEMENTIA = "dementia", "认知障碍"
    TEKUN = "tekun", "特困人员"
    HANDICAPPED = "handicapped", "残疾人"
    VETERAN = "veteran", "优抚对象"


class RatingScheme(models.TextChoices):
    GRADE = "grade", "机构等级（GB/T 37276-2018）"
    STAR = "star", "星级评定"


class RatingStatus(models.TextChoices):
    VALID = "valid", "有效"
    EXPIRING = "expiring", "即将到期"
    EXPIRED = "expired", "已过期"


class BedKind(models.TextChoices):
    NORMAL = "normal", "普通床位"
    NURSING = "nursing", "护理型床位"
    DEMENTIA = "dementia", "认知症照护床位"


# Counted as nursing-type (护理型) beds in the indicators: dementia-care beds are nursing beds too.
NURSING_KINDS = (BedKind.NURSING, BedKind.DEMENTIA)


class BedStatus(models.TextChoices):
    VACANT = "vacant", "空闲"
    OCCUPIED = "occupied", "在住"
    RESERVED = "reserved", "预留"
    DISABLED = "disabled", "停用"


class BedLocation(models.TextChoices):
    FACILITY = "facility", "机构内"
    HOME = "home", "家庭养老床位"


class DischargeReason(models.TextChoices):
    HOME = "home", "返回家庭"
    TRANSFER = "transfer", "转床/转院"
    DEATH = "death", "死亡"
    HOSPITAL = "hospital", "长期住院"
    OTHER = "other", "其他"


class WaitlistStatus(models.TextChoices):
    WAITING = "waiting", "轮候中"
    ADMITTED = "admitted", "已入住"
    WITHDRAWN = "withdrawn", "已撤回"


class PriorityCondition(models.TextChoices):
    """The fixed vocabulary of waitlist priority rules (any one condition suffices)."""

    DISABLED = "disabled", "失能（能力等级轻度及以上）"
    EMPTY_NEST = "empty_nest", "空巢"
    ALONE = "alone", "独居"
    LEFT_BEHIND = "left_behind", "留守"
    HANDICAPPED = "handicapped", "残疾（持残疾证）"
    VERY_OLD = "very_old", "高龄"
    SPECIAL_FAMILY = "special_family", "计划生育特殊家庭"
