"""Administrative divisions and staff area assignments."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.models import Group
from django.db import models

from core.fields import RegionCodeField
from core.scoping import ScopedQuerySet
from .rules import LEVEL_PREFIX_LENGTH, prefix_for


class RegionQuerySet(ScopedQuerySet):
    scope_field = "code"


class Region(models.Model):
    """One division of the NBS statistical code table (one dated snapshot per code)."""

    class Level(models.TextChoices):
        PROVINCE = "province", "省"
        CITY = "city", "市"
        COUNTY = "county", "县(区)"
        TOWNSHIP = "township", "乡镇(街道)"
        VILLAGE = "village", "村(社区)"

    code = models.CharField("区划代码", max_length=12, unique=True)
    name = models.CharField("名称", max_length=100)
    level = models.CharField("级别", max_length=10, choices=Level.choices, db_index=True)
    parent = models.ForeignKey(
        "self", verbose_name="上级区划", null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    valid_from = models.DateField("启用日期", null=True, blank=True)
    valid_to = models.DateField("停用日期", null=True, blank=True)

    objects = RegionQuerySet.as_manager()

    class Meta:
        verbose_name = "行政区划"
        verbose_name_plural = "行政区划"
        ordering = ["code"]
        indexes = [
            models.Index(fields=["parent", "code"], name="region_parent_code"),
            models.Index(fields=["name"], name="region_name"),
        ]

    def __str__(self) -> str:
        return f"{self.name}（{self.code}）"

    @property
    def prefix(self) -> str:
        """The code prefix every row inside this region starts with."""
        return prefix_for(self.code, self.level)

    @property
    def depth(self) -> int:
        return list(LEVEL_PREFIX_LENGTH).index(self.level)

    def ancestors(self) -> list[Region]:
        """Province first; one query per level is fine (at most four)."""
        chain: list[Region] = []
        node = self.parent
        while node is not None:
            chain.append(node)
            node = node.parent
        return list(reversed(chain))

    @property
    def full_name(self) -> str:
        """The path below the county (e.g. 五泉镇 / 杨村), which is what a clerk recognises."""
        names = [r.name for r in self.ancestors() if r.level in ("township",)] + [self.name]
        return " / ".join(names)


class StaffAssignmentQuerySet(ScopedQuerySet):
    def active(self) -> StaffAssignmentQuerySet:
        """Grants in force. A pending grant (awaiting a second administrator) gives nothing."""
        return self.filter(status=StaffAssignment.Status.ACTIVE)

    def pending(self) -> StaffAssignmentQuerySet:
        return self.filter(status=StaffAssignment.Status.PENDING)


class StaffAssignment(models.Model):
    """A staff member's area and role. Scope = union of the prefixes of all their ACTIVE assignments.

    A grant of a role that takes part in a four-eyes step is created PENDING by one administrator
    and becomes ACTIVE only when a second administrator approves it (regions.services)."""

    class Status(models.TextChoices):
        PENDING = "pending", "待批准"
        ACTIVE = "active", "已生效"

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="用户", on_delete=models.CASCADE, related_name="assignments"
    )
    region = models.ForeignKey(Region, verbose_name="辖区", on_delete=models.PROTECT, related_name="+")
    region_code = RegionCodeField("辖区代码", editable=False)
    role = models.ForeignKey(Group, verbose_name="角色", on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField("分配时间", auto_now_add=True)
    # Bootstrap rows (demo, fixtures, data loads) are active with no granter: the default keeps them so.
    status = models.CharField("状态", max_length=10, choices=Status.choices, default=Status.ACTIVE, db_index=True)
    granted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="授予人", null=True, blank=True, on_delete=models.PROTECT,
        related_name="+",
    )
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="批准人", null=True, blank=True, on_delete=models.PROTECT,
        related_name="+",
    )
    approved_at = models.DateTimeField("生效时间", null=True, blank=True)

    objects = StaffAssignmentQuerySet.as_manager()

    class Meta:
        verbose_name = "人员辖区分配"
        verbose_name_plural = "人员辖区分配"
        constraints = [
            models.UniqueConstraint(fields=["user", "region", "role"], name="staffassignment_unique"),
            # Nobody grants or approves a role for themselves; the approver is a second person.
            models.CheckConstraint(
                condition=(models.Q(granted_by__isnull=True) | ~models.Q(granted_by=models.F("user")))
                & (models.Q(approved_by__isnull=True) | ~models.Q(approved_by=models.F("user")))
                & (models.Q(approved_by__isnull=True) | models.Q(granted_by__isnull=True)
                   | ~models.Q(approved_by=models.F("granted_by"))),
                name="staffassignment_not_self_granted",
            ),
        ]
        indexes = [models.Index(fields=["region_code"], name="staffassignment_area")]

    def __str__(self) -> str:
        pending = "（待批准）" if self.status == self.Status.PENDING else ""
        return f"{self.user} · {self.role.name} · {self.region.name}{pending}"

    def save(self, *args, **kwargs):
        self.region_code = self.region.code
        super().save(*args, **kwargs)


class PasswordChange(models.Model):
    """When a user last set their password (for the optional expiry rule of 等保 2.0)."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, verbose_name="用户", on_delete=models.CASCADE, related_name="password_change"
    )
    changed_at = models.DateTimeField("修改时间")

    class Meta:
        verbose_name = "密码修改记录"
        verbose_name_plural = "密码修改记录"

    def __str__(self) -> str:
        return f"{self.user} {self.changed_at:%Y-%m-%d}"
