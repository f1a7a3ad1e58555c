"""The facility registry (养老机构、日间照料中心…) and its rating history."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q

from core.fields import RegionCodeField
from core.scoping import ScopedQuerySet
from regions.models import Region

from .. import rules
from ..choices import (
    GRADED_KINDS,
    PUBLIC_OWNERSHIPS,
    FacilityKind,
    MedicalIntegration,
    Ownership,
    RatingScheme,
    ResidentType,
)

FEE_PAIRS = (("bed_fee_min", "bed_fee_max", "床位费"), ("care_fee_min", "care_fee_max", "护理费"),
             ("meal_fee_min", "meal_fee_max", "膳食费"))


def _fee(label: str) -> models.DecimalField:
    return models.DecimalField(label, max_digits=8, decimal_places=2, null=True, blank=True, help_text="元/月")



class FacilityQuerySet(ScopedQuerySet):
    """Area staff see the facilities of their area through the model permission ``view_facility``
    (for every action: the action's own permission — add_bed, add_admission … — is checked by the
    caller); a facility manager holds no area-wide facility permission and sees the facilities
    granted to them one by one (django-guardian object permissions: view_facility to look,
    change_facility to manage). Guardian rows are used for these exceptions only, never for area
    scoping."""

    object_grants = True

    def area_permissions(self, action: str) -> list[str]:
        return [self._perm("view")]

class Facility(models.Model):
    """One institution or centre. Scoped by the division it stands in (township or village)."""

    name = models.CharField("机构名称", max_length=100)
    kind = models.CharField("机构类型", max_length=20, choices=FacilityKind.choices)
    ownership = models.CharField("性质", max_length=20, choices=Ownership.choices)
    region = models.ForeignKey(
        Region, verbose_name="所在乡镇(街道)/村(社区)", on_delete=models.PROTECT, related_name="+",
        limit_choices_to={"level__in": ["township", "village"]},
    )
    region_code = RegionCodeField("区划代码", editable=False)
    address = models.CharField("地址", max_length=200, blank=True)
    credit_code = models.CharField(
        "统一社会信用代码", max_length=18, blank=True,
        help_text="18位，由数字和大写字母组成（GB 32100-2015）",
    )
    operator = models.CharField("运营单位", max_length=100, blank=True)
    contact_name = models.CharField("联系人", max_length=50, blank=True)
    contact_phone = models.CharField("联系电话", max_length=20, blank=True)
    filed = models.BooleanField("已备案", default=False)
    filed_on = models.DateField("备案日期", null=True, blank=True)
    fire_approved = models.BooleanField("消防审验合格", default=False)
    fire_approved_on = models.DateField("消防审验日期", null=True, blank=True)
    medical_integration = models.CharField(
        "医养结合", max_length=12, choices=MedicalIntegration.choices, default=MedicalIntegration.NONE
    )
    has_dementia_zone = models.BooleanField("设有认知症照护专区", default=False)
    accepted_residents = models.JSONField("收住对象", default=list, blank=True)
    bed_fee_min = _fee("床位费（最低）")
    bed_fee_max = _fee("床位费（最高）")
    care_fee_min = _fee("护理费（最低）")
    care_fee_max = _fee("护理费（最高）")
    meal_fee_min = _fee("膳食费（最低）")
    meal_fee_max = _fee("膳食费（最高）")
    note = models.CharField("备注", max_length=200, blank=True)
    created_at = models.DateTimeField("登记时间", auto_now_add=True)
    updated_at = models.DateTimeField("更新时间", auto_now=True)

    objects = FacilityQuerySet.as_manager()

    class Meta:
        verbose_name = "养老机构"
        verbose_name_plural = "养老机构"
        permissions = [
            ("use_facilities", "使用养老机构模块"),
            ("grant_facility_manager", "指定机构管理员（对象权限）"),
        ]
        indexes = [models.Index(fields=["region_code", "name", "id"], name="facility_area_name")]
        constraints = [
            models.CheckConstraint(
                condition=Q(fire_approved=True) | Q(fire_approved_on__isnull=True),
                name="facility_fire_date_only_if_approved",
                violation_error_message="未通过消防审验时不应填写审验日期",
            ),
            *[
                models.CheckConstraint(
                    condition=Q(**{f"{lo}__isnull": True}) | Q(**{f"{hi}__isnull": True})
                    | Q(**{f"{lo}__lte": models.F(hi)}),
                    name=f"facility_{lo[:-4]}_range",
                    violation_error_message=f"{label}最低值不能高于最高值",
                )
                for lo, hi, label in FEE_PAIRS
            ],
        ]

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs):
        self.region_code = self.region.code
        super().save(*args, **kwargs)

    def clean(self):
        errors = {}
        code = self.credit_code.strip().upper()
        self.credit_code = code
        if code and (len(code) != 18 or not code.isalnum() or not code.isascii()):
            errors["credit_code"] = "统一社会信用代码应为18位数字或大写字母"
        valid = set(ResidentType.values)
        bad = [v for v in self.accepted_residents or [] if v not in valid]
        if bad:
            errors["accepted_residents"] = f"收住对象无效：{'、'.join(map(str, bad))}"
        if self.region_id and self.region.level not in ("township", "village"):
            errors["region"] = "请选择乡镇(街道)或村(社区)"
        if self.filed_on and not self.filed:
            errors["filed_on"] = "未备案时不应填写备案日期"
        if errors:
            raise ValidationError(errors)

    @property
    def is_public(self) -> bool:
        return self.ownership in PUBLIC_OWNERSHIPS

    @property
    def is_graded_kind(self) -> bool:
        return self.kind in GRADED_KINDS

    def accepted_resident_labels(self) -> list[str]:
        labels = dict(ResidentType.choices)
        return [labels.get(v, v) for v in self.accepted_residents or []]


class Rating(models.Model):
    """One grade (一级–五级, GB/T 37276-2018, valid 3 years) or star rating, kept as history."""

    facility = models.ForeignKey(Facility, verbose_name="机构", on_delete=models.CASCADE, related_name="ratings")
    scheme = models.CharField("评定类型", max_length=8, choices=RatingScheme.choices)
    level = models.PositiveSmallIntegerField("等级/星级", help_text="1–5")
    rated_on = models.DateField("评定日期")
    rating_body = models.CharField("评定机构", max_length=100)
    expires_on = models.DateField("有效期至", help_text="不填则按评定日期起3年计算")
    note = models.CharField("备注", max_length=200, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="登记人", null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField("登记时间", auto_now_add=True)

    class Meta:
        verbose_name = "等级/星级评定"
        verbose_name_plural = "等级/星级评定"
        ordering = ["-rated_on", "-id"]
        indexes = [models.Index(fields=["facility", "-rated_on", "-id"], name="rating_facility_latest")]
        constraints = [
            models.CheckConstraint(
                condition=Q(level__gte=1, level__lte=5), name="rating_level_1_to_5",
                violation_error_message="等级/星级应为1至5（一级至五级，或一星至五星）",
            ),
            models.CheckConstraint(
                condition=Q(expires_on__gt=models.F("rated_on")), name="rating_expires_after_rated",
                violation_error_message="有效期至应晚于评定日期",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.facility} {self.label}（{self.rated_on:%Y-%m-%d}）"

    def clean(self):
        if self.scheme == RatingScheme.GRADE and self.facility_id and not self.facility.is_graded_kind:
            raise ValidationError({"scheme": "社区养老服务中心/站、日间照料中心等设施评定星级，不评定机构等级"})

    @property
    def label(self) -> str:
        return rules.level_label(self.scheme, self.level)

    def status_on(self, today: dt.date) -> str:
        return rules.rating_status(self.expires_on, today)
