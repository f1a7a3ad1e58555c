"""Small spreadsheets built in tmp_path, the way villages send them."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import openpyxl

from imports import services
from imports.models import ImportBatch
from tests.factories import valid_id_number

ROLL_HEADER = ["身份证号码", "姓名", "户号", "村(社区)"]


def new_id(birth: dt.date = dt.date(1950, 3, 15), sex: str = "M") -> str:
    return valid_id_number(birth, sex, "610403")


def xlsx(path: Path, rows: list[list[Any]], *, title_rows: list[list[Any]] | None = None) -> Path:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    for row in title_rows or []:
        sheet.append(row)
    for row in rows:
        sheet.append(row)
    workbook.save(path)
    return path


def roll(tmp_path: Path, rows: list[list[Any]], header: list[str] | None = None, name: str = "roll.xlsx", **kw) -> Path:
    return xlsx(tmp_path / name, [header or ROLL_HEADER, *rows], **kw)


def import_now(user, path: Path, *, kind: str = "roll", mode: str = "skip", dry_run: bool = False) -> ImportBatch:
    return services.batch_import_now(actor=user, kind=kind, path=path, mode=mode, dry_run=dry_run)


def validate(user, path: Path, *, kind: str = "roll", mode: str = "skip") -> ImportBatch:
    batch = services.batch_create(actor=user, kind=kind, file=path, mode=mode, enqueue=False)
    return services.batch_validate(batch_id=batch.pk)


def error_rows(batch: ImportBatch) -> list[tuple]:
    """The 错误明细 sheet of the batch's error workbook as (row, column, value, reason)."""
    workbook = openpyxl.load_workbook(batch.error_report.path, read_only=True)
    sheet = workbook["错误明细"]
    return [tuple(r) for r in sheet.iter_rows(min_row=2, values_only=True) if r[0] is not None]


def matrix_batches(settings, tmp_path: Path) -> tuple[ImportBatch, ImportBatch]:
    """(our township's batch, another county's batch), each 待确认 with a kept file and an error workbook."""
    from django.core.files.base import ContentFile

    settings.MEDIA_ROOT = tmp_path / "media"
    made = []
    for code in ("610403001000", "141002001000"):
        batch = ImportBatch(kind="roll", region_code=code, filename="roll.xlsx", size=10,
                            status=ImportBatch.Status.READY, counts={"new": 1, "updated": 0, "unchanged": 0, "error": 1})
        batch.file.save("roll.xlsx", ContentFile(b"PK\x03\x04"), save=False)
        batch.error_report.save("errors.xlsx", ContentFile(b"PK\x03\x04"), save=False)
        batch.save()
        made.append(batch)
    return made[0], made[1]
