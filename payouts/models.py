"""Monthly payroll (补贴发放, docs/architecture.md Flow 6): runs, their lines, checks and transitions.

The one guarantee that matters most lives in the database: a ``PayrollLine`` is unique on
(elder, benefit, period, kind) across *all* runs, so regenerating a draft, two generations at once
or a rerun after a crash can never create a second payment (docs/contributing.md "Nothing paid twice").
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from simple_history.models import HistoricalRecords

from regions.fields import RegionCodeField
from regions.models import Region
from regions.scoping import ScopedQuerySet, area_prefixes


class PayrollRunQuerySet(ScopedQuerySet):
    """Runs are county-wide: a county (or wider) assignment sees the county's runs; a township or
    village assignment sees its county's runs too, but only its own lines (``PayrollLine.visible_to``)."""

    scope_field = "county_code"

    def visible_to(self, user: Any) -> PayrollRunQuerySet:
        prefixes = area_prefixes(user)
        if prefixes is None:
            return self
        if not prefixes:
            return self.none()
        q = Q()
        for p in prefixes:
            q |= Q(county_code__startswith=p) if len(p) <= 6 else Q(county_code=p[:6] + "000000")
        return self.filter(q)


class PayrollRun(models.Model):
    """One county's payroll for one month (optionally limited to some benefits)."""

    class Status(models.TextChoices):
        DRAFT = "draft", "草稿"
        SUBMITTED = "submitted", "已提交"
        APPROVED = "approved", "已审核"
        EXPORTED = "exported", "已导出"
        RECONCILED = "reconciled", "已对账"
        CLOSED = "closed", "已关闭"

    county = models.ForeignKey(Region, verbose_name="县(区)", on_delete=models.PROTECT, related_name="+")
    county_code = RegionCodeField("县(区)代码")
    period = models.DateField("所属期", help_text="发放月份（当月1日）")
    benefits = models.ManyToManyField("eligibility.Benefit", verbose_name="限定项目", blank=True, related_name="+")
    benefit_key = models.CharField("项目范围", max_length=200, blank=True, editable=False,
                                   help_text="限定项目的代码（排序后以逗号连接），空表示全部按月发放项目")
    status = models.CharField("状态", max_length=12, choices=Status.choices, default=Status.DRAFT)
    totals = models.JSONField("合计", default=dict, blank=True)
    progress = models.JSONField("进度", default=dict, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="生成人", null=True, blank=True,
                                   on_delete=models.PROTECT, related_name="+")
    submitted_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="提交人", null=True, blank=True,
                                     on_delete=models.PROTECT, related_name="+")
    approved_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="审核人", null=True, blank=True,
                                    on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField("生成时间", auto_now_add=True)
    generated_at = models.DateTimeField("最近生成时间", null=True, blank=True)
    updated_at = models.DateTimeField("更新时间", auto_now=True)

    objects = PayrollRunQuerySet.as_manager()
    # Who changed what on the run (status, submitter, approver, generation time). The totals and the
    # progress are rewritten on every generation and are not worth a diff.
    history = HistoricalRecords(verbose_name="发放批次变更记录", excluded_fields=["totals", "progress", "updated_at"])

    class Meta:
        verbose_name = "发放批次"
        verbose_name_plural = "发放批次"
        ordering = ["-period", "county_code", "-id"]
        permissions = [
            ("submit_payrollrun", "提交发放批次"),
            ("approve_payrollrun", "审核发放批次（复核，不得审核本人提交的批次）"),
            ("export_payrollrun", "导出银行代发文件"),
            ("reconcile_payrollrun", "导入银行回盘并对账"),
        ]
        constraints = [
            models.UniqueConstraint(fields=["county_code", "period", "benefit_key"], name="payrollrun_one_per_scope"),
            # Four eyes (双人复核): never approved by the person who submitted it.
            models.CheckConstraint(
                condition=Q(approved_by__isnull=True) | Q(submitted_by__isnull=True) | ~Q(approved_by=F("submitted_by")),
                name="payrollrun_four_eyes",
            ),
        ]
        indexes = [models.Index(fields=["county_code", "period"], name="payrollrun_county_period")]

    def __str__(self) -> str:
        return f"{self.county.name if self.county_id else self.county_code} {self.period:%Y-%m} 发放批次"

    @property
    def period_code(self) -> str:
        return f"{self.period:%Y-%m}"

    @property
    def is_draft(self) -> bool:
        return self.status == self.Status.DRAFT


class PayrollTransition(models.Model):
    """Who moved a run from one state to the next, and when (every transition is recorded)."""

    run = models.ForeignKey(PayrollRun, verbose_name="发放批次", on_delete=models.CASCADE, related_name="transitions")
    from_status = models.CharField("原状态", max_length=12, choices=PayrollRun.Status.choices, blank=True)
    to_status = models.CharField("新状态", max_length=12, choices=PayrollRun.Status.choices)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="操作人", null=True, blank=True,
                             on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField("时间", auto_now_add=True)
    note = models.CharField("说明", max_length=300, blank=True)

    class Meta:
        verbose_name = "发放批次状态变更"
        verbose_name_plural = "发放批次状态变更"
        ordering = ["run", "at", "id"]

    def __str__(self) -> str:
        return f"{self.get_from_status_display() or '—'} → {self.get_to_status_display()}"


class PayrollLine(models.Model):
    """One payment (or recovery) of one benefit to one elder for one month."""

    class Kind(models.TextChoices):
        NORMAL = "normal", "正常"
        ARREARS = "arrears", "补发"
        RECOVERY = "recovery", "追回"
        ONE_OFF = "one_off", "一次性"

    class Status(models.TextChoices):
        PENDING = "pending", "待发放"
        PAID = "paid", "已发放"
        FAILED = "failed", "发放失败"

    # A run inserts a million rows, so every index and trigger costs a million times: few indexes
    # (run → (run, region_code, id); elder → the unique (elder, benefit, period, kind)), and foreign
    # keys to the registry and catalogue without a database constraint — lines are only ever inserted
    # by joins to existing rows, and Django's PROTECT keeps elders and benefits with lines from being
    # deleted. Measured at 1M lines: the four deferred FK triggers alone cost ~37 s at commit; the
    # last one, to the run, ~4–12 s (bench/README.md) — lines are inserted only inside the run's own
    # generation transaction, under its advisory lock, with the run's id.
    run = models.ForeignKey(PayrollRun, verbose_name="发放批次", on_delete=models.CASCADE, related_name="lines",
                            db_index=False, db_constraint=False)
    elder = models.ForeignKey("eligibility.Elder", verbose_name="老年人", on_delete=models.PROTECT, related_name="payroll_lines",
                              db_index=False, db_constraint=False)
    benefit = models.ForeignKey("eligibility.Benefit", verbose_name="项目", on_delete=models.PROTECT, related_name="+", db_index=False,
                                db_constraint=False)
    enrolment = models.ForeignKey("eligibility.Enrolment", verbose_name="享受记录", null=True, blank=True,
                                  on_delete=models.SET_NULL, related_name="+", db_index=False, db_constraint=False)
    period = models.DateField("所属期")
    kind = models.CharField("类型", max_length=10, choices=Kind.choices, default=Kind.NORMAL)
    amount = models.DecimalField("金额（元）", max_digits=10, decimal_places=2)
    region_code = RegionCodeField("区划代码")
    bank_name = models.CharField("开户银行", max_length=60, blank=True)
    bank_account = models.CharField("银行账号", max_length=32, blank=True)
    status = models.CharField("发放状态", max_length=10, choices=Status.choices, default=Status.PENDING)
    failure_reason = models.CharField("失败原因", max_length=200, blank=True)
    carried_from = models.ForeignKey(PayrollRun, verbose_name="转自批次", null=True, blank=True,
                                     on_delete=models.SET_NULL, related_name="+", db_index=False, db_constraint=False,
                                     help_text="发放失败、账号更正后转入本批次重新发放")

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = "发放明细"
        verbose_name_plural = "发放明细"
        ordering = ["run", "region_code", "id"]
        constraints = [
            # 同一老人、同一项目、同一所属期、同一类型只发一次 — across every run.
            models.UniqueConstraint(fields=["elder", "benefit", "period", "kind"], name="payrollline_never_paid_twice"),
            models.CheckConstraint(
                condition=(Q(kind="recovery") & Q(amount__lt=0)) | (~Q(kind="recovery") & Q(amount__gt=0)),
                name="payrollline_amount_sign",
            ),
            # A one-off benefit (一次性发放, e.g. a longevity payment) is paid once per elder and
            # benefit, whatever the month: the period is not part of this key.
            models.UniqueConstraint(fields=["elder", "benefit"], condition=Q(kind="one_off"),
                                    name="payrollline_one_off_once"),
        ]
        indexes = [models.Index(fields=["run", "region_code", "id"], name="payrollline_run_area")]

    def __str__(self) -> str:
        return f"{self.period:%Y-%m} {self.get_kind_display()} {self.amount}"


class CheckItem(models.Model):
    """A finding of the pre-approval checks; the reviewer must acknowledge each before approving."""

    class Kind(models.TextChoices):
        DECEASED = "deceased", "老人已去世或迁出"
        BANK = "bank", "银行账号缺失或格式不正确"
        AMOUNT_CHANGE = "amount_change", "金额较上月变化过大"
        OTHER_COUNTY = "other_county", "同一身份证号在其他县(区)同月发放"

    # Written like the lines, up to one per line (a county where a fifth of the accounts are missing
    # has 200,000 bank findings), and rewritten on every regeneration: only the primary key and the
    # (run, kind) index, no database-level foreign keys (measured: 6 indexes and 2 deferred FK
    # triggers made 200,000 findings cost ~10–18 s; bench/README.md).
    run = models.ForeignKey(PayrollRun, verbose_name="发放批次", on_delete=models.CASCADE, related_name="checks",
                            db_index=False, db_constraint=False)
    kind = models.CharField("检查项", max_length=20, choices=Kind.choices)
    line = models.ForeignKey(PayrollLine, verbose_name="发放明细", null=True, blank=True, on_delete=models.CASCADE,
                             related_name="+", db_index=False, db_constraint=False)
    elder = models.ForeignKey("eligibility.Elder", verbose_name="老年人", null=True, blank=True, on_delete=models.CASCADE,
                              related_name="+", db_index=False, db_constraint=False)
    region_code = RegionCodeField("区划代码", blank=True)
    acknowledged_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="确认人", null=True, blank=True,
                                        on_delete=models.PROTECT, related_name="+", db_index=False,
                                        db_constraint=False)
    acknowledged_at = models.DateTimeField("确认时间", null=True, blank=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = "审核前检查"
        verbose_name_plural = "审核前检查"
        ordering = ["run", "kind", "region_code", "id"]
        indexes = [models.Index(fields=["run", "kind"], name="checkitem_run_kind")]

    def __str__(self) -> str:
        return self.get_kind_display()


class PayrollLineEvent(models.Model):
    """A status change of one line: paid or failed by the bank's return file, carried into a later
    run after the account was corrected. Written set-based (one INSERT … SELECT per change), never
    by a per-row trigger: generation inserts a million lines, and a pending line needs no history.
    Lines are otherwise immutable once their run leaves draft."""

    class Kind(models.TextChoices):
        PAID = "paid", "银行回盘：已发放"
        FAILED = "failed", "银行回盘：发放失败"
        CARRIED = "carried", "转入后续批次重新发放"

    line = models.ForeignKey(PayrollLine, verbose_name="发放明细", on_delete=models.CASCADE, related_name="events",
                             db_constraint=False)
    run = models.ForeignKey(PayrollRun, verbose_name="所在批次", on_delete=models.CASCADE, related_name="+",
                            db_index=False, db_constraint=False)
    kind = models.CharField("事件", max_length=10, choices=Kind.choices)
    from_status = models.CharField("原状态", max_length=10, choices=PayrollLine.Status.choices)
    to_status = models.CharField("新状态", max_length=10, choices=PayrollLine.Status.choices)
    reason = models.CharField("原因", max_length=200, blank=True)
    source = models.CharField("来源", max_length=120, blank=True, help_text="回盘文件名与导入批次号，或转入的批次")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="操作人", null=True, blank=True,
                             on_delete=models.PROTECT, related_name="+", db_constraint=False)
    at = models.DateTimeField("时间")

    class Meta:
        verbose_name = "发放明细状态变更"
        verbose_name_plural = "发放明细状态变更"
        ordering = ["line", "at", "id"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}：{self.get_from_status_display()} → {self.get_to_status_display()}"


class BankFile(models.Model):
    """The bank file of a run, produced once (the run's first export, 已审核 → 已导出) and kept: every
    later export re-sends these very bytes (checked against ``sha256`` first), never new lines. One
    per run (the primary key is the run's)."""

    run = models.OneToOneField(PayrollRun, verbose_name="发放批次", on_delete=models.PROTECT, primary_key=True,
                               related_name="bank_file")
    file_format = models.CharField("格式", max_length=4, choices=[("csv", "CSV"), ("xlsx", "Excel (.xlsx)")])
    file = models.FileField("文件", upload_to="payouts/bank/%Y/%m/", max_length=255)
    size = models.BigIntegerField("字节数")
    sha256 = models.CharField("文件SHA-256", max_length=64, help_text="整个文件的SHA-256；重发前核对")
    checksum = models.CharField("校验码", max_length=64, help_text="文件末行“校验码”：明细行的SHA-256")
    line_count = models.PositiveIntegerField("笔数")
    total = models.DecimalField("合计（元）", max_digits=14, decimal_places=2)
    produced_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="生成人", null=True, blank=True,
                                    on_delete=models.PROTECT, related_name="+")
    produced_at = models.DateTimeField("生成时间")

    class Meta:
        verbose_name = "银行代发文件"
        verbose_name_plural = "银行代发文件"

    def __str__(self) -> str:
        return f"{self.run} 银行代发文件（{self.line_count}笔，{self.total}元）"

    @property
    def filename(self) -> str:
        run = self.run
        return f"代发文件_{run.county_code[:6]}_{run.period_code}.{self.file_format}"


class ReturnFile(models.Model):
    """A bank return file uploaded from a run's page: ties the import batch (imports.ImportBatch,
    kind ``bank_return``) to the run it must be matched against. A return file uploaded on the
    generic import page has no such row and is matched against every exported run the uploader sees."""

    batch = models.OneToOneField("imports.ImportBatch", verbose_name="导入批次", on_delete=models.CASCADE,
                                 related_name="+")
    run = models.ForeignKey(PayrollRun, verbose_name="发放批次", on_delete=models.CASCADE, related_name="return_files")

    class Meta:
        verbose_name = "银行回盘文件"
        verbose_name_plural = "银行回盘文件"

    def __str__(self) -> str:
        return f"{self.run} 回盘（导入批次 {self.batch_id}）"
