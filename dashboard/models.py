"""Dashboard data: indicator targets (policy data), workforce counts entered by the county, and the
nightly monthly figures per village (the indicator trends). Dashboard owns no registry data.
"""

from __future__ import annotations

from django.conf import settings
from django.core.validators import RegexValidator
from django.db import models

from core.fields import RegionCodeField
from core.scoping import ScopedQuerySet
from regions.models import Region


class Indicator(models.TextChoices):
    """The seeds' measurable targets (see docs/dashboard.md for the clause of each)."""

    ASSESSMENT_80 = "assessment_80", "80周岁及以上老年人能力评估覆盖率"
    VISIT_RATE = "visit_rate", "特殊困难老年人月探访率"
    NURSING_BEDS = "nursing_beds", "养老机构护理型床位占比"
    TEKUN_FACILITIES = "tekun_facilities", "特困人员供养服务机构数（每县）"
    GRADED_TOWNSHIP = "graded_township", "乡镇级公办养老机构评定一级以上占比"
    CARERS_PER_10K = "carers_per_10k", "每万名老年人持证养老护理员数"
    SOCIAL_WORKERS_PER_1K = "social_workers_per_1k", "每千名老年人社会工作者数"


# Display unit of each indicator's value and target.
INDICATOR_UNITS = {
    Indicator.ASSESSMENT_80: "%",
    Indicator.VISIT_RATE: "%",
    Indicator.NURSING_BEDS: "%",
    Indicator.TEKUN_FACILITIES: "所",
    Indicator.GRADED_TOWNSHIP: "%",
    Indicator.CARERS_PER_10K: "人/万名老年人",
    Indicator.SOCIAL_WORKERS_PER_1K: "人/千名老年人",
}


class IndicatorTarget(models.Model):
    """A target of one indicator set by one jurisdiction (empty = national). The most local
    jurisdiction containing the area wins, as with benefit rules."""

    indicator = models.CharField("指标", max_length=30, choices=Indicator.choices)
    jurisdiction_prefix = models.CharField(
        "区划代码前缀", max_length=12, blank=True, validators=[RegexValidator(r"^(\d{2}|\d{4}|\d{6}|\d{9})?$")],
        help_text="省2位、市4位、县6位、乡镇9位；空表示全国。区域内所有统计以最具体的一级目标为准",
    )
    jurisdiction_name = models.CharField("制定区域", max_length=60, default="全国")
    target = models.DecimalField("目标值", max_digits=8, decimal_places=2, help_text="不低于该值即达标")
    deadline = models.DateField("目标年限", null=True, blank=True, help_text="如 2025-12-31（“到2025年”）")
    source = models.CharField("政策依据", max_length=200, blank=True)
    note = models.CharField("备注", max_length=200, blank=True)

    class Meta:
        verbose_name = "指标目标值"
        verbose_name_plural = "指标目标值"
        ordering = ["indicator", "jurisdiction_prefix"]
        permissions = [("view_statistics", "查看统计报表"), ("view_health", "查看系统运行状况")]
        constraints = [
            models.UniqueConstraint(fields=["indicator", "jurisdiction_prefix"], name="indicatortarget_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.get_indicator_display()}（{self.jurisdiction_name}）≥ {self.target}"


class WorkforceCount(models.Model):
    """Headcounts the registry does not hold (certified carers, social workers), entered by the
    county administrator in the admin for a county, township or village at a date."""

    class Kind(models.TextChoices):
        CARERS = "carers", "持证养老护理员"
        SOCIAL_WORKERS = "social_workers", "社会工作者"

    kind = models.CharField("人员类别", max_length=20, choices=Kind.choices)
    region = models.ForeignKey(Region, verbose_name="区域", on_delete=models.PROTECT, related_name="+")
    region_code = RegionCodeField("区划代码", editable=False)
    as_of = models.DateField("统计日期")
    count = models.PositiveIntegerField("人数")
    source = models.CharField("数据来源", max_length=200, blank=True, help_text="如“县人社局职业技能等级证书台账”")
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="录入人", null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )
    entered_at = models.DateTimeField("录入时间", auto_now=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = "人员数（县级录入）"
        verbose_name_plural = "人员数（县级录入）"
        ordering = ["kind", "region_code", "-as_of"]
        constraints = [
            models.UniqueConstraint(fields=["kind", "region", "as_of"], name="workforcecount_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.region} {self.as_of:%Y-%m-%d}：{self.count}人"

    def save(self, *args, **kwargs):
        self.region_code = self.region.code
        super().save(*args, **kwargs)


class MonthlyFigure(models.Model):
    """One additive count of one village (or facility township) for one month, written by the
    nightly snapshot. Ratios are summed numerators over summed denominators, so any prefix of
    region_code adds up to a township, county or city."""

    period = models.DateField("所属月份", help_text="当月1日")
    region_code = RegionCodeField("区划代码")
    metric = models.CharField("指标项", max_length=40)
    value = models.DecimalField("数值", max_digits=16, decimal_places=2)
    computed_at = models.DateTimeField("计算时间", auto_now=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = "月度统计数"
        verbose_name_plural = "月度统计数"
        constraints = [
            models.UniqueConstraint(fields=["period", "region_code", "metric"], name="monthlyfigure_unique"),
        ]
        indexes = [
            models.Index(fields=["metric", "region_code", "period"], include=["value"], name="monthlyfigure_area"),
            models.Index(fields=["metric", "period"], name="monthlyfigure_latest"),
        ]

    def __str__(self) -> str:
        return f"{self.period:%Y-%m} {self.region_code} {self.metric}={self.value}"
