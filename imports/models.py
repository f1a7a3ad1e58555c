"""Import batches: one uploaded file, its validation preview, and what it changed."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from core.fields import RegionCodeField
from core.scoping import ScopedQuerySet


class ImportBatch(models.Model):
    """An uploaded file and its way through 待校验 → 校验中 → 待确认 → 导入中 → 已导入.

    ``region_code`` is the uploader's area root, so ``.visible_to(user)`` shows a township's batches to
    its officers and to the county, and to nobody next door.
    """

    class Status(models.TextChoices):
        PENDING = "pending", "待校验"
        VALIDATING = "validating", "校验中"
        READY = "ready", "待确认"
        COMMITTING = "committing", "导入中"
        DONE = "done", "已导入"
        CANCELLED = "cancelled", "已取消"
        FAILED = "failed", "失败"

    class Mode(models.TextChoices):
        SKIP = "skip", "跳过错误行"
        STRICT = "strict", "严格（有任何错误则全部不导入）"

    kind = models.CharField("导入类型", max_length=32)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="上传人", null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )
    region_code = RegionCodeField("区划代码", blank=True)
    file = models.FileField("原始文件", upload_to="imports/%Y/%m/", max_length=255)
    filename = models.CharField("文件名", max_length=255)
    size = models.PositiveBigIntegerField("文件大小（字节）", default=0)
    mode = models.CharField("模式", max_length=10, choices=Mode.choices, default=Mode.SKIP)
    status = models.CharField("状态", max_length=12, choices=Status.choices, default=Status.PENDING)
    progress = models.PositiveSmallIntegerField("进度", default=0)
    counts = models.JSONField("计数", default=dict, blank=True)
    preview = models.JSONField("预览", default=dict, blank=True)
    message = models.TextField("说明", blank=True)
    error_report = models.FileField("错误清单", upload_to="imports/reports/%Y/%m/", blank=True, max_length=255)
    created_at = models.DateTimeField("上传时间", auto_now_add=True)
    validated_at = models.DateTimeField("校验完成时间", null=True, blank=True)
    committed_at = models.DateTimeField("导入完成时间", null=True, blank=True)
    # Task bookkeeping (core.reaper): when the current stage was queued and started, by which task,
    # how many times a worker started it, and which stage an interruption stopped.
    queued_at = models.DateTimeField("任务投递时间", null=True, blank=True)
    task_id = models.CharField("后台任务编号", max_length=64, blank=True, default="")
    task_started_at = models.DateTimeField("任务开始时间", null=True, blank=True)
    attempts = models.PositiveSmallIntegerField("本阶段执行次数", default=0)
    interrupted = models.CharField(
        "中断阶段", max_length=10, blank=True, default="", choices=[("validate", "校验"), ("commit", "导入")],
        help_text="后台进程在该阶段中断；可重新运行或取消",
    )

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = "批量导入"
        verbose_name_plural = "批量导入"
        ordering = ["-created_at", "-id"]
        permissions = [("export_rows", "导出名册（含个人信息）")]
        indexes = [models.Index(fields=["region_code", "created_at"], name="importbatch_area_created")]

    def __str__(self) -> str:
        return f"{self.filename}（{self.get_status_display()}）"

    @property
    def strict(self) -> bool:
        return self.mode == self.Mode.STRICT

    @property
    def in_progress(self) -> bool:
        return self.status in (self.Status.PENDING, self.Status.VALIDATING, self.Status.COMMITTING)

    @property
    def kind_label(self) -> str:
        from .registry import get_kind

        try:
            return get_kind(self.kind).label
        except LookupError:
            return self.kind

    @property
    def can_retry(self) -> bool:
        """A batch whose task was interrupted (or never reached a worker) may be run again."""
        return bool(self.interrupted) and self.status == self.Status.FAILED

    @property
    def can_confirm(self) -> bool:
        if self.status != self.Status.READY:
            return False
        if self.strict and self.counts.get("error"):
            return False
        return bool(self.counts.get("new") or self.counts.get("updated"))
