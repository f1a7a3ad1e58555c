"""Enrolments (享受记录): who receives which benefit, from which rule, why; and the nightly sweep runs."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from core.fields import RegionCodeField
from core.scoping import ScopedQuerySet

from .catalogue import Benefit, BenefitRule


class SweepRun(models.Model):
    """One run of the re-eligibility sweep (服务找人) for one county and one as-of date."""

    class Status(models.TextChoices):
        RUNNING = "running", "运行中"
        DONE = "done", "已完成"
        FAILED = "failed", "失败"

    as_of = models.DateField("运行日期")
    period = models.DateField("所属期", help_text="被测算的月份（当月1日）")
    county_code = RegionCodeField("县(区)代码")
    status = models.CharField("状态", max_length=10, choices=Status.choices, default=Status.RUNNING)
    started_at = models.DateTimeField("开始时间", auto_now_add=True)
    finished_at = models.DateTimeField("结束时间", null=True, blank=True)
    counts = models.JSONField("统计", default=dict, blank=True)
    errors = models.JSONField("问题", default=list, blank=True)
    catalogue_digest = models.CharField(
        "政策版本指纹", max_length=64, blank=True, default="",
        help_text="本次适用的全部规则、金额与条件的指纹；与上次相同且同一所属期时只需测算有变化的老年人",
    )
    evaluated = models.PositiveIntegerField("测算人数", null=True, blank=True)
    task_id = models.CharField(
        "后台任务编号", max_length=64, blank=True, default="", db_index=True,
        help_text="执行本次运行的后台任务；同一任务被重新投递时据此识别中断的上一次运行",
    )

    class Meta:
        verbose_name = "服务找人运行记录"
        verbose_name_plural = "服务找人运行记录"
        ordering = ["-started_at", "-id"]
        permissions = [("rerun_sweeprun", "重新运行失败的服务找人")]
        indexes = [
            models.Index(fields=["county_code", "as_of"], name="sweeprun_county_asof"),
            models.Index(fields=["county_code", "period", "started_at"], name="sweeprun_county_period"),
        ]

    def __str__(self) -> str:
        return f"{self.county_code} {self.as_of}（{self.get_status_display()}）"

    @property
    def interrupted(self) -> bool:
        return any(e.get("kind") == "interrupted" for e in (self.errors or []) if isinstance(e, dict))

    @property
    def failure_message(self) -> str:
        """The last recorded failure of a failed run (「」 for a run that did not fail)."""
        if self.status != self.Status.FAILED:
            return ""
        kinds = ("interrupted", "failed", "busy")
        messages = [e.get("message", "") for e in (self.errors or []) if isinstance(e, dict) and e.get("kind") in kinds]
        return messages[-1] if messages else ""

    @property
    def mode_label(self) -> str:
        return {"full": "全量测算", "incremental": "增量测算"}.get((self.counts or {}).get("mode", ""), "")

    @property
    def total_changes(self) -> int:
        return sum((self.counts or {}).get("totals", {}).values())


class EnrolmentQuerySet(ScopedQuerySet):
    def open(self) -> EnrolmentQuerySet:
        return self.filter(status__in=Enrolment.OPEN_STATUSES)


class Enrolment(models.Model):
    """An elder's enrolment in one benefit. At most one open enrolment per elder and benefit."""

    class Status(models.TextChoices):
        CANDIDATE = "candidate", "待审核"
        ACTIVE = "active", "享受中"
        SUSPENDED = "suspended", "暂停"
        ENDED = "ended", "已终止"
        REJECTED = "rejected", "不予享受"

    class Source(models.TextChoices):
        SWEEP = "sweep", "服务找人"
        MANUAL = "manual", "经办录入"
        APPLICATION = "application", "本人申请"

    OPEN_STATUSES = (Status.CANDIDATE, Status.ACTIVE, Status.SUSPENDED)

    # elder_id and benefit_id lead the composite indexes below, so their single-column indexes would
    # only slow the sweep's bulk inserts (bench/README.md "sweep"); the same for the run references.
    # benefit and rule carry no database-level foreign key: every inserted row's check locks one of a
    # dozen catalogue rows (FOR KEY SHARE), and two counties swept at once then queue on multixacts
    # for those same rows (≈ 15 % of the first night; bench/README.md "sweep"). Catalogue rows are
    # edited in the admin only, where PROTECT refuses deleting a referenced benefit or rule, and a
    # rule is retired with effective_to, never deleted. The elder keeps its database foreign key.
    elder = models.ForeignKey(
        "registry.Elder", verbose_name="老年人", on_delete=models.PROTECT, related_name="enrolments", db_index=False
    )
    benefit = models.ForeignKey(
        Benefit, verbose_name="项目", on_delete=models.PROTECT, related_name="enrolments", db_index=False,
        db_constraint=False,
    )
    rule = models.ForeignKey(
        BenefitRule, verbose_name="适用规则", on_delete=models.PROTECT, related_name="enrolments", null=True, blank=True,
        db_constraint=False,
    )
    region_code = RegionCodeField("区划代码")
    status = models.CharField("状态", max_length=10, choices=Status.choices)
    start_period = models.DateField("起始所属期", null=True, blank=True)
    end_period = models.DateField("终止所属期", null=True, blank=True)
    amount = models.DecimalField("金额（元）", max_digits=12, decimal_places=2, default=0)
    source = models.CharField("来源", max_length=12, choices=Source.choices, default=Source.SWEEP)
    reason = models.TextField("依据")
    review_reason = models.CharField(
        "待复核原因", max_length=200, blank=True, help_text="服务找人发现不再符合条件时写入，由经办人决定是否停发"
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="决定人", null=True, blank=True, on_delete=models.PROTECT,
        related_name="+", db_index=False,
    )
    decided_at = models.DateTimeField("决定时间", null=True, blank=True)
    decision_note = models.CharField("决定说明", max_length=200, blank=True)
    # Elder.updated_at when the candidate was rejected: the sweep proposes it again only after a change.
    elder_version = models.DateTimeField("驳回时老年人信息版本", null=True, blank=True)
    # Run references are a log, never deleted in practice: no per-row foreign-key trigger on the
    # sweep's million-row inserts (db_constraint=False), and changed_run is indexed once, below.
    created_run = models.ForeignKey(
        SweepRun, verbose_name="产生于", null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
        db_index=False, db_constraint=False,
    )
    changed_run = models.ForeignKey(
        SweepRun, verbose_name="最近变更于", null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
        db_index=False, db_constraint=False,
    )
    change_kind = models.CharField("最近变更", max_length=20, blank=True)
    created_at = models.DateTimeField("创建时间", auto_now_add=True)
    updated_at = models.DateTimeField("更新时间", auto_now=True)

    objects = EnrolmentQuerySet.as_manager()

    class Meta:
        verbose_name = "享受记录"
        verbose_name_plural = "享受记录"
        permissions = [("decide_enrolment", "审核服务找人待办（批准/驳回/停发）")]
        constraints = [
            models.UniqueConstraint(
                fields=["elder", "benefit"],
                condition=Q(status__in=["candidate", "active", "suspended"]),
                name="enrolment_one_open_per_elder_benefit",
            ),
            models.CheckConstraint(
                condition=Q(end_period__isnull=True) | Q(start_period__isnull=True) | Q(end_period__gte=models.F("start_period"))
                | Q(status="ended"),
                name="enrolment_period_order",
            ),
        ]
        indexes = [
            models.Index(fields=["region_code", "status", "benefit"], name="enrolment_area_status"),
            # the worklist's "stop proposals" (review items) are few; the nav badge counts them per area
            models.Index(
                fields=["region_code"], name="enrolment_review_area",
                condition=Q(status__in=["active", "suspended"]) & ~Q(review_reason=""),
            ),
            models.Index(fields=["benefit", "status"], name="enrolment_benefit_status"),
            models.Index(fields=["elder", "benefit"], name="enrolment_elder_benefit"),
            models.Index(fields=["changed_run"], name="enrolment_changed_run"),
        ]

    def __str__(self) -> str:
        return f"{self.benefit} · {self.get_status_display()}"

    @property
    def is_open(self) -> bool:
        return self.status in self.OPEN_STATUSES


class EnrolmentEvent(models.Model):
    """The history of an enrolment: every sweep change and every staff decision, in order."""

    class Kind(models.TextChoices):
        CREATED = "created", "服务找人发现"
        ACTIVATED = "activated", "自动享受"
        APPROVED = "approved", "审核批准"
        REJECTED = "rejected", "审核驳回"
        TIER = "tier", "档次变更"
        REVIEW = "review", "提示复核"
        REVIEW_CLEARED = "review_cleared", "复核解除"
        ENDED = "ended", "终止"
        STOPPED = "stopped", "经办停发"

    enrolment = models.ForeignKey(Enrolment, verbose_name="享受记录", on_delete=models.CASCADE, related_name="events")
    at = models.DateTimeField("时间")
    kind = models.CharField("事件", max_length=20, choices=Kind.choices)
    status = models.CharField("状态", max_length=10, choices=Enrolment.Status.choices)
    amount = models.DecimalField("金额（元）", max_digits=12, decimal_places=2, default=0)
    note = models.TextField("说明", blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="操作人", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    run = models.ForeignKey(
        SweepRun, verbose_name="运行记录", null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
        db_constraint=False,
    )

    class Meta:
        verbose_name = "享受记录变更"
        verbose_name_plural = "享受记录变更"
        ordering = ["enrolment", "at", "id"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.at:%Y-%m-%d}"
