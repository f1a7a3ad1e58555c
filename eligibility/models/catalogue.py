"""The policy catalogue (服务清单) as data: benefits, their rules and the parameters rules refer to.

A county publishes its list and changes it by decree (动态调整), so criteria and amounts live here,
edited in the admin, never in code (docs/architecture.md "Rules as data"). Criteria use the fixed
vocabulary documented in ``eligibility/policy/vocabulary.py`` and compile to one ``Q``
(``eligibility/policy/compiler.py``).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q

from regions.models import Region

JURISDICTION_LEVELS = (Region.Level.PROVINCE, Region.Level.CITY, Region.Level.COUNTY)


class Benefit(models.Model):
    """One service item of a list (高龄津贴, 养老服务补贴, 能力评估 …), shared by every jurisdiction."""

    class ServiceType(models.TextChoices):
        MATERIAL = "material", "物质帮助"
        CARE = "care", "照护服务"
        CARING = "caring", "关爱服务"
        MEDICAL = "medical", "医疗服务"
        SUPPORT = "support", "政策扶持"

    class PaymentKind(models.TextChoices):
        MONTHLY = "monthly", "按月发放"
        ONE_OFF = "one_off", "一次性发放"
        SERVICE = "service", "服务（非现金）"

    class EnrolmentMode(models.TextChoices):
        AUTOMATIC = "automatic", "免申即享（自动享受）"
        VERIFIED = "verified", "经办审核后享受"

    code = models.SlugField("项目代码", max_length=40, unique=True)
    name = models.CharField("项目名称", max_length=60)
    service_type = models.CharField("服务类型", max_length=10, choices=ServiceType.choices)
    lead_department = models.CharField("牵头部门", max_length=60, blank=True)
    payment_kind = models.CharField("发放方式", max_length=10, choices=PaymentKind.choices)
    enrolment_mode = models.CharField("享受方式", max_length=10, choices=EnrolmentMode.choices)
    description = models.TextField("说明", blank=True)
    is_active = models.BooleanField("启用", default=True)

    class Meta:
        verbose_name = "服务项目"
        verbose_name_plural = "服务项目"
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name

    @property
    def is_automatic(self) -> bool:
        return self.enrolment_mode == self.EnrolmentMode.AUTOMATIC


class PolicyParameter(models.Model):
    """A value a rule refers to (the local 低保 standard, a county's age-allowance amount …)."""

    key = models.SlugField("参数代码", max_length=60)
    name = models.CharField("参数名称", max_length=60)
    jurisdiction = models.ForeignKey(
        Region, verbose_name="适用区划", on_delete=models.PROTECT, related_name="+",
        limit_choices_to={"level__in": JURISDICTION_LEVELS},
    )
    value = models.DecimalField("数值", max_digits=12, decimal_places=2)
    effective_from = models.DateField("生效日期")
    effective_to = models.DateField("失效日期", null=True, blank=True, help_text="最后一个有效日；空表示长期有效")
    note = models.CharField("备注", max_length=200, blank=True, help_text="演示数据中的取值注明“示例值”")

    class Meta:
        verbose_name = "政策参数"
        verbose_name_plural = "政策参数"
        ordering = ["key", "jurisdiction__code", "effective_from"]
        constraints = [
            models.UniqueConstraint(fields=["key", "jurisdiction", "effective_from"], name="policyparameter_unique"),
            models.CheckConstraint(
                condition=Q(effective_to__isnull=True) | Q(effective_to__gte=models.F("effective_from")),
                name="policyparameter_window_order",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name}（{self.jurisdiction.name}，{self.value}）"

    def clean(self) -> None:
        if self.effective_to and self.effective_from and self.effective_to < self.effective_from:
            raise ValidationError({"effective_to": "失效日期不能早于生效日期"})
        if self.jurisdiction_id and self.effective_from:
            clash = (
                PolicyParameter.objects.filter(key=self.key, jurisdiction_id=self.jurisdiction_id)
                .exclude(pk=self.pk)
                .filter(Q(effective_to__isnull=True) | Q(effective_to__gte=self.effective_from))
            )
            if self.effective_to:
                clash = clash.filter(effective_from__lte=self.effective_to)
            other = clash.first()
            if other is not None:
                raise ValidationError(f"参数“{self}”的有效期与“{other}”（自{other.effective_from}起）重叠")


class BenefitRule(models.Model):
    """For one benefit, one jurisdiction and one validity window: who (criteria) and how much."""

    class Start(models.TextChoices):
        NEXT_MONTH = "next_month", "年满次月起（生日为1日的当月起）"
        SAME_MONTH = "same_month", "年满当月起"

    class AmountKind(models.TextChoices):
        FIXED = "fixed", "每月固定金额"
        PERCENT = "percent", "参数的百分比（每月）"
        MULTIPLE = "multiple", "参数的倍数（每月）"
        ONE_OFF = "one_off", "一次性金额"
        NONE = "none", "无金额（服务）"

    benefit = models.ForeignKey(Benefit, verbose_name="服务项目", on_delete=models.PROTECT, related_name="rules")
    jurisdiction = models.ForeignKey(
        Region, verbose_name="制定区划", on_delete=models.PROTECT, related_name="+",
        limit_choices_to={"level__in": JURISDICTION_LEVELS},
    )
    label = models.CharField("档次名称", max_length=60, blank=True, help_text="如“80–89周岁档”“全护理”")
    effective_from = models.DateField("生效日期")
    effective_to = models.DateField("失效日期", null=True, blank=True, help_text="最后一个有效日；空表示长期有效")
    criteria = models.JSONField("条件", default=dict, blank=True, help_text="条件词汇见 eligibility/policy/vocabulary.py")
    start = models.CharField("起始规则", max_length=12, choices=Start.choices, default=Start.NEXT_MONTH)
    amount_kind = models.CharField("金额方式", max_length=10, choices=AmountKind.choices, default=AmountKind.FIXED)
    amount = models.DecimalField(
        "金额/比例/倍数", max_digits=12, decimal_places=2, default=Decimal("0"),
        help_text="固定金额（元）；百分比填30表示30%；倍数填1.3",
    )
    parameter_key = models.SlugField("参数代码", max_length=60, blank=True)
    source = models.CharField("政策依据", max_length=200, blank=True, help_text="如“杨陵区基本养老服务清单 第4项”")

    class Meta:
        verbose_name = "享受规则"
        verbose_name_plural = "享受规则"
        ordering = ["benefit__code", "jurisdiction__code", "effective_from", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(effective_to__isnull=True) | Q(effective_to__gte=models.F("effective_from")),
                name="benefitrule_window_order",
            ),
            models.CheckConstraint(condition=Q(amount__gte=0), name="benefitrule_amount_not_negative"),
        ]

    def __str__(self) -> str:
        where = self.jurisdiction.name if self.jurisdiction_id else "?"
        name = self.benefit.name if self.benefit_id else "?"
        return f"{where}·{name}{('·' + self.label) if self.label else ''}（自{self.effective_from}起）"

    def clean(self) -> None:
        from ..policy.validation import validate_rule

        validate_rule(self)

    def in_force_on(self, day: dt.date) -> bool:
        return self.effective_from <= day and (self.effective_to is None or self.effective_to >= day)
