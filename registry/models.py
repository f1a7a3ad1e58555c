"""The elder registry: households and elders (老年人), scoped by the village they are registered in."""

from __future__ import annotations

import datetime as dt

from django.db import models
from django.db.models import Q
from simple_history.models import HistoricalRecords

from core.fields import RegionCodeField
from core.scoping import ScopedQuerySet
from regions.models import Region

from . import rules
from .choices import (
    ECONOMICALLY_DIFFICULT,
    AbilityLevel,
    CareSetting,
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


class Household(models.Model):
    """A registered household (户): 户号 is unique within its village."""

    household_number = models.CharField("户号", max_length=40)
    region = models.ForeignKey(
        Region, verbose_name="村(社区)", on_delete=models.PROTECT, related_name="+",
        limit_choices_to={"level": Region.Level.VILLAGE},
    )
    region_code = RegionCodeField("区划代码", editable=False)
    address = models.CharField("现住址", max_length=200, blank=True)
    hukou_type = models.CharField("户籍类型", max_length=10, choices=HukouType.choices, default=HukouType.RURAL)
    head_name = models.CharField("户主姓名", max_length=50, blank=True)
    created_at = models.DateTimeField("创建时间", auto_now_add=True)
    updated_at = models.DateTimeField("更新时间", auto_now=True)

    objects = ScopedQuerySet.as_manager()
    history = HistoricalRecords(verbose_name="户变更记录", table_name="eligibility_historicalhousehold")

    class Meta:
        db_table = "eligibility_household"  # the table predates the registry app (migrations 0001)
        verbose_name = "户"
        verbose_name_plural = "户"
        constraints = [
            models.UniqueConstraint(fields=["region", "household_number"], name="household_unique_in_village"),
        ]
        indexes = [models.Index(fields=["region_code", "household_number"], name="household_area_number")]

    def __str__(self) -> str:
        return f"户号 {self.household_number}"

    def save(self, *args, **kwargs):
        self.region_code = self.region.code
        super().save(*args, **kwargs)


class ElderQuerySet(ScopedQuerySet):
    def alive(self) -> ElderQuerySet:
        return self.filter(deceased_on__isnull=True)

    def aged_between(self, min_age: int | None, max_age: int | None, on: dt.date) -> ElderQuerySet:
        """Age in [min_age, max_age) on a date, as an index-friendly birth-date range."""
        earliest, latest = rules.birth_date_bounds_for_age(min_age, max_age, on)
        qs = self
        if latest is not None:
            qs = qs.filter(birth_date__lte=latest)
        if earliest is not None:
            qs = qs.filter(birth_date__gte=earliest)
        return qs

    def with_flag(self, flag: str) -> ElderQuerySet:
        """Special-difficulty flags (choices.SPECIAL_DIFFICULTY_FLAGS)."""
        conditions = {
            "alone": Q(living_arrangement=LivingArrangement.ALONE),
            "empty_nest": Q(living_arrangement=LivingArrangement.EMPTY_NEST),
            "left_behind": Q(living_arrangement=LivingArrangement.LEFT_BEHIND),
            "disabled_ability": Q(ability_level__gte=AbilityLevel.MILD),
            "disability": Q(disability_grade__isnull=False),
            "special_family": ~Q(special_family=SpecialFamily.NONE),
            "difficult": Q(economic_status__in=ECONOMICALLY_DIFFICULT),
            "veteran": ~Q(veteran_category=VeteranCategory.NONE),
        }
        return self.filter(conditions[flag])


class Elder(models.Model):
    """An older resident. Sex and birth date come from the ID number; region is the village."""

    id_number = models.CharField("身份证号码", max_length=18, unique=True)
    name = models.CharField("姓名", max_length=50)
    sex = models.CharField("性别", max_length=1, choices=Sex.choices)
    birth_date = models.DateField("出生日期")
    phone = models.CharField("联系电话", max_length=20, blank=True)

    household = models.ForeignKey(
        Household, verbose_name="户", null=True, blank=True, on_delete=models.SET_NULL, related_name="members"
    )
    relation_to_head = models.CharField(
        "与户主关系", max_length=20, choices=Relation.choices, blank=True
    )
    region = models.ForeignKey(
        Region, verbose_name="村(社区)", on_delete=models.PROTECT, related_name="+",
        limit_choices_to={"level": Region.Level.VILLAGE},
    )
    region_code = RegionCodeField("区划代码", editable=False)
    address = models.CharField("现住址", max_length=200, blank=True)

    local_hukou = models.BooleanField("本地户籍", default=True)
    hukou_type = models.CharField("户籍类型", max_length=10, choices=HukouType.choices, default=HukouType.RURAL)
    economic_status = models.CharField(
        "经济状况", max_length=12, choices=EconomicStatus.choices, default=EconomicStatus.NORMAL
    )
    # Effective dates from the social-assistance list (社会救助): the status applies from/to these dates.
    economic_status_from = models.DateField("经济状况起始日期", null=True, blank=True)
    economic_status_to = models.DateField("经济状况终止日期", null=True, blank=True)
    living_arrangement = models.CharField(
        "居住状况", max_length=16, choices=LivingArrangement.choices, default=LivingArrangement.OTHER
    )
    disability_category = models.CharField(
        "残疾类别", max_length=16, choices=DisabilityCategory.choices, blank=True, default=DisabilityCategory.NONE
    )
    disability_grade = models.PositiveSmallIntegerField(
        "残疾等级", choices=DisabilityGrade.choices, null=True, blank=True
    )
    disability_certificate_no = models.CharField("残疾证号", max_length=30, blank=True)
    disability_certified_on = models.DateField("残疾证发证日期", null=True, blank=True)
    special_family = models.CharField(
        "计划生育特殊家庭", max_length=24, choices=SpecialFamily.choices, blank=True, default=SpecialFamily.NONE
    )
    veteran_category = models.CharField(
        "优抚对象类别", max_length=24, choices=VeteranCategory.choices, blank=True, default=VeteranCategory.NONE
    )
    ability_level = models.PositiveSmallIntegerField(
        "能力等级", choices=AbilityLevel.choices, null=True, blank=True,
        help_text="由能力评估审核后写入；空表示尚未评估",
    )
    # Denormalised from the assessments app (docs/architecture.md, Layering): the next_due_on of the
    # elder's latest approved GB/T 42195-2022 assessment (assessments.selectors.due_on_subquery),
    # written only through services.elder_set_ability_level and the results import. The sweep's
    # criterion ``assessment_due`` reads it. No index: the sweep evaluates criteria inside one CASE
    # over all of a county's elders (read by area), so an index on this column would not help.
    assessment_due_on = models.DateField(
        "能力评估到期日", null=True, blank=True, editable=False,
        help_text="最近一次有效能力评估（GB/T 42195-2022）的下次评估到期日，审核或导入评估结果时写入；空表示没有有效评估",
    )
    care_setting = models.CharField("照护场所", max_length=12, choices=CareSetting.choices, default=CareSetting.HOME)
    deceased_on = models.DateField("死亡日期", null=True, blank=True)
    moved_out_on = models.DateField("迁出日期", null=True, blank=True)

    bank_name = models.CharField("开户银行", max_length=60, blank=True)
    bank_account = models.CharField("银行账号", max_length=32, blank=True)
    note = models.CharField("备注", max_length=200, blank=True)

    created_at = models.DateTimeField("登记时间", auto_now_add=True)
    updated_at = models.DateTimeField("更新时间", auto_now=True)

    objects = ElderQuerySet.as_manager()
    history = HistoricalRecords(
        verbose_name="老年人变更记录", excluded_fields=["updated_at"], table_name="eligibility_historicalelder"
    )

    class Meta:
        db_table = "eligibility_elder"  # the table predates the registry app (migrations 0001)
        verbose_name = "老年人"
        verbose_name_plural = "老年人"
        permissions = [("view_full_id_number", "查看完整身份证号码")]
        indexes = [
            # The staff list: area prefix filter + (village, name) order in one index (docs/architecture.md).
            # INCLUDE deceased_on: the list's default "alive" filter and its count become index-only
            # scans (measured on 1M elders: count 95 → 12 ms; bench/README.md). PostgreSQL only.
            models.Index(fields=["region_code", "name", "id"], include=["deceased_on"], name="elder_area_name"),
            models.Index(fields=["region_code", "birth_date"], include=["deceased_on"], name="elder_area_birth"),
            models.Index(fields=["name"], name="elder_name"),
            models.Index(fields=["phone"], name="elder_phone"),
            # The sweep's incremental night: who changed since the last run (eligibility/policy/sweep.py).
            models.Index(fields=["updated_at"], name="elder_updated_at"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(disability_grade__isnull=True) | Q(disability_grade__gte=1, disability_grade__lte=4),
                name="elder_disability_grade_range",
            ),
            models.CheckConstraint(
                condition=Q(ability_level__isnull=True) | Q(ability_level__gte=0, ability_level__lte=4),
                name="elder_ability_level_range",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name}（{self.masked_id_number}）"

    def save(self, *args, **kwargs):
        self.region_code = self.region.code
        super().save(*args, **kwargs)

    @property
    def masked_id_number(self) -> str:
        return rules.mask_id_number(self.id_number)

    @property
    def masked_phone(self) -> str:
        return rules.mask_phone(self.phone)

    def age_on(self, on: dt.date) -> int:
        return rules.age_on(self.birth_date, on)

    @property
    def is_deceased(self) -> bool:
        return self.deceased_on is not None
