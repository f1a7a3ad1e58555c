"""Visits and care (探访关爱) for elders in special difficulty (docs/domain.md §7, issue 7).

VisitRule (the plan, as data) → Visit (one due visit; laid out nightly) → VisitRecord (what the
visitor found) → FollowUp (a referral the township must close). Every row stores the elder's
12-character region_code so the one scoping rule applies (core/scoping.py).
"""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q

from core.fields import RegionCodeField
from core.scoping import ScopedQuerySet
from regions.models import Region

from . import rules


class Frequency(models.TextChoices):
    WEEK = rules.WEEK, "每周"
    MONTH = rules.MONTH, "每月"
    QUARTER = rules.QUARTER, "每季度"


class RiskTier(models.TextChoices):
    # 北方新报 2022 tiers (docs/domain.md §7): 高风险 weekly, 重点 monthly, 一般 quarterly
    HIGH = "high", "高风险"
    KEY = "key", "重点"
    GENERAL = "general", "一般"


class Mode(models.TextChoices):
    HOME = "home", "上门"
    PHONE = "phone", "电话"
    VIDEO = "video", "视频"


class VisitRule(models.Model):
    """Who gets visited how often in one jurisdiction (province, city or county), as data.

    ``criteria`` uses the benefit-rule vocabulary (eligibility/policy/vocabulary.py) and compiles to
    a Q over Elder with the same compiler. When several rules match one elder, the most local
    jurisdiction wins and inside it the most frequent rule (services.schedule_county)."""

    code = models.CharField("规则代码", max_length=40)
    name = models.CharField("名称", max_length=100)
    jurisdiction = models.ForeignKey(Region, verbose_name="制定区域", on_delete=models.PROTECT, related_name="+")
    region_code = RegionCodeField("区域代码", editable=False)
    criteria = models.JSONField("条件", default=dict, blank=True, help_text="与补贴规则相同的条件词汇，例如 {\"living_arrangement\": [\"alone\"]}")
    frequency = models.CharField("频次周期", max_length=8, choices=Frequency.choices, default=Frequency.MONTH)
    times = models.PositiveSmallIntegerField("每周期次数", default=1)
    risk_tier = models.CharField("风险等级", max_length=8, choices=RiskTier.choices, default=RiskTier.KEY)
    modes = models.JSONField("允许方式", default=list, help_text="home / phone / video 的列表")
    in_person_monthly = models.BooleanField("每月至少一次上门", default=False)
    effective_from = models.DateField("生效日期")
    effective_to = models.DateField("失效日期", null=True, blank=True)
    source = models.CharField("依据", max_length=200, blank=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = "探访规则"
        verbose_name_plural = "探访规则"
        constraints = [
            models.UniqueConstraint(fields=["jurisdiction", "code"], name="visitrule_code_in_jurisdiction"),
            models.CheckConstraint(condition=Q(times__gte=1), name="visitrule_times_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.name}（{self.get_frequency_display()}{self.times}次）"

    def clean(self) -> None:
        from eligibility.public import CriteriaError, validate_criteria as validate

        try:
            self.criteria = validate(self.criteria)
        except CriteriaError as exc:
            raise ValidationError({"criteria": str(exc)}) from exc
        modes = self.modes if isinstance(self.modes, list) else []
        bad = [m for m in modes if m not in Mode.values]
        if not modes or bad:
            raise ValidationError({"modes": f"允许方式应为 {'、'.join(Mode.values)} 中的一项或多项"})
        if self.in_person_monthly and Mode.HOME not in modes:
            raise ValidationError({"in_person_monthly": "要求每月上门的规则必须允许“上门”方式"})
        if self.effective_to and self.effective_to < self.effective_from:
            raise ValidationError({"effective_to": "失效日期早于生效日期"})

    def save(self, *args, **kwargs):
        self.region_code = self.jurisdiction.code
        super().save(*args, **kwargs)


class VisitorKind(models.TextChoices):
    VILLAGE_WORKER = "village_worker", "村(社区)协管员"
    GRID_WORKER = "grid_worker", "网格员"
    SOCIAL_WORKER = "social_worker", "社工"
    VOLUNTEER = "volunteer", "志愿者"


class VisitorAssignment(models.Model):
    """The one responsible visitor (结对探访人) of an elder."""

    elder = models.OneToOneField("registry.Elder", verbose_name="老年人", on_delete=models.CASCADE, related_name="visitor_assignment")
    visitor = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="探访人", on_delete=models.PROTECT, related_name="+")
    kind = models.CharField("探访人类别", max_length=16, choices=VisitorKind.choices, default=VisitorKind.VILLAGE_WORKER)
    region_code = RegionCodeField("区划代码", editable=False)
    assigned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="分配人", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    assigned_at = models.DateTimeField("分配时间", auto_now=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = "探访人分配"
        verbose_name_plural = "探访人分配"
        indexes = [models.Index(fields=["visitor", "region_code"], name="visitorassignment_visitor")]

    def __str__(self) -> str:
        return f"{self.elder.name} → {self.visitor}"


class Visit(models.Model):
    """One due visit of one elder under one rule. (elder, rule, due_on) is unique, so laying out
    the schedule twice inserts nothing the second time."""

    class Status(models.TextChoices):
        PENDING = "pending", "待探访"
        DONE = "done", "已完成"
        OVERDUE = "overdue", "逾期"
        CANCELLED = "cancelled", "已取消"

    OPEN_STATUSES = (Status.PENDING, Status.OVERDUE)

    elder = models.ForeignKey("registry.Elder", verbose_name="老年人", on_delete=models.CASCADE, related_name="visits")
    rule = models.ForeignKey(VisitRule, verbose_name="探访规则", on_delete=models.PROTECT, related_name="visits")
    visitor = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="探访人", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    region_code = RegionCodeField("区划代码")
    starts_on = models.DateField("可探访起始日")
    due_on = models.DateField("应探访日期")
    status = models.CharField("状态", max_length=10, choices=Status.choices, default=Status.PENDING)
    cancelled_reason = models.CharField("取消原因", max_length=200, blank=True)
    created_at = models.DateTimeField("生成时间", auto_now_add=True)
    updated_at = models.DateTimeField("更新时间", auto_now=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = "探访任务"
        verbose_name_plural = "探访任务"
        permissions = [("view_visit_report", "查看探访统计报表")]
        constraints = [
            models.UniqueConstraint(fields=["elder", "rule", "due_on"], name="visit_once_per_elder_rule_due"),
            models.CheckConstraint(condition=Q(starts_on__lte=models.F("due_on")), name="visit_window_ordered"),
        ]
        indexes = [
            models.Index(fields=["region_code", "due_on"], name="visit_area_due"),
            models.Index(fields=["visitor", "status", "due_on"], name="visit_visitor_status_due"),
            models.Index(fields=["status", "due_on"], name="visit_status_due"),
        ]

    def __str__(self) -> str:
        return f"{self.elder.name} {self.due_on:%Y-%m-%d} {self.get_status_display()}"

    @property
    def is_open(self) -> bool:
        return self.status in self.OPEN_STATUSES


class RiskLevel(models.TextChoices):
    LOW = "low", "低"
    MEDIUM = "medium", "中"
    HIGH = "high", "高"


class VisitRecord(models.Model):
    """What the visitor found. One per visit; the client's idempotency key is unique, so a double
    submit (or a retry over a flaky phone network) stores one record."""

    visit = models.OneToOneField(Visit, verbose_name="探访任务", on_delete=models.PROTECT, related_name="record")
    elder = models.ForeignKey("registry.Elder", verbose_name="老年人", on_delete=models.CASCADE, related_name="visit_records")
    region_code = RegionCodeField("区划代码")
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="登记人", on_delete=models.PROTECT, related_name="+")
    visited_at = models.DateTimeField("探访时间")
    mode = models.CharField("探访方式", max_length=8, choices=Mode.choices)
    people_present = models.JSONField("在场人员", default=list, blank=True)
    checklists = models.JSONField("探访内容", default=dict, blank=True)
    notes = models.TextField("情况记录", blank=True)
    risk_level = models.CharField("风险等级", max_length=8, choices=RiskLevel.choices, default=RiskLevel.LOW)
    flags = models.JSONField("提示", default=list, blank=True)
    idempotency_key = models.UUIDField("提交标识", unique=True)
    created_at = models.DateTimeField("登记时间", auto_now_add=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = "探访记录"
        verbose_name_plural = "探访记录"
        indexes = [
            models.Index(fields=["region_code", "visited_at"], name="visitrecord_area_time"),
            models.Index(fields=["elder", "visited_at"], name="visitrecord_elder_time"),
        ]

    def __str__(self) -> str:
        return f"{self.elder.name} {self.visited_at:%Y-%m-%d} {self.get_mode_display()}"


class FollowUp(models.Model):
    """A referral from a visit: a task for the township that stays open until someone closes it."""

    class Kind(models.TextChoices):
        ASSESSMENT = "assessment", "申请能力评估"
        ELIGIBILITY = "eligibility", "核查救助/补贴资格"
        HOME_ADAPTATION = "home_adaptation", "适老化改造"
        URGENT_HELP = "urgent_help", "紧急救助"

    class Status(models.TextChoices):
        OPEN = "open", "待处理"
        CLOSED = "closed", "已办结"

    record = models.ForeignKey(VisitRecord, verbose_name="探访记录", on_delete=models.PROTECT, related_name="follow_ups")
    elder = models.ForeignKey("registry.Elder", verbose_name="老年人", on_delete=models.CASCADE, related_name="visit_follow_ups")
    region_code = RegionCodeField("区划代码")
    kind = models.CharField("转介事项", max_length=20, choices=Kind.choices)
    note = models.CharField("说明", max_length=300, blank=True)
    status = models.CharField("状态", max_length=8, choices=Status.choices, default=Status.OPEN)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="提出人", on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField("提出时间", auto_now_add=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="办结人", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    closed_at = models.DateTimeField("办结时间", null=True, blank=True)
    closing_note = models.CharField("办结说明", max_length=300, blank=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = "探访转介"
        verbose_name_plural = "探访转介"
        constraints = [
            models.UniqueConstraint(fields=["record", "kind"], name="followup_once_per_record_kind"),
            models.CheckConstraint(
                condition=Q(status="open", closed_at__isnull=True) | Q(status="closed", closed_at__isnull=False),
                name="followup_closed_has_time",
            ),
        ]
        indexes = [models.Index(fields=["status", "region_code", "created_at"], name="followup_open_area")]

    def __str__(self) -> str:
        return f"{self.elder.name}：{self.get_kind_display()}（{self.get_status_display()}）"
