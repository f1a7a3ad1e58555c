"""Beds (一人一床一码) and admissions. The database guards one open admission per bed and per elder."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q

from core.fields import RegionCodeField
from core.scoping import ScopedQuerySet

from ..choices import BedKind, BedLocation, BedStatus, DischargeReason
from .facility import Facility


class Bed(models.Model):
    """One bed with its printable code. A 家庭养老床位 stands in an elder's home, served by the facility."""

    facility = models.ForeignKey(Facility, verbose_name="机构", on_delete=models.PROTECT, related_name="beds")
    region_code = RegionCodeField("区划代码", editable=False)
    code = models.CharField("床位编码", max_length=40, unique=True, error_messages={"unique": "床位编码已存在"})
    room = models.CharField("房间", max_length=20)
    kind = models.CharField("床位类型", max_length=10, choices=BedKind.choices, default=BedKind.NORMAL)
    status = models.CharField("状态", max_length=10, choices=BedStatus.choices, default=BedStatus.VACANT)
    location = models.CharField("位置", max_length=10, choices=BedLocation.choices, default=BedLocation.FACILITY)
    home_address = models.CharField("家庭床位地址", max_length=200, blank=True)
    created_at = models.DateTimeField("登记时间", auto_now_add=True)
    updated_at = models.DateTimeField("更新时间", auto_now=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = "床位"
        verbose_name_plural = "床位"
        ordering = ["facility", "room", "code"]
        indexes = [models.Index(fields=["facility", "room", "code"], name="bed_facility_room")]

    def __str__(self) -> str:
        return f"{self.code}（{self.room}）"

    def save(self, *args, **kwargs):
        self.region_code = self.facility.region_code
        super().save(*args, **kwargs)

    def clean(self):
        self.code = (self.code or "").strip()
        if self.location == BedLocation.HOME and not self.home_address.strip():
            raise ValidationError({"home_address": "家庭养老床位须填写老年人家庭地址"})

    @property
    def is_home_bed(self) -> bool:
        return self.location == BedLocation.HOME


class Admission(models.Model):
    """An elder's stay in one bed, from admission to discharge. Open while discharged_on is empty."""

    elder = models.ForeignKey("registry.Elder", verbose_name="老年人", on_delete=models.PROTECT, related_name="+")
    bed = models.ForeignKey(Bed, verbose_name="床位", on_delete=models.PROTECT, related_name="admissions")
    facility = models.ForeignKey(Facility, verbose_name="机构", on_delete=models.PROTECT, related_name="admissions")
    region_code = RegionCodeField("区划代码", editable=False)
    admitted_on = models.DateField("入住日期")
    discharged_on = models.DateField("出院(离开)日期", null=True, blank=True)
    discharge_reason = models.CharField(
        "离开原因", max_length=10, choices=DischargeReason.choices, blank=True
    )
    discharge_note = models.CharField("离开说明", max_length=200, blank=True)
    transferred_from = models.OneToOneField(
        "self", verbose_name="转自", null=True, blank=True, on_delete=models.PROTECT, related_name="transferred_to"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="办理人", null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField("登记时间", auto_now_add=True)
    updated_at = models.DateTimeField("更新时间", auto_now=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = "入住记录"
        verbose_name_plural = "入住记录"
        ordering = ["-admitted_on", "-id"]
        indexes = [models.Index(fields=["facility", "discharged_on"], name="admission_facility_open")]
        constraints = [
            # Two clerks admitting at once: the second insert fails here, whatever Python checked.
            models.UniqueConstraint(
                fields=["bed"], condition=Q(discharged_on__isnull=True), name="admission_one_open_per_bed",
                violation_error_message="该床位已有人在住，不能重复安排入住",
            ),
            models.UniqueConstraint(
                fields=["elder"], condition=Q(discharged_on__isnull=True), name="admission_one_open_per_elder",
                violation_error_message="该老年人已在其他床位或机构入住，请先办理离开或转床",
            ),
            models.CheckConstraint(
                condition=Q(discharged_on__isnull=True) | Q(discharged_on__gte=models.F("admitted_on")),
                name="admission_discharge_after_admission",
                violation_error_message="离开日期不能早于入住日期",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.elder.name} · {self.bed.code}"

    def save(self, *args, **kwargs):
        self.facility_id = self.bed.facility_id
        self.region_code = self.bed.facility.region_code
        super().save(*args, **kwargs)

    def clean(self):
        if self.discharged_on and not self.discharge_reason:
            raise ValidationError({"discharge_reason": "请选择离开原因"})

    @property
    def is_open(self) -> bool:
        return self.discharged_on is None
