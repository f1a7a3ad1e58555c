"""Everything that changes a payroll: generate, submit, return, acknowledge checks, approve, export,
reconcile, close. Keyword-only, atomic, audited; a refusal is a ``ValidationError`` and changes
nothing (docs/contributing.md rule 6a).

The state machine runs under locks: every action takes its county's advisory lock (bounded wait,
``lock_wait_seconds``; generation holds it while it writes the lines) and then the run's row lock
(``lock_run``), checks the state it expects on the row it now holds, and saves only the fields it
changes (``transitions``). Concurrent actions therefore serialise; the loser gets a Chinese refusal
(the state it found, or ``BUSY``). Imports ``generation``, ``reconciliation`` and ``transitions``;
none of them imports this module."""

from __future__ import annotations

import datetime as dt
import tempfile
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone

from audit.services import record
from core import periods
from core.codes import county_code12
from eligibility.public import Benefit
from imports import services as imports_services
from imports.models import ImportBatch
from regions.governance import four_eyes_refusal
from regions.models import Region
from core.scoping import code_in_area

from . import exports, generation, rules
from .models import BankFile, PayrollRun, PayrollTransition, ReturnFile
from .reconciliation import KIND_KEY
from .totals import compute_totals, money
from .transitions import attribute, county_lock, lock_run, require_allowed, transition


def _no_jit() -> None:
    """JIT compiling each big INSERT … SELECT costs ~1 s and gains nothing on these plans (measured).
    More memory per hash for this transaction only: the anti-joins and the totals over a million
    lines then hash in memory instead of sorting to disk or falling back to nested loops."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL jit = off")
            cursor.execute("SET LOCAL work_mem = '128MB'")


def _analyze() -> None:
    """Fresh statistics for the lines table before the "not paid yet" anti-joins: with stale ones
    (a million lines the planner has not seen) PostgreSQL picks a nested loop over a materialised
    scan — quadratic, minutes instead of seconds (measured in bench/payroll.py)."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE payouts_payrollline")


CASH_KINDS = (Benefit.PaymentKind.MONTHLY, Benefit.PaymentKind.ONE_OFF)


def monthly_benefits(codes: list[str] | None = None) -> list[Benefit]:
    """The cash benefits of a run — monthly (按月发放) and one-off (一次性发放): the named ones (even
    if no longer active: a retired benefit may still owe arrears or recoveries), else every active one."""
    qs = Benefit.objects.filter(payment_kind__in=CASH_KINDS).order_by("code")
    if not codes:
        return list(qs.filter(is_active=True))
    found = list(qs.filter(code__in=codes))
    missing = sorted(set(codes) - {b.code for b in found})
    if missing:
        raise ValidationError(f"没有这些现金发放的项目：{'、'.join(missing)}")
    return found


def payroll_generate(
    *, county_code: str, period: dt.date, benefit_codes: list[str] | None = None, actor: Any = None,
    progress: generation.Progress | None = None,
) -> PayrollRun:
    """Generate (or regenerate, if it is still a draft) the run of a county and month.

    Guarantees: one transaction under a per-county advisory lock; the unique constraint on
    (elder, benefit, period, kind) means no second payment whatever runs twice; a run past draft is
    never regenerated; a month with a closed run is refused."""
    code = county_code12(county_code)
    period = periods.month_start(period)
    county = Region.objects.filter(code=code).first()
    if county is None:
        raise ValidationError(f"没有代码为 {code} 的县(区)")
    if actor is not None and not (actor.has_perm("payouts.add_payrollrun") and code_in_area(actor, code)):
        raise PermissionDenied("您没有生成发放批次的权限")
    benefits = monthly_benefits(benefit_codes)
    key = ",".join(sorted(b.code for b in benefits)) if benefit_codes else ""
    with transaction.atomic():
        county_lock(code)
        _no_jit()
        if PayrollRun.objects.filter(county_code=code, period=period, status=rules.CLOSED).exists():
            raise ValidationError(f"{periods.label(period)}的发放已关闭，不能再生成")
        # The row lock: a submit, approve or export of this run waits for the regeneration to end
        # (and then sees its lines), or has ended and this sees it is no longer a draft.
        run = PayrollRun.objects.select_for_update().filter(county_code=code, period=period, benefit_key=key).first()
        if run is not None and not run.is_draft:
            raise ValidationError(f"只有草稿可以重新生成；该批次当前为“{run.get_status_display()}”")
        now = timezone.now()
        if run is None:
            run = PayrollRun.objects.create(county=county, county_code=code, period=period, benefit_key=key,
                                            created_by=actor if getattr(actor, "is_authenticated", False) else None)
            if benefit_codes:
                run.benefits.set(benefits)
            note = "生成"
        else:
            # Regenerate: our own lines go; lines carried in from earlier runs stay (they are the
            # only copy of that month's payment).
            # Raw DELETEs: the run's check items are the only rows pointing at its lines, so nothing
            # needs Django's in-memory cascade collector (a million objects).
            checks = run.checks.all()
            checks._raw_delete(checks.db)
            generation.delete_stale_lines(run, benefits)
            note = "重新生成"
        _analyze()
        counts = generation.insert_lines(run, benefits, progress, actor=_user(actor))
        _analyze()  # again: the checks join the lines just inserted
        checks = generation.insert_checks(run)
        run.totals = compute_totals(run)
        run.totals["inserted"] = counts
        run.totals["checks"] = checks
        run.generated_at = now
        run.progress = {"step": "完成", "done": 1, "total": 1}
        attribute(run, actor)
        run.save(update_fields=["totals", "generated_at", "progress", "updated_at"])
        PayrollTransition.objects.create(run=run, from_status="" if note == "生成" else rules.DRAFT, to_status=rules.DRAFT,
                                         user=run.created_by if note == "生成" else _user(actor), note=note)
        record(actor=actor, event="payouts.generate", obj=run, region_code=code,
               detail={"period": periods.code(period), "lines": run.totals["count"], "total": run.totals["total"],
                       "inserted": counts})
    return run


def _user(actor: Any) -> Any:
    return actor if getattr(actor, "is_authenticated", False) else None


def payroll_submit(*, actor: Any, run: PayrollRun, note: str = "") -> PayrollRun:
    """草稿 → 已提交. The submitter is remembered: they may not approve it (four eyes)."""
    with transaction.atomic():
        run = lock_run(run)
        require_allowed(actor, run, rules.SUBMITTED)
        if not run.lines.exists():
            raise ValidationError("批次没有发放明细，不能提交")
        run.submitted_by = actor
        transition(run, rules.SUBMITTED, actor, note, fields=("submitted_by",))
    return run


def payroll_return(*, actor: Any, run: PayrollRun, note: str = "") -> PayrollRun:
    """已提交 → 草稿 (退回修改), by a reviewer."""
    with transaction.atomic():
        run = lock_run(run)
        require_allowed(actor, run, rules.DRAFT)
        run.submitted_by = None
        transition(run, rules.DRAFT, actor, note or "退回", fields=("submitted_by",))
    return run


def checks_acknowledge(*, actor: Any, run: PayrollRun, expected: int | None = None) -> int:
    """The reviewer confirms every open check item of the run (the list they were shown: when
    ``expected`` is given and the number of open items differs, nothing is acknowledged)."""
    with transaction.atomic():
        run = lock_run(run)
        if actor is None or not actor.has_perm("payouts.approve_payrollrun") or not code_in_area(actor, run.county_code):
            raise PermissionDenied("您没有审核权限")
        if run.status != rules.SUBMITTED:
            raise ValidationError("只有已提交的批次需要确认检查项")
        open_items = run.checks.filter(acknowledged_by__isnull=True)
        if expected is not None and open_items.count() != expected:
            raise ValidationError("检查项已变化，请刷新页面后重新核对")
        n = open_items.update(acknowledged_by=actor, acknowledged_at=timezone.now())
        record(actor=actor, event="payouts.acknowledge_checks", obj=run, region_code=run.county_code, detail={"count": n})
    return n


def run_participant_ids(run: PayrollRun) -> set[int]:
    """Everyone who took part in making the run what the reviewer is asked to approve: its creator,
    whoever generated or regenerated it, whoever submitted it (now or before a return). From the run
    and its transition rows (``PayrollTransition``: every generation, regeneration and submission is
    one). A reviewer who only returned it (退回) is not a participant."""
    ids = {run.created_by_id, run.submitted_by_id}
    made = Q(to_status=rules.SUBMITTED) | Q(to_status=rules.DRAFT, from_status__in=["", rules.DRAFT])
    ids |= set(PayrollTransition.objects.filter(run=run).filter(made).values_list("user_id", flat=True))
    ids.discard(None)
    return ids


def payroll_approve(*, actor: Any, run: PayrollRun, note: str = "") -> PayrollRun:
    """已提交 → 已审核, by a finance reviewer who took no part in the run (four eyes: not its creator,
    generator, regenerator or submitter), after every check item has been acknowledged. The database
    refuses the submitter too (check constraint)."""
    with transaction.atomic():
        run = lock_run(run)
        require_allowed(actor, run, rules.APPROVED)
        if not rules.four_eyes_ok(run.submitted_by_id, actor.pk):
            raise ValidationError("不能审核本人提交的批次（双人复核）")
        # Nor anyone who created, generated, regenerated or submitted it (a reviewer's 退回 is review,
        # not work), nor someone whose role or account one of them gave recently (regions.governance).
        refusal = four_eyes_refusal(approver=actor, participant_ids=run_participant_ids(run))
        if refusal:
            raise ValidationError(refusal)
        open_n = run.checks.filter(acknowledged_by__isnull=True).count()
        if open_n:
            raise ValidationError(f"还有{open_n}项审核前检查未确认")
        run.approved_by = actor
        transition(run, rules.APPROVED, actor, note, fields=("approved_by",))
    return run


def require_exportable(run: PayrollRun) -> None:
    if run.status not in rules.EXPORTABLE:
        raise ValidationError(f"批次尚未审核（当前为“{run.get_status_display()}”），不能导出银行文件")


def payroll_export(*, actor: Any, run: PayrollRun, file_format: str = "csv", produce: bool = True,
                   ) -> tuple[BankFile, bool]:
    """The run's bank file, produced once. Returns ``(bank_file, produced)``.

    Under the county lock and the run's row lock: if the run already has its ``BankFile``, that file
    is returned to be re-sent as it is (audited as a re-send; ``file_format`` is then ignored — the
    bank gets the very bytes it got the first time, never new lines). Otherwise the run must be
    已审核: the file is written from its lines, stored with its size, SHA-256, line count and total,
    and the run moves to 已导出 — in one transaction, so two exports at once give one file. A run
    exported before files were kept (已导出 or later, no ``BankFile``) gets its file recorded now,
    from its lines, which cannot have changed since (database trigger). ``produce=False`` (a GET)
    only re-sends: without a file it refuses and changes nothing."""
    file_format = "xlsx" if file_format == "xlsx" else "csv"
    with transaction.atomic():
        run = lock_run(run)
        if actor is not None and not (actor.has_perm("payouts.export_payrollrun") and code_in_area(actor, run.county_code)):
            raise PermissionDenied("您没有导出权限")
        existing = BankFile.objects.filter(run=run).first()
        if existing is not None:
            record(actor=actor, event="payouts.export_resend", obj=run, region_code=run.county_code,
                   detail={"format": existing.file_format, "requested": file_format, "sha256": existing.sha256,
                           "rows": existing.line_count, "total": money(existing.total)})
            return existing, False
        require_exportable(run)
        if not produce:
            raise ValidationError("本批次还没有生成银行代发文件，请在确认页面点击“生成并下载”")
        bank = _produce_bank_file(run, file_format, actor)
        try:
            detail = f"{bank.line_count}笔，合计{money(bank.total)}元"
            if run.status == rules.APPROVED:
                transition(run, rules.EXPORTED, actor, f"导出银行文件（{file_format}，{detail}）")
            record(actor=actor, event="payouts.export", obj=run, region_code=run.county_code,
                   detail={"format": file_format, "sha256": bank.sha256, "checksum": bank.checksum,
                           "rows": bank.line_count, "total": money(bank.total)})
        except BaseException:
            bank.file.delete(save=False)
            raise
    return bank, True


def _produce_bank_file(run: PayrollRun, file_format: str, actor: Any) -> BankFile:
    from django.core.files import File

    with tempfile.TemporaryFile() as tmp:
        facts = exports.write_bank_file(run, file_format, tmp)
        bank = BankFile(run=run, file_format=file_format, size=facts["size"], sha256=facts["sha256"],
                        checksum=facts["checksum"], line_count=facts["count"], total=facts["total"],
                        produced_by=_user(actor), produced_at=timezone.now())
        bank.file.save(bank.filename, File(tmp), save=False)
    try:
        bank.save(force_insert=True)
    except BaseException:
        bank.file.delete(save=False)
        raise
    return bank


def open_bank_file(bank: BankFile) -> Any:
    """The stored bank file, opened for reading after checking it is byte for byte what was produced
    (size and SHA-256); a file that is missing or differs is refused, never silently re-made."""
    import hashlib

    refused = ValidationError("已生成的银行代发文件缺失或与生成时的校验值不符，未发送；请联系系统管理员（不会重新生成）")
    try:
        handle = bank.file.open("rb")
    except (FileNotFoundError, OSError, ValueError):
        raise refused from None
    digest, size = hashlib.sha256(), 0
    for block in iter(lambda: handle.read(1 << 20), b""):
        digest.update(block)
        size += len(block)
    if size != bank.size or digest.hexdigest() != bank.sha256:
        handle.close()
        raise refused
    handle.seek(0)
    return handle


def payroll_mark_exported(*, actor: Any, run: PayrollRun, file_format: str) -> PayrollRun:
    """Export the bank file (``payroll_export``) and return the run as it now is."""
    payroll_export(actor=actor, run=run, file_format=file_format)
    return PayrollRun.objects.get(pk=run.pk)


def payroll_reconcile_upload(*, actor: Any, run: PayrollRun, file: Any, filename: str = "", mode: str = "skip",
                             enqueue: bool = True) -> Any:
    """Hand a bank return file for ``run`` to the import engine (kind ``bank_return``): the batch is
    kept and tied to the run (``ReturnFile``) in one transaction; validation is queued after commit.
    The clerk then sees the engine's preview and confirms there (imports.services.batch_confirm).
    Refuses a run that is not 已导出, or an actor without the reconcile permission in its county."""
    if actor is None or not (actor.has_perm("payouts.reconcile_payrollrun") and code_in_area(actor, run.county_code)):
        raise PermissionDenied("您没有对账权限")
    if run.status != rules.EXPORTED:
        raise ValidationError(f"只有已导出的批次可以对账（当前为“{run.get_status_display()}”）")
    with transaction.atomic():
        batch = imports_services.batch_create(actor=actor, kind=KIND_KEY, file=file, filename=filename, mode=mode,
                                              enqueue=enqueue)
        ReturnFile.objects.create(batch=batch, run=run)
    return batch


def payroll_reconcile_file(*, actor: Any, run: PayrollRun, path: Any, mode: str = "skip", dry_run: bool = False) -> Any:
    """The whole engine flow at once, for the command line: upload, validate the whole file, and —
    unless ``dry_run`` or there is nothing to apply — confirm and commit. Returns the import batch
    (status, counts, preview["errors"], preview["written"]); rows with problems are reported in it,
    not applied; in strict mode (``mode="strict"``) any problem means nothing is applied."""
    batch = payroll_reconcile_upload(actor=actor, run=run, file=path, mode=mode, enqueue=False)
    batch = imports_services.batch_validate(batch_id=batch.pk)
    if dry_run or batch.status != ImportBatch.Status.READY or not batch.can_confirm:
        return batch
    imports_services.batch_confirm(actor=actor, batch=batch)
    # The confirm queued the commit task after its transaction; committing here too is safe: a
    # batch commits only from 导入中, under a row lock, so whichever comes second does nothing.
    return imports_services.batch_commit(batch_id=batch.pk)


def payroll_close(*, actor: Any, run: PayrollRun, note: str = "") -> PayrollRun:
    """已对账 → 已关闭: the month is final; no run of the county for it can be generated again."""
    with transaction.atomic():
        run = lock_run(run)
        require_allowed(actor, run, rules.CLOSED)
        transition(run, rules.CLOSED, actor, note)
    return run


def open_checks(run: PayrollRun) -> Any:
    return run.checks.filter(Q(acknowledged_by__isnull=True))
