"""The public-institution waitlist (公办养老机构轮候) and its priority rules, kept as data."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q

from core.fields import RegionCodeField
from core.scoping import ScopedQuerySet
from registry.public import EconomicStatus

from .. import rules
from ..choices import PriorityCondition, WaitlistStatus
from .facility import Facility


class PriorityRule(models.Model):
    """One priority tier: economic statuses AND any one condition (both optional) [AND 申请集中供养].

    The default rows (migration 0002) follow the seeds: 特困人员 wishing centralised care first, then
    economically difficult elders who are disabled, empty-nest/alone, left-behind, very old or from a
    special family. The order is computed by rules.order_waitlist.

    Rules are per area: a row without a jurisdiction is a default (read-only except for superusers);
    a county (or city, province) row with the same tier replaces the default tier for facilities in
    its area, and an inactive one switches that tier off there (selectors.effective_priority_rules).
    A county administrator edits only their own county's rows.
    """

    jurisdiction = models.ForeignKey(
        "regions.Region", verbose_name="适用辖区", null=True, blank=True, on_delete=models.PROTECT, related_name="+",
        help_text="留空为全省默认规则（仅系统管理员可改）；县级管理员只能为本县制定规则",
    )
    region_code = models.CharField("适用辖区代码", max_length=12, blank=True, default="", editable=False, db_index=True)
    tier = models.PositiveSmallIntegerField("优先档次", help_text="数字越小越优先；与默认规则同档次时替换该档")
    name = models.CharField("名称", max_length=60)
    economic_statuses = models.JSONField(
        "经济状况（任一）", default=list, blank=True, help_text="留空表示不限；可选：" + "、".join(
            f"{v}={label}" for v, label in EconomicStatus.choices
        ),
    )
    conditions = models.JSONField(
        "条件（任一）", default=list, blank=True, help_text="留空表示不限；可选：" + "、".join(
            f"{v}={label}" for v, label in PriorityCondition.choices
        ),
    )
    min_age = models.PositiveSmallIntegerField("高龄年龄线", default=80)
    requires_centralised = models.BooleanField("须申请集中供养", default=False)
    active = models.BooleanField("启用", default=True)
    source = models.CharField("依据", max_length=200, blank=True)

    class Meta:
        verbose_name = "轮候优先规则"
        verbose_name_plural = "轮候优先规则"
        ordering = ["region_code", "tier"]
        constraints = [
            models.CheckConstraint(condition=Q(tier__lt=rules.OTHER_TIER), name="priorityrule_tier_below_other"),
            models.UniqueConstraint(fields=["region_code", "tier"], name="priorityrule_one_tier_per_area"),
        ]

    objects = ScopedQuerySet.as_manager()

    def __str__(self) -> str:
        return f"第{self.tier}档 {self.name}"

    def save(self, *args, **kwargs):
        self.region_code = self.jurisdiction.code if self.jurisdiction_id else ""
        super().save(*args, **kwargs)

    def clean(self):
        errors = {}
        if not isinstance(self.economic_statuses, list) or not set(self.economic_statuses) <= set(EconomicStatus.values):
            errors["economic_statuses"] = "经济状况应为列表，取值见说明"
        if not isinstance(self.conditions, list) or not set(self.conditions) <= set(PriorityCondition.values):
            errors["conditions"] = "条件应为列表，取值见说明"
        if errors:
            raise ValidationError(errors)

    def as_rule(self) -> rules.Rule:
        return rules.Rule(
            tier=self.tier, name=self.name, economic_statuses=tuple(self.economic_statuses),
            conditions=tuple(self.conditions), min_age=self.min_age, requires_centralised=self.requires_centralised,
        )


class WaitlistApplication(models.Model):
    """An elder's application to a public institution. Scoped by the facility's division."""

    facility = models.ForeignKey(
        Facility, verbose_name="申请机构", on_delete=models.PROTECT, related_name="waitlist_applications"
    )
    elder = models.ForeignKey("registry.Elder", verbose_name="老年人", on_delete=models.PROTECT, related_name="+")
    region_code = RegionCodeField("区划代码", editable=False)
    applied_on = models.DateField("申请日期")
    wants_centralised = models.BooleanField("申请集中供养", default=True)
    status = models.CharField("状态", max_length=10, choices=WaitlistStatus.choices, default=WaitlistStatus.WAITING)
    closed_on = models.DateField("结束日期", null=True, blank=True)
    note = models.CharField("备注", max_length=200, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="登记人", null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField("登记时间", auto_now_add=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = "轮候申请"
        verbose_name_plural = "轮候申请"
        ordering = ["applied_on", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["facility", "elder"], condition=Q(status="waiting"), name="waitlist_one_waiting_per_facility",
                violation_error_message="该老年人已在本机构轮候中",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.elder.name} → {self.facility.name}"

    def save(self, *args, **kwargs):
        self.region_code = self.facility.region_code
        super().save(*args, **kwargs)

    def clean(self):
        if self.facility_id and not self.facility.is_public:
            raise ValidationError({"facility": "轮候只适用于公办（含公建民营）养老机构"})
