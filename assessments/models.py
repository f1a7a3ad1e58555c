"""Ability assessments (老年人能力评估, GB/T 42195-2022): the instrument as data, the assessment
record with its computed levels, immediate-reassessment requests and the per-county interval."""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from simple_history.models import HistoricalRecords

from core.fields import RegionCodeField
from core.scoping import ScopedQuerySet
from registry.public import AbilityLevel
from regions.models import Region

from . import rules


class Standard(models.TextChoices):
    GBT_42195_2022 = rules.GBT_42195_2022, "GB/T 42195-2022《老年人能力评估规范》"
    # Results imported from older records: level only, never converted from scores (docs/domain.md §1.2).
    MZT_039_2013 = rules.MZT_039_2013, "MZ/T 039-2013《老年人能力评估》"


class Indicator(models.Model):
    """一级指标 (B.1 自理能力 …)."""

    standard = models.CharField("标准版本", max_length=20, choices=Standard.choices)
    code = models.CharField("编号", max_length=10)
    name = models.CharField("名称", max_length=40)
    max_score = models.PositiveSmallIntegerField("满分")
    position = models.PositiveSmallIntegerField("顺序")

    class Meta:
        verbose_name = "一级指标"
        verbose_name_plural = "一级指标"
        ordering = ["standard", "position"]
        constraints = [models.UniqueConstraint(fields=["standard", "code"], name="indicator_unique_code")]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class Item(models.Model):
    """二级指标 (B.1.1 进食 …)."""

    indicator = models.ForeignKey(Indicator, verbose_name="一级指标", on_delete=models.CASCADE, related_name="items")
    code = models.CharField("编号", max_length=10)
    name = models.CharField("名称", max_length=40)
    max_score = models.PositiveSmallIntegerField("满分")
    position = models.PositiveSmallIntegerField("顺序")

    class Meta:
        verbose_name = "评估项目"
        verbose_name_plural = "评估项目"
        ordering = ["indicator__position", "position"]
        constraints = [models.UniqueConstraint(fields=["indicator", "code"], name="item_unique_code")]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class Option(models.Model):
    """One answer of an item with its score."""

    item = models.ForeignKey(Item, verbose_name="评估项目", on_delete=models.CASCADE, related_name="options")
    score = models.PositiveSmallIntegerField("分值")
    text = models.CharField("描述", max_length=200)

    class Meta:
        verbose_name = "选项"
        verbose_name_plural = "选项"
        ordering = ["item", "-score"]
        constraints = [models.UniqueConstraint(fields=["item", "score"], name="option_unique_score")]

    def __str__(self) -> str:
        return f"{self.score}分 {self.text}"


class AssessmentPolicy(models.Model):
    """A county's routine reassessment interval (default 12 months when a county has none)."""

    region = models.OneToOneField(
        Region, verbose_name="县(区)", on_delete=models.PROTECT, related_name="+",
        limit_choices_to={"level": Region.Level.COUNTY},
    )
    region_code = RegionCodeField("区划代码", editable=False)
    interval_months = models.PositiveSmallIntegerField(
        "常规评估间隔（月）", default=12, validators=[MinValueValidator(1), MaxValueValidator(60)],
        help_text="审核通过后，下次常规评估的到期时间 = 评估日期 + 间隔月数",
    )

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = "评估周期设置"
        verbose_name_plural = "评估周期设置"

    def __str__(self) -> str:
        return f"{self.region.name}：每{self.interval_months}个月"

    def save(self, *args, **kwargs):
        self.region_code = self.region.code
        super().save(*args, **kwargs)


class Reason(models.TextChoices):
    FIRST = "first", "首次评估"
    ROUTINE = "routine", "常规评估"
    IMMEDIATE = "immediate", "即时评估"
    REVIEW = "review", "复评"


class Source(models.TextChoices):
    ENTERED = "entered", "录入"
    IMPORTED = "imported", "导入"  # a past result from a file: level only, approved by the importing user


class Status(models.TextChoices):
    DRAFT = "draft", "草稿"
    SUBMITTED = "submitted", "待审核"
    APPROVED = "approved", "已审核"


class RiskCount(models.IntegerChoices):
    NONE = 0, "无"
    ONCE = 1, "1次"
    TWICE = 2, "2次"
    MORE = 3, "3次及以上"


class SpecialCare(models.TextChoices):
    GASTRIC_TUBE = "gastric_tube", "胃管"
    URINARY_CATHETER = "urinary_catheter", "尿管"
    TRACHEOSTOMY = "tracheostomy", "气管切开"
    STOMA = "stoma", "造瘘"
    VENTILATOR = "ventilator", "呼吸机"
    DIALYSIS = "dialysis", "透析"


class AssessmentQuerySet(ScopedQuerySet):
    def approved(self) -> AssessmentQuerySet:
        return self.filter(status=Status.APPROVED)

    def current_standard(self) -> AssessmentQuerySet:
        return self.filter(standard=Standard.GBT_42195_2022)


class Assessment(models.Model):
    """One assessment of one elder: section A facts, the 26 answers (B), computed levels (C)."""

    elder = models.ForeignKey("registry.Elder", verbose_name="老年人", on_delete=models.PROTECT, related_name="assessments")
    region_code = RegionCodeField("区划代码", editable=False)
    standard = models.CharField("评估标准", max_length=20, choices=Standard.choices, default=Standard.GBT_42195_2022)
    rules_version = models.CharField("等级变更规则版本", max_length=20, blank=True)
    reason = models.CharField("评估原因", max_length=12, choices=Reason.choices)
    assessed_on = models.DateField("评估日期")
    place = models.CharField("评估地点", max_length=100, blank=True)
    institution = models.CharField("评估机构", max_length=100, blank=True)
    assessor_1 = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="评估员1", on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    assessor_2 = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="评估员2", on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    informant_name = models.CharField("信息提供者姓名", max_length=50, blank=True)
    informant_relation = models.CharField("与老年人关系", max_length=30, blank=True)
    informant_phone = models.CharField("信息提供者电话", max_length=20, blank=True)

    # Section A facts the level adjustment and the care plan need.
    diagnoses = models.CharField(
        "疾病诊断（ICD-10）", max_length=200, blank=True,
        help_text="ICD-10编码，用逗号分隔，如 F03, I10；F04–F99 须经精神科专科医生诊断",
    )
    diagnosis_notes = models.CharField("诊断说明", max_length=200, blank=True)
    falls_30d = models.PositiveSmallIntegerField("近30天跌倒", choices=RiskCount.choices, default=0)
    choking_30d = models.PositiveSmallIntegerField("近30天噎食", choices=RiskCount.choices, default=0)
    self_harm_30d = models.PositiveSmallIntegerField("近30天自杀/自伤", choices=RiskCount.choices, default=0)
    wandering_30d = models.PositiveSmallIntegerField("近30天走失", choices=RiskCount.choices, default=0)
    coma = models.BooleanField("昏迷", default=False)
    special_care = models.JSONField("特殊护理情况", default=list, blank=True)
    care_notes = models.TextField("其他健康问题", blank=True)

    answers = models.JSONField("评估答案", default=dict, blank=True)  # {item code: score}
    subtotals = models.JSONField("一级指标得分", default=dict, blank=True)  # {indicator code: score}
    total_score = models.PositiveSmallIntegerField("总分", null=True, blank=True)
    preliminary_level = models.PositiveSmallIntegerField("初步等级", choices=AbilityLevel.choices, null=True, blank=True)
    final_level = models.PositiveSmallIntegerField("最终等级", choices=AbilityLevel.choices, null=True, blank=True)
    adjustment_reasons = models.JSONField("等级变更依据", default=list, blank=True)
    note = models.CharField("备注", max_length=200, blank=True)

    status = models.CharField("状态", max_length=10, choices=Status.choices, default=Status.DRAFT)
    source = models.CharField("来源", max_length=10, choices=Source.choices, default=Source.ENTERED, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="录入人", on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    created_at = models.DateTimeField("录入时间", auto_now_add=True)
    updated_at = models.DateTimeField("更新时间", auto_now=True)
    submitted_at = models.DateTimeField("提交时间", null=True, blank=True)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="审核人", on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    approved_at = models.DateTimeField("审核时间", null=True, blank=True)
    next_due_on = models.DateField("下次评估到期日", null=True, blank=True)

    objects = AssessmentQuerySet.as_manager()
    history = HistoricalRecords(verbose_name="能力评估变更记录", excluded_fields=["updated_at"])

    class Meta:
        verbose_name = "能力评估"
        verbose_name_plural = "能力评估"
        permissions = [("approve_assessment", "审核能力评估")]
        indexes = [
            models.Index(fields=["region_code", "status", "assessed_on"], name="assessment_area_status"),
            models.Index(fields=["elder", "status", "assessed_on"], name="assessment_elder_status"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(status__in=Status.values), name="assessment_status_valid"),
            models.CheckConstraint(condition=Q(reason__in=Reason.values), name="assessment_reason_valid"),
            models.CheckConstraint(condition=Q(standard__in=Standard.values), name="assessment_standard_valid"),
            models.CheckConstraint(
                condition=Q(total_score__isnull=True) | Q(total_score__lte=rules.MAX_TOTAL), name="assessment_total_range"
            ),
            models.CheckConstraint(
                condition=Q(final_level__isnull=True) | Q(final_level__lte=4), name="assessment_final_level_range"
            ),
            models.CheckConstraint(
                condition=Q(preliminary_level__isnull=True) | Q(preliminary_level__lte=4),
                name="assessment_preliminary_level_range",
            ),
            # The standard requires two different assessors.
            models.CheckConstraint(
                condition=Q(assessor_1__isnull=True) | Q(assessor_2__isnull=True) | ~Q(assessor_1=F("assessor_2")),
                name="assessment_two_assessors",
            ),
            # An approved result has a reviewer, a time and a level; the reviewer is not an assessor.
            models.CheckConstraint(
                condition=~Q(status=Status.APPROVED)
                | Q(approved_by__isnull=False, approved_at__isnull=False, final_level__isnull=False),
                name="assessment_approved_complete",
            ),
            models.CheckConstraint(
                condition=Q(approved_by__isnull=True)
                | ((Q(assessor_1__isnull=True) | ~Q(approved_by=F("assessor_1")))
                   & (Q(assessor_2__isnull=True) | ~Q(approved_by=F("assessor_2")))),
                name="assessment_reviewer_not_assessor",
            ),
            # MZ/T 039-2013 results are levels only: scores are never converted between the standards.
            models.CheckConstraint(
                condition=Q(standard=Standard.GBT_42195_2022) | Q(total_score__isnull=True),
                name="assessment_old_standard_level_only",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.elder.name} {self.assessed_on:%Y-%m-%d} {self.get_reason_display()}"

    @property
    def is_editable(self) -> bool:
        return self.status == Status.DRAFT

    @property
    def risk_events(self) -> dict[str, int]:
        return {
            "falls": self.falls_30d,
            "choking": self.choking_30d,
            "self_harm": self.self_harm_30d,
            "wandering": self.wandering_30d,
        }

    @property
    def care_facts(self) -> rules.CareFacts:
        codes, _ = rules.parse_icd10(self.diagnoses)
        return rules.CareFacts(coma=self.coma, diagnoses=tuple(codes), risk_events=self.risk_events)

    @property
    def special_care_labels(self) -> list[str]:
        labels = dict(SpecialCare.choices)
        return [str(labels.get(code, code)) for code in self.special_care]


class ReassessmentRequest(models.Model):
    """A request for an immediate reassessment (即时评估), e.g. after a stroke; open until the next
    assessment of the elder is approved. Puts the elder on the due list at once."""

    elder = models.ForeignKey("registry.Elder", verbose_name="老年人", on_delete=models.PROTECT, related_name="+")
    region_code = RegionCodeField("区划代码", editable=False)
    reason = models.CharField("申请原因", max_length=200)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="申请人", on_delete=models.PROTECT, related_name="+", null=True
    )
    requested_at = models.DateTimeField("申请时间", auto_now_add=True)
    fulfilled_by = models.ForeignKey(
        Assessment, verbose_name="完成的评估", on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = "即时评估申请"
        verbose_name_plural = "即时评估申请"
        constraints = [
            models.UniqueConstraint(
                fields=["elder"], condition=Q(fulfilled_by__isnull=True), name="reassessment_one_open_per_elder"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.elder.name} 即时评估申请"

    def save(self, *args, **kwargs):
        self.region_code = self.elder.region_code
        super().save(*args, **kwargs)
