"""django-import-export in the Django admin, reading files the way the staff portal does.

The library's own formats read .xlsx through openpyxl and .csv as UTF-8 only, and take row 1 as the
header, so a roll with a title row, a `身份证号码*` header or a GB18030 CSV fails there although the
portal accepts it. These formats hand the admin the raw rows read by the engine (``imports.reading``:
the same size/zip/encryption checks, calamine for .xlsx, UTF-8 then GB18030 for .csv); a resource then
calls ``normalise_dataset`` in ``before_import`` to find the header among the first rows with the
engine's ``find_header`` (labels, synonyms, `*` marks, full-width characters, any column order) and
rewrite the dataset into the template's columns.

Unknown columns are reported and ignored (issue #3), as in the portal: the resource puts a notice on
the import's ``NoticedResult`` and the admin shows it as a warning on the preview (and after the
confirmed import).
"""

from __future__ import annotations

import functools
import tempfile
from pathlib import Path
from typing import Any

import tablib
from django.contrib import messages
from import_export.formats.base_formats import CSV, XLSX
from import_export.results import Result

from .forms import size_checked
from .reading import FileRejected, check_file, check_size, read_cells, table_from_rows
from .registry import Column, Table


IGNORED_COLUMNS = "未识别的列（已忽略）：{}"  # the same words as the portal's preview (imports.services)


class NoticedResult(Result):
    """The library's Result plus ``notices``: remarks on the whole file that are not errors and do not
    stop the import (e.g. columns that were ignored)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.notices: list[str] = []


def file_notices(table: Table) -> list[str]:
    """What the clerk should know about the file as a whole: the header cells that are not template
    columns (or repeat one), ignored by the import."""
    return [IGNORED_COLUMNS.format("、".join(table.unknown_columns))] if table.unknown_columns else []


class _EngineFormat:
    """Import side only: the export side stays the library's (our resources neutralise the cells)."""

    def is_binary(self) -> bool:
        return True  # the engine decides the encoding (UTF-8 or GB18030) itself

    def get_read_mode(self) -> str:
        return "rb"

    def create_dataset(self, in_stream: Any) -> tablib.Dataset:
        """Every row of the first sheet, padded to one width, with no header yet (see normalise_dataset)."""
        data = in_stream.encode("utf-8") if isinstance(in_stream, str) else bytes(in_stream)
        with tempfile.TemporaryDirectory(prefix="admin-import-") as folder:
            path = Path(folder) / "upload"
            path.write_bytes(data)
            rows = read_cells(path, check_file(path, path.name))
        width = max((len(row) for row in rows), default=0)
        if not width:
            raise FileRejected("文件中没有任何数据")
        return tablib.Dataset(*[[*row, *([""] * (width - len(row)))] for row in rows])


class EngineXLSX(_EngineFormat, XLSX):
    pass


class EngineCSV(_EngineFormat, CSV):
    pass


class EngineImportFormatsMixin:
    """For a ModelAdmin with django-import-export: import through the engine's readers, show a refused
    file's Chinese reason instead of the library's generic "… encountered while reading", and show the
    result's notices (NoticedResult) as warnings on the preview and after the confirmed import."""

    import_formats = [EngineXLSX, EngineCSV]

    def get_import_form_class(self, request):
        return _size_checked(super().get_import_form_class(request))  # type: ignore[misc]

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
        # The preview is a TemplateResponse rendered after this returns, so the messages still show on it.
        _warn(request, (getattr(response, "context_data", None) or {}).get("result"))
        return response

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


def _warn(request: Any, result: Any) -> None:
    for notice in getattr(result, "notices", ()):
        messages.warning(request, notice)


def normalise_dataset(dataset: tablib.Dataset, columns: tuple[Column, ...]) -> Table:
    """Rewrite a raw dataset (title rows, header, data) in place into the template's shape: headers
    are the labels of the columns found (so the resource's fields match them), rows are the data rows
    without blank ones. Returns the engine's Table, whose rows keep their Excel row numbers (the
    dataset's n-th row is ``table.rows[n - 1]``).

    A file-level problem (no header, a missing required column, no data rows) empties the dataset,
    so that no row is processed, and raises FileRejected naming it.
    """
    rows = ([list(dataset.headers)] if dataset.headers else []) + [list(row) for row in dataset]
    try:
        table = table_from_rows(rows, columns)
    except FileRejected:
        dataset.wipe()
        raise
    keys = list(table.columns)
    dataset.wipe()
    dataset.headers = [table.labels[key] for key in keys]
    for _, cells in table.rows:
        dataset.append([cells[table.columns[key]] if table.columns[key] < len(cells) else "" for key in keys])
    return table
