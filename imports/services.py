"""The import engine: upload → validate the whole file → preview → confirm → commit → error workbook.

Guarantees:
- nothing is written before the clerk confirms (validation only reads);
- a commit re-reads and re-validates the kept file inside one transaction, against the data as it is
  then, and writes all valid rows — or, in strict mode with any error, nothing;
- a batch commits at most once: the confirm step moves 待确认 → 导入中 under a row lock, and the
  commit runs only from 导入中 (a redelivered or double-clicked commit is a no-op);
- one audit event per batch action (upload, commit, cancel), never one per row;
- a file that cannot be imported fails the batch (失败) with a message saying why, and nothing is
  written: ``FileRejected`` (not a spreadsheet, no header, a missing column …) with the message only;
  ``FileRefused``, raised by a kind that refuses the whole file in every mode, with its report too —
  counts, the preview's errors and the error workbook, stored after any rolled-back commit.
"""

from __future__ import annotations

import logging
import tempfile
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files import File
from django.db import DatabaseError, IntegrityError, connection, transaction
from django.utils import timezone

from audit.services import record
from core.scoping import area_prefixes

from .models import ImportBatch
from .reading import FileRejected, check_file, check_size, read_table
from .registry import Context, Plan, RowError, Table, get_kind
from .reports import write_error_workbook

logger = logging.getLogger(__name__)

PREVIEW_CHANGES = 50
PREVIEW_ERRORS = 100
Status = ImportBatch.Status


class FileRefused(FileRejected):
    """A kind refuses the whole file, in every mode, and the clerk should still see why row by row.

    Raise it from a kind's ``validate`` (or ``commit``) instead of a plain ``FileRejected`` when the
    file as a whole must not be imported because of some of its rows (e.g. a bank return file with a
    line not in the run: issue 8). ``message`` says why, in Chinese; ``errors`` are the file's problem
    rows (the refusing ones and any others). The engine fails the batch (失败) with the message and
    keeps the report a checked file gets — counts (every problem row an error; nothing new, updated or
    unchanged), the preview's errors, the error workbook (the message first in 错误明细) — so the
    kind itself writes nothing. Refused while committing, the engine's transaction is rolled back
    first (whatever the kind wrote is gone) and the report is stored after it. Being a
    ``FileRejected``, it needs no new ``except`` wherever a rejected file is already handled.
    """

    def __init__(self, message: str, *, errors: Iterable[RowError] = ()) -> None:
        super().__init__(message)
        self.errors: list[RowError] = list(errors)
        self.table: Table | None = None  # set by the engine: the rows the errors point at


class ImportFailed(Exception):
    """The import could not run to its end for a reason outside the file (the database connection
    was lost, a conflict with a concurrent import persisted): the batch is 失败 with ``message``, in
    Chinese, and nothing of it was written."""

    def __init__(self, message: str, *, batch_id: int | None = None) -> None:
        super().__init__(message)
        self.batch_id = batch_id


ATTEMPTS = 3  # a commit that conflicts with a concurrent import is re-validated and retried this often
CONFLICT_MESSAGE = ("与同时进行的另一导入冲突（同一批老年人或户），已重试 {n} 次仍未成功，本批次未写入任何数据；"
                    "请稍后重新导入")
DATABASE_MESSAGE = "数据库连接中断或数据库出错（{name}），本批次未写入任何数据；请稍后重新导入"


def _retryable(exc: BaseException) -> bool:
    """A unique violation (the same new elders or households inserted by a concurrent import), a
    deadlock or a serialization failure: the whole commit is rolled back and can simply run again —
    re-validated, the other import's rows are then stored rows (updates or unchanged)."""
    if isinstance(exc, IntegrityError):
        return True
    state = getattr(exc, "sqlstate", None) or getattr(exc.__cause__, "sqlstate", None)
    return state in ("23505", "40P01", "40001")


def _is_database_error(exc: BaseException) -> bool:
    """Django's DatabaseError, or psycopg's own (a COPY through the raw cursor is not wrapped)."""
    return isinstance(exc, DatabaseError) or type(exc).__module__.startswith("psycopg")


def _fail_after_database_error(batch_id: int, message: str) -> None:
    """Mark the batch 失败 although the connection may be dead (pg_terminate_backend, a restarted
    server): reconnect once. If even that fails, log it; the caller still reports the message."""
    for attempt in (1, 2):
        try:
            if attempt == 2 or not connection.in_atomic_block:
                connection.close_if_unusable_or_obsolete()
            _fail(batch_id, message)
            return
        except DatabaseError:
            if connection.in_atomic_block:
                break
            connection.close()
    logger.exception("import batch %s: could not be marked failed (%s)", batch_id, message)


def area_root(actor: Any) -> str:
    """The 12-character code that stands for the uploader's area (first prefix, zero-padded)."""
    prefixes = area_prefixes(actor)
    if prefixes is None:
        return ""
    if not prefixes:
        raise PermissionDenied("您的账号尚未分配管辖区域，不能导入")
    return prefixes[0].ljust(12, "0")


def batch_create(
    *, actor: Any, kind: str, file: Any, filename: str = "", mode: str = "skip",
    enqueue: bool = True,
) -> ImportBatch:
    """Keep the uploaded file and queue its validation. Refuses (FileRejected) before keeping anything
    a file that is too large, empty, encrypted or not a spreadsheet."""
    importer = get_kind(kind)
    if not importer.allowed_for(actor):
        raise PermissionDenied("您的角色无权进行此类导入")
    if mode not in ImportBatch.Mode.values:
        raise ValidationError({"mode": "未知的导入模式"})
    region_code = area_root(actor)
    if isinstance(file, str | Path):
        path = Path(file)
        filename = filename or path.name
        size = path.stat().st_size
        check_size(size)
        check_file(path, filename)
        handle: Any = File(open(path, "rb"), name=path.name)  # noqa: SIM115 - closed below
    else:
        filename = filename or Path(file.name).name
        size = file.size
        check_size(size)
        with tempfile.NamedTemporaryFile(suffix=Path(filename).suffix) as tmp:
            for chunk in file.chunks():
                tmp.write(chunk)
            tmp.flush()
            check_file(Path(tmp.name), filename)
        file.seek(0)
        handle = file
    try:
        with transaction.atomic():
            batch = ImportBatch(
                kind=kind, uploaded_by=actor if getattr(actor, "pk", None) else None, region_code=region_code,
                filename=filename[:255], size=size, mode=mode,
            )
            suffix = Path(filename).suffix.lower() if Path(filename).suffix.lower() in (".xlsx", ".csv") else ".bin"
            batch.file.save(f"{kind}{suffix}", handle, save=False)
            batch.save()
            record(actor=actor, event="imports.batch_upload", obj=batch,
                   detail={"kind": kind, "filename": filename, "size": size, "mode": mode})
            if enqueue:
                from .tasks import validate_batch

                transaction.on_commit(lambda: validate_batch.delay(batch.pk))
    finally:
        if isinstance(file, str | Path):
            handle.close()
    return batch


@dataclass
class Outcome:
    plan: Plan | None
    written: dict
    seconds: float
    table: Table | None = None


def _progress_writer(batch: ImportBatch, start: int, end: int):
    state = {"last": -1}

    def report(fraction: float) -> None:
        value = int(start + (end - start) * max(0.0, min(1.0, fraction)))
        if value - state["last"] >= 5:
            state["last"] = value
            ImportBatch.objects.filter(pk=batch.pk).update(progress=value)
            batch.progress = value

    return report


def _store_report(batch: ImportBatch, table: Table | None, errors: list[RowError], notes: Iterable[str] = ()) -> None:
    notes = list(notes)
    if table is not None and table.unknown_columns:
        notes.append("未识别的列（已忽略）：" + "、".join(table.unknown_columns))
    if not errors and not notes:
        if batch.error_report:
            batch.error_report.delete(save=False)
        return
    with tempfile.NamedTemporaryFile(suffix=".xlsx") as tmp:
        write_error_workbook(Path(tmp.name), table, errors, notes)
        if batch.error_report:
            batch.error_report.delete(save=False)
        with open(tmp.name, "rb") as fh:
            batch.error_report.save(f"batch-{batch.pk}-errors.xlsx", File(fh), save=False)


def _keep_report(batch: ImportBatch, table: Table | None, plan: Plan, written: dict, notes: Iterable[str] = ()) -> None:
    """Fill the batch's counts, preview and error workbook (not saved: the caller saves the batch)."""
    batch.counts = plan.counts()
    batch.preview = {
        "rows": len(table.rows) if table is not None else 0,
        "header_row": table.header_row if table is not None else None,
        "unknown_columns": table.unknown_columns if table is not None else [],
        "changes": plan.changes[:PREVIEW_CHANGES],
        "errors": [e.as_dict() for e in sorted(plan.errors, key=lambda e: e.row)[:PREVIEW_ERRORS]],
        "written": written,
    }
    _store_report(batch, table, plan.errors, notes)


def _process(batch: ImportBatch, actor: Any, *, write: bool, progress_range=(5, 95), keep_rows: bool = False) -> Outcome:
    """Read, validate and (if ``write``) commit; fills the batch's counts/preview/report, not its status.
    A kind's FileRefused leaves with the table attached, for ``_refuse``."""
    started = time.perf_counter()
    kind = get_kind(batch.kind)
    table = read_table(Path(batch.file.path), batch.filename, kind.columns)
    ctx = Context(user=actor, table=table, strict=batch.strict, batch=batch, keep_rows=keep_rows,
                  progress=_progress_writer(batch, *progress_range) if not write else (lambda f: None))
    try:
        plan = kind.validate(ctx)
        written: dict = {}
        if write and not (batch.strict and plan.errors):
            written = kind.commit(ctx, plan) or {}
    except FileRefused as exc:
        exc.table = table
        raise
    _keep_report(batch, table, plan, written)
    return Outcome(plan=plan, written=written, seconds=time.perf_counter() - started, table=table)


def _fail(batch_id: int, message: str) -> None:
    ImportBatch.objects.filter(pk=batch_id).update(status=Status.FAILED, message=message[:2000], progress=100)


def _refuse(batch_id: int, refusal: FileRefused, *, validated: bool = False) -> ImportBatch:
    """Fail the batch with the refusal's message and store its report. Called outside the engine's
    transaction, so a refusal while committing keeps its report although the commit was rolled back."""
    message = str(refusal)
    try:
        batch = ImportBatch.objects.get(pk=batch_id)
        _keep_report(batch, refusal.table, Plan(errors=refusal.errors), {}, [message] if refusal.errors else [])
        batch.status = Status.FAILED
        batch.message = message[:2000]
        batch.progress = 100
        fields = ["status", "message", "progress", "counts", "preview", "error_report"]
        if validated:
            batch.validated_at = timezone.now()
            fields.append("validated_at")
        batch.save(update_fields=fields)
    except Exception:  # the refusal must still reach the clerk if its report cannot be stored
        logger.exception("import batch %s: could not store the refused file's report", batch_id)
        _fail(batch_id, message)
    return ImportBatch.objects.get(pk=batch_id)


def _record_refused_commit(batch_id: int) -> None:
    """The commit's audit event when the file was refused (the rolled-back transaction took none)."""
    batch = ImportBatch.objects.get(pk=batch_id)
    record(actor=batch.uploaded_by, event="imports.batch_commit", obj=batch, outcome="refused",
           detail={"kind": batch.kind, "counts": batch.counts, "message": batch.message[:500]})


def batch_validate(*, batch_id: int, keep_rows: bool = False) -> ImportBatch:
    """Parse and validate the whole file; the batch becomes 待确认 (or 失败 naming the file's problem).
    Idempotent: a batch already past validation is returned unchanged. A batch validated here carries
    its ``outcome`` (the plan and the table; with ``keep_rows``, each row's outcome: the admin's preview)."""
    with transaction.atomic():
        batch = ImportBatch.objects.select_for_update().get(pk=batch_id)
        if batch.status not in (Status.PENDING, Status.VALIDATING):
            return batch
        batch.status = Status.VALIDATING
        batch.progress = 5
        batch.save(update_fields=["status", "progress"])
    outcome = None
    try:
        outcome = _process(batch, batch.uploaded_by, write=False, keep_rows=keep_rows)
    except FileRefused as exc:
        _refuse(batch.pk, exc, validated=True)
    except FileRejected as exc:
        _fail(batch.pk, str(exc))
    except Exception as exc:  # a bug must not leave the page polling forever
        if _is_database_error(exc):
            logger.exception("import batch %s: validation failed on a database error", batch_id)
            _fail_after_database_error(batch.pk, DATABASE_MESSAGE.format(name=type(exc).__name__))
        else:
            logger.exception("import batch %s: validation failed", batch_id)
            _fail(batch.pk, f"校验时出现系统错误（{type(exc).__name__}），请联系管理员")
    else:
        batch.status = Status.READY
        batch.progress = 100
        batch.validated_at = timezone.now()
        batch.save(update_fields=["status", "progress", "counts", "preview", "error_report", "validated_at"])
    batch.refresh_from_db()
    if outcome is not None:
        setattr(batch, "outcome", outcome)  # noqa: B010 - for the admin's preview
    return batch


def batch_confirm(*, actor: Any, batch: ImportBatch, enqueue: bool = True) -> ImportBatch:
    """The clerk's 确认导入: 待确认 → 导入中 under a row lock, then the commit is queued (unless
    ``enqueue`` is false: the caller then runs ``batch_commit`` itself, as the admin does). A second
    confirm of the same batch (double click, two tabs) raises ValidationError and queues nothing."""
    if not get_kind(batch.kind).allowed_for(actor):
        raise PermissionDenied("您的角色无权进行此类导入")
    with transaction.atomic():
        locked = ImportBatch.objects.select_for_update().get(pk=batch.pk)
        if locked.status != Status.READY:
            raise ValidationError(f"该批次当前状态为「{locked.get_status_display()}」，不能再次确认")
        if not locked.can_confirm:
            raise ValidationError("严格模式下文件有错误，不能导入；请修改后重新上传" if locked.strict and locked.counts.get("error")
                                  else "没有需要导入的新增或变更行")
        locked.status = Status.COMMITTING
        locked.progress = 0
        locked.save(update_fields=["status", "progress"])
        if enqueue:
            from .tasks import commit_batch

            transaction.on_commit(lambda: commit_batch.delay(locked.pk))
    return locked


def batch_commit(*, batch_id: int) -> ImportBatch:
    """Write the confirmed batch in one transaction. Runs only from 导入中, so it commits at most once.
    A refused file (FileRejected, FileRefused) rolls the transaction back and fails the batch; a
    conflict with a concurrent import (unique violation, deadlock) rolls back and runs again."""
    for attempt in range(1, ATTEMPTS + 1):
        try:
            with transaction.atomic():
                batch = ImportBatch.objects.select_for_update().get(pk=batch_id)
                if batch.status != Status.COMMITTING:
                    return batch
                actor = batch.uploaded_by
                outcome = _process(batch, actor, write=True)
                _finish(batch, actor, outcome)
        except FileRefused as exc:
            _refuse(batch_id, exc)
            _record_refused_commit(batch_id)
        except FileRejected as exc:
            _fail(batch_id, str(exc))
            _record_refused_commit(batch_id)
        except Exception as exc:
            if _is_database_error(exc):
                if _retryable(exc) and attempt < ATTEMPTS:
                    logger.warning("import batch %s: conflict with a concurrent import, retrying (%s)", batch_id, exc)
                    continue
                logger.exception("import batch %s: commit failed on a database error", batch_id)
                _fail_after_database_error(batch_id, CONFLICT_MESSAGE.format(n=ATTEMPTS) if _retryable(exc)
                                           else DATABASE_MESSAGE.format(name=type(exc).__name__))
                break
            logger.exception("import batch %s: commit failed", batch_id)
            _fail(batch_id, f"导入时出现错误，未写入任何数据（{type(exc).__name__}: {str(exc)[:200]}）")
        break
    return ImportBatch.objects.get(pk=batch_id)


def _finish(batch: ImportBatch, actor: Any, outcome: Outcome) -> None:
    plan = outcome.plan
    assert plan is not None
    if batch.strict and plan.errors:
        batch.status = Status.FAILED
        batch.message = f"严格模式：文件有 {plan.error_rows} 行错误，未导入任何数据"
    else:
        batch.status = Status.DONE
        batch.message = ""
    batch.progress = 100
    batch.committed_at = timezone.now()
    batch.save()
    record(actor=actor, event="imports.batch_commit", obj=batch,
           outcome="ok" if batch.status == Status.DONE else "refused",
           detail={"kind": batch.kind, "counts": batch.counts, "written": outcome.written,
                   "seconds": round(outcome.seconds, 2)})


def batch_cancel(*, actor: Any, batch: ImportBatch) -> ImportBatch:
    """Cancel a batch that has not been committed; its file and preview stay in the history."""
    with transaction.atomic():
        locked = ImportBatch.objects.select_for_update().get(pk=batch.pk)
        if locked.status not in (Status.PENDING, Status.VALIDATING, Status.READY, Status.FAILED):
            raise ValidationError(f"该批次当前状态为「{locked.get_status_display()}」，不能取消")
        locked.status = Status.CANCELLED
        locked.save(update_fields=["status"])
        record(actor=actor, event="imports.batch_cancel", obj=locked)
    return locked


def batch_import_now(
    *, actor: Any, kind: str, path: str | Path, mode: str = "skip", dry_run: bool = False,
) -> ImportBatch:
    """Synchronous one-pass import for the CLI and the benchmark: keep the file, validate and (unless
    ``dry_run``) commit in one transaction. Raises FileRejected for a file-level problem (the batch is
    失败). A file its kind refuses with a report (FileRefused) comes back 失败 with that report — counts,
    errors, error workbook — as a strict import with errors does; nothing is written either way."""
    batch = batch_create(actor=actor, kind=kind, file=path, mode=mode, enqueue=False)
    started = time.perf_counter()
    if dry_run:
        try:
            outcome = _process(batch, actor, write=False)
        except FileRefused as exc:
            return _refused_now(_refuse(batch.pk, exc, validated=True), started)
        except FileRejected as exc:
            _fail(batch.pk, str(exc))
            raise
        except Exception as exc:
            if not _is_database_error(exc):
                raise
            logger.exception("import batch %s: database error", batch.pk)
            message = DATABASE_MESSAGE.format(name=type(exc).__name__)
            _fail_after_database_error(batch.pk, message)
            raise ImportFailed(message, batch_id=batch.pk) from exc
        batch.status = Status.CANCELLED
        batch.message = "试运行（--dry-run）：只校验，未写入"
        batch.validated_at = timezone.now()
        batch.progress = 100
        batch.save()
        setattr(batch, "outcome", outcome)  # noqa: B010 - for the caller (CLI, benchmark)
        return batch
    for attempt in range(1, ATTEMPTS + 1):
        try:
            with transaction.atomic():
                outcome = _process(batch, actor, write=True)
                batch.validated_at = timezone.now()
                _finish(batch, actor, outcome)
        except FileRefused as exc:
            batch = _refuse(batch.pk, exc, validated=True)
            _record_refused_commit(batch.pk)
            return _refused_now(batch, started)
        except FileRejected as exc:
            _fail(batch.pk, str(exc))
            _record_refused_commit(batch.pk)
            raise
        except Exception as exc:
            if not _is_database_error(exc):
                raise
            if _retryable(exc) and attempt < ATTEMPTS and not connection.in_atomic_block:
                logger.warning("import batch %s: conflict with a concurrent import, retrying (%s)", batch.pk, exc)
                batch.refresh_from_db()
                continue
            logger.exception("import batch %s: database error", batch.pk)
            message = (CONFLICT_MESSAGE.format(n=ATTEMPTS) if _retryable(exc)
                       else DATABASE_MESSAGE.format(name=type(exc).__name__))
            _fail_after_database_error(batch.pk, message)
            raise ImportFailed(message, batch_id=batch.pk) from exc
        break
    setattr(batch, "outcome", outcome)  # noqa: B010 - for the caller (CLI, benchmark)
    return batch


def _refused_now(batch: ImportBatch, started: float) -> ImportBatch:
    setattr(batch, "outcome", Outcome(plan=None, written={}, seconds=time.perf_counter() - started))  # noqa: B010
    return batch
