"""django-import-export's screens in the Django admin as a thin adapter over the import engine.

Upload: the engine's readers (``imports.reading``), never the library's formats. Preview: an engine
batch in strict mode (``services.batch_create`` + ``batch_validate``), its rows shown as the importer
kind would add, change or reject them, with the kind's Chinese messages. Confirm: the engine's
``batch_confirm`` (row lock: a second confirm is refused) and ``batch_commit`` — the same rules, batch,
audit events and compare-and-set writes as a portal import. A resource names its kind
(``EngineImportResource.import_kind``); the admin class uses ``EngineImportFormatsMixin``.
"""

from __future__ import annotations

import contextlib
import functools
import tempfile
from pathlib import Path
from typing import Any

import tablib
from django import forms
from django.contrib import messages
from django.core.exceptions import NON_FIELD_ERRORS, PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.http import HttpResponseRedirect
from django.urls import reverse
from import_export.formats.base_formats import CSV, XLSX
from import_export.results import Error, Result, RowResult

from . import services
from .forms import size_checked
from .models import ImportBatch
from .reading import FileRejected, check_file, check_size, read_cells
from .registry import Plan, Table
from .values import cell_text

IGNORED_COLUMNS = "未识别的列（已忽略）：{}"  # the same words as the portal's preview (imports.services)
ROW_ERROR = "第{row}行 {column}{value}：{reason}"


class NoticedResult(Result):
    """The library's Result plus ``notices`` (remarks on the whole file that do not stop the import,
    e.g. columns that were ignored) and the engine ``batch`` the preview made."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.notices: list[str] = []
        self.batch: ImportBatch | None = None


def file_notices(unknown_columns: list[str]) -> list[str]:
    """The header cells that are not template columns (or repeat one), ignored by the import."""
    return [IGNORED_COLUMNS.format("、".join(unknown_columns))] if unknown_columns else []


class _EngineFormat:
    """Import side only: the export side stays the library's (our resources neutralise the cells)."""

    def is_binary(self) -> bool:
        return True  # the engine decides the encoding (UTF-8 or GB18030) itself

    def get_read_mode(self) -> str:
        return "rb"

    def create_dataset(self, in_stream: Any) -> tablib.Dataset:
        """Every row of the first sheet as the engine reads it (refusing what is no spreadsheet or
        too big with its Chinese reason); the dataset keeps the file's bytes for the engine's batch."""
        data = in_stream.encode("utf-8") if isinstance(in_stream, str) else bytes(in_stream)
        with tempfile.TemporaryDirectory(prefix="admin-import-") as folder:
            path = Path(folder) / "upload"
            path.write_bytes(data)
            rows = read_cells(path, check_file(path, path.name))
        width = max((len(row) for row in rows), default=0)
        if not width:
            raise FileRejected("文件中没有任何数据")
        dataset = tablib.Dataset(*[[*row, *([""] * (width - len(row)))] for row in rows])
        dataset.engine_bytes = data
        return dataset


class EngineXLSX(_EngineFormat, XLSX):
    pass


class EngineCSV(_EngineFormat, CSV):
    pass


class EngineImportResource:
    """For a ModelResource: its import is the engine's importer kind ``import_kind``; ``import_data``
    only previews (the confirm is ``EngineImportFormatsMixin.process_import``)."""

    import_kind = ""

    def import_data(self, dataset, dry_run=False, raise_errors=False, **kwargs):
        if not dry_run:
            raise NotImplementedError("the admin confirms through the engine (EngineImportFormatsMixin)")
        return preview(self.import_kind, kwargs.get("user") or getattr(self, "user", None), dataset,
                       kwargs.get("file_name") or "upload")


def preview(kind: str, user: Any, dataset: tablib.Dataset, file_name: str) -> NoticedResult:
    """An engine batch of the file, validated in strict mode, as the library's preview result."""
    result = NoticedResult()
    upload = ContentFile(dataset.engine_bytes, name=file_name)
    try:
        batch = services.batch_create(actor=user, kind=kind, file=upload, filename=file_name,
                                      mode=ImportBatch.Mode.STRICT, enqueue=False)
    except (FileRejected, PermissionDenied) as exc:
        result.append_base_error(Error(exc))
        return result
    batch = services.batch_validate(batch_id=batch.pk, keep_rows=True)
    outcome = getattr(batch, "outcome", None)
    if batch.status != ImportBatch.Status.READY or outcome is None:
        result.append_base_error(Error(FileRejected(batch.message or batch.get_status_display())))
        return result
    result.batch = batch
    _fill(result, outcome.table, outcome.plan)
    return result


def _fill(result: NoticedResult, table: Table, plan: Plan) -> None:
    """The plan's rows into the library's result: rejected rows with the engine's messages (the
    column they name, the Excel row), the others as new / update / skip with the cells as read."""
    keys = list(table.columns)
    result.diff_headers = [table.labels[key] for key in keys]
    result.notices = file_notices(table.unknown_columns)
    cells = {number: [cell_text(row[table.columns[k]]) if table.columns[k] < len(row) else "" for k in keys]
             for number, row in table.rows}
    problems: dict[int, dict[str, list[str]]] = {}
    for error in sorted(plan.errors, key=lambda e: e.row):
        value = f"「{error.value}」" if error.value else ""
        column = error.column if error.column in result.diff_headers else NON_FIELD_ERRORS
        problems.setdefault(error.row, {}).setdefault(column, []).append(
            ROW_ERROR.format(row=error.row, column=error.column, value=value, reason=error.reason))
    for number, by_column in problems.items():
        row = dict(zip(result.diff_headers, cells.get(number, []), strict=False))
        result.append_invalid_row(number, row, ValidationError(by_column))
    changed = {change["row"]: {label: f"{old} → {new}" for label, old, new in change["fields"]}
               for change in plan.changes}
    for number, import_type in sorted(plan.outcomes.items()):
        row_result = RowResult()
        row_result.import_type = import_type
        row_result.number = number
        shown = changed.get(number, {})
        row_result.diff = [shown.get(label, value) for label, value in zip(result.diff_headers, cells[number], strict=False)]
        result.append_row_result(row_result)
    for key, count in ((RowResult.IMPORT_TYPE_NEW, plan.new), (RowResult.IMPORT_TYPE_UPDATE, plan.updated),
                       (RowResult.IMPORT_TYPE_SKIP, plan.unchanged), (RowResult.IMPORT_TYPE_INVALID, plan.error_rows)):
        result.totals[key] = count
    result.total_rows = len(table.rows)


class EngineImportFormatsMixin:
    """For a ModelAdmin with django-import-export: import through the engine (see the module's
    docstring), show a refused file's Chinese reason instead of the library's generic "…
    encountered while reading", and show the result's notices as warnings on the preview and after
    the confirmed import."""

    import_formats = [EngineXLSX, EngineCSV]

    def get_import_form_class(self, request):
        return _size_checked(super().get_import_form_class(request))  # type: ignore[misc]

    def get_confirm_form_class(self, request):
        return _with_batch(super().get_confirm_form_class(request))  # type: ignore[misc]

    def write_to_tmp_storage(self, import_file, input_format):
        """The library's version, without its ``data += chunk`` (quadratic: ≈ 90 s for 100 MB); the
        form has already refused a file over IMPORT_MAX_FILE_MB."""
        check_size(import_file.size)
        storage = self.get_tmp_storage_class()(  # type: ignore[attr-defined]
            encoding=None, read_mode=input_format.get_read_mode(),
            **self.get_tmp_storage_class_kwargs(),  # type: ignore[attr-defined]
        )
        storage.save(b"".join(import_file.chunks()))
        return storage

    def import_action(self, request, **kwargs):
        response = super().import_action(request, **kwargs)  # type: ignore[misc]
        context = getattr(response, "context_data", None) or {}
        result, confirm_form = context.get("result"), context.get("confirm_form")
        if confirm_form is not None and getattr(result, "batch", None) is not None:
            confirm_form.initial["batch"] = result.batch.pk  # rendered after this returns
        _warn(request, result)
        return response

    def process_import(self, request, **kwargs):
        """The confirm: the previewed batch through the engine's confirm and commit, under its row lock
        (a second confirm of the same batch is refused and writes nothing)."""
        if not self.has_import_permission(request):  # type: ignore[attr-defined]
            raise PermissionDenied
        confirm_form = self.create_confirm_form(request)  # type: ignore[attr-defined]
        if not confirm_form.is_valid():
            return super().process_import(request, **kwargs)  # type: ignore[misc]
        kind = self.choose_import_resource_class(confirm_form, request).import_kind  # type: ignore[attr-defined]
        batch = ImportBatch.objects.filter(pk=confirm_form.cleaned_data["batch"], kind=kind,
                                           uploaded_by=request.user).first()
        with contextlib.suppress(OSError):  # the engine keeps its own copy; gone after a first confirm
            self.get_tmp_storage_class()(name=confirm_form.cleaned_data["import_file_name"],  # type: ignore[attr-defined]
                                         **self.get_tmp_storage_class_kwargs()).remove()  # type: ignore[attr-defined]
        changelist = HttpResponseRedirect(reverse(
            "admin:{}_{}_changelist".format(*self.get_model_info()),  # type: ignore[attr-defined]
            current_app=self.admin_site.name))  # type: ignore[attr-defined]
        if batch is None:
            raise PermissionDenied
        try:
            services.batch_confirm(actor=request.user, batch=batch, enqueue=False)
        except ValidationError as exc:
            messages.error(request, "；".join(exc.messages))
            return changelist
        batch = services.batch_commit(batch_id=batch.pk)
        if batch.status != ImportBatch.Status.DONE:
            messages.error(request, batch.message or batch.get_status_display())
            return changelist
        result = NoticedResult()
        written = batch.preview.get("written", {})
        result.totals[RowResult.IMPORT_TYPE_NEW] = written.get("new", 0)
        result.totals[RowResult.IMPORT_TYPE_UPDATE] = written.get("updated", 0)
        result.totals[RowResult.IMPORT_TYPE_SKIP] = batch.counts.get("unchanged", 0)
        result.notices = file_notices(batch.preview.get("unknown_columns", []))
        return self.process_result(result, request)

    def process_result(self, result, request):
        response = super().process_result(result, request)  # type: ignore[misc]
        _warn(request, result)
        return response

    def add_data_read_fail_error_to_form(self, form, e):
        if isinstance(e, FileRejected):
            form.add_error("import_file", str(e))
            return
        super().add_data_read_fail_error_to_form(form, e)  # type: ignore[misc]


@functools.cache
def _size_checked(form_class: type) -> type:
    """The library's import form, refusing a file over IMPORT_MAX_FILE_MB (or empty) from its size
    alone, before anything reads it."""

    def clean_import_file(self):
        return size_checked(self.cleaned_data["import_file"])

    return type(form_class.__name__, (form_class,), {"clean_import_file": clean_import_file,
                                                    "__module__": __name__})


@functools.cache
def _with_batch(form_class: type) -> type:
    """The library's confirm form, carrying the engine batch the preview made."""
    return type(form_class.__name__, (form_class,), {"batch": forms.IntegerField(widget=forms.HiddenInput),
                                                    "__module__": __name__})


def _warn(request: Any, result: Any) -> None:
    for notice in getattr(result, "notices", ()):
        messages.warning(request, notice)
