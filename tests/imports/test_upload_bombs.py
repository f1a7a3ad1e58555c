"""Hostile spreadsheets are refused before any grid is built: in the portal's reader, the worker, the
CLI and the admin import — fast, in little memory, with a Chinese message naming the limit (issue 14
finding 4, issue 15 finding 3). Memory is measured in a child process (its own peak RSS)."""

from __future__ import annotations

import io
import multiprocessing
import time
from pathlib import Path

import pytest
from django.urls import reverse

from bench.upload_bombs import (
    build_far_cell,
    build_lying_zip,
    build_oversized,
    build_xlsx,
    build_zip_bomb,
    header_row,
    sheet_xml,
)
from registry.importers import ROLL_COLUMNS
from imports import services
from imports.models import ImportBatch
from imports.reading import FileRejected, check_file, read_cells, read_table

from .bomb_child import read_in_child
from .helpers import new_id, roll
from tests.conftest import VILLAGE

MB = 1024 * 1024


def _refuse(path: Path) -> str:
    with pytest.raises(FileRejected) as caught:
        read_table(path, path.name, ROLL_COLUMNS)
    return str(caught.value)


def _refuse_in_child(path: Path) -> tuple[float, int, str]:
    """(seconds, peak RSS growth in KiB, message) of reading ``path`` in a child process (a fresh
    interpreter, tests/imports/bomb_child.py): a bomb that got through would make the child allocate
    gigabytes or die, not the test process."""
    ctx = multiprocessing.get_context("spawn")
    queue = ctx.Queue()
    child = ctx.Process(target=read_in_child, args=(str(path), queue))
    child.start()
    child.join(60)
    if child.exitcode is None:  # still running: never leave it behind holding inherited descriptors
        child.kill()
        child.join(5)
        pytest.fail("reading the file in a child process took more than 60 s")
    assert child.exitcode == 0, f"the reading process died (exit {child.exitcode})"
    return queue.get(timeout=5)


def test_attack_xfd2000_cell_refused_fast_in_little_memory(tmp_path):
    path = build_far_cell(tmp_path / "xfd2000.xlsx", "XFD2000")
    assert path.stat().st_size < 2048
    seconds, growth_kib, message = _refuse_in_child(path)
    assert "列数太多" in message and "XFD" in message and "100 列" in message
    assert seconds < 1 and growth_kib < 100 * 1024


def test_attack_xfd200000_cell_refused_fast(tmp_path):
    path = build_far_cell(tmp_path / "xfd200000.xlsx", "XFD200000")
    seconds, growth_kib, message = _refuse_in_child(path)
    assert "列数太多" in message and "16,384" in message
    assert seconds < 1 and growth_kib < 100 * 1024


def test_attack_far_cell_without_a_dimension_tag_is_refused(tmp_path):
    path = build_far_cell(tmp_path / "nodim.xlsx", "XFD200000", dimension=None)
    assert "列数太多" in _refuse(path)


def test_attack_far_row_under_a_lying_dimension_is_refused_naming_the_row_limit(tmp_path, settings):
    settings.IMPORT_MAX_ROWS = 1000
    path = build_far_cell(tmp_path / "rows.xlsx", "B5000")
    message = _refuse(path)
    assert "行数太多" in message and "1,000 行" in message


def test_attack_wide_and_long_range_exceeds_the_cell_limit(tmp_path, settings):
    settings.IMPORT_MAX_CELLS = 100_000
    settings.IMPORT_MAX_ROWS = 3_000
    cells = header_row() + '<row r="2"><c r="CV2"><v>1</v></c></row><row r="2000"><c r="A2000"><v>1</v></c></row>'
    path = build_xlsx(tmp_path / "cells.xlsx", sheet_xml(cells))
    message = _refuse(path)
    assert "单元格" in message and "100,000" in message


@pytest.mark.parametrize("variant", [
    "lower case", "prefixed tags", "cells without references", "single quotes", "sheet not named sheet1",
])
def test_attack_far_cell_written_in_another_shape_is_refused(tmp_path, variant):
    """calamine reads every one of these the same way as <c r="XFD200000">: so must the scan."""
    far = '<c r="XFD200000"><v>1</v></c>'
    target, member = "worksheets/sheet1.xml", "xl/worksheets/sheet1.xml"
    if variant == "lower case":
        cells = header_row() + '<row r="200000"><c r="xfd200000"><v>1</v></c></row>'
    elif variant == "prefixed tags":
        cells = header_row() + '<x:row r="200000"><x:c r="XFD200000"><x:v>1</x:v></x:c></x:row>'
    elif variant == "cells without references":
        cells = header_row() + "<row>" + "<c><v>1</v></c>" * 200 + "</row>"
    elif variant == "single quotes":
        cells = header_row() + f"<row r='200000'><c t='n' r='XFD200000'><v>1</v></c></row>"
    else:
        target, member = "../data/hidden.xml", "data/hidden.xml"
        cells = header_row() + f'<row r="200000">{far}</row>'
    path = build_xlsx(tmp_path / "shape.xlsx", sheet_xml(cells, None), target=target, member=member)
    assert "列数太多" in _refuse(path)


def test_attack_zip_bomb_refused_from_the_declared_size_naming_the_limit(tmp_path):
    path = build_zip_bomb(tmp_path / "bomb.xlsx", megabytes=400)
    seconds, growth_kib, message = _refuse_in_child(path)
    assert "解压后超过 300 MB" in message
    assert seconds < 1 and growth_kib < 100 * 1024


def test_attack_zip_bomb_with_understated_sizes_is_refused_without_inflating_it(tmp_path):
    path = build_lying_zip(tmp_path / "lying.xlsx", megabytes=64)
    seconds, growth_kib, message = _refuse_in_child(path)
    assert "损坏" in message
    assert seconds < 1 and growth_kib < 100 * 1024


def test_attack_dtd_in_a_sheet_is_refused(tmp_path):
    sheet = ('<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaaaaaaaa">]>'
             '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
             "<row><c><v>&a;</v></c></row></sheetData></worksheet>")
    path = build_xlsx(tmp_path / "dtd.xlsx", sheet)
    assert "DTD" in _refuse(path)


def test_attack_csv_with_thousands_of_columns_is_refused(tmp_path):
    path = tmp_path / "wide.csv"
    path.write_text("身份证号码,姓名,户号,村(社区)\n" + "," * 20_000 + "\n", encoding="utf-8")
    assert "列数太多" in _refuse(path)


def test_read_cells_checks_the_bounds_itself_even_without_check_file(tmp_path):
    path = build_far_cell(tmp_path / "direct.xlsx", "XFD200000")
    with pytest.raises(FileRejected, match="列数太多"):
        read_cells(path, "xlsx")


def test_a_normal_roll_with_a_truthful_dimension_still_reads(tmp_path):
    path = roll(tmp_path, [[new_id(), "张三", "H1", VILLAGE]])
    assert check_file(path, path.name) == "xlsx"
    assert read_table(path, path.name, ROLL_COLUMNS).rows


def test_attack_xfd200000_through_the_worker_fails_the_batch_with_the_message(county_admin, tmp_path, settings):
    """The worker's validation marks the batch 失败 with the reason (it used to stay 校验中 forever)."""
    path = build_far_cell(tmp_path / "xfd.xlsx", "XFD200000")
    batch = ImportBatch.objects.create(kind="roll", region_code="610403000000", filename="xfd.xlsx", size=1700,
                                       uploaded_by=county_admin)
    batch.file.save("roll.xlsx", io.BytesIO(path.read_bytes()))
    from imports.tasks import validate_batch

    assert validate_batch.apply(args=(batch.pk,)).get() == ImportBatch.Status.FAILED
    batch.refresh_from_db()
    assert batch.status == ImportBatch.Status.FAILED and "列数太多" in batch.message


def test_attack_xfd200000_at_upload_is_refused_before_anything_is_kept(county_admin, tmp_path):
    path = build_far_cell(tmp_path / "xfd.xlsx", "XFD200000")
    with pytest.raises(FileRejected, match="列数太多"):
        services.batch_create(actor=county_admin, kind="roll", file=path, enqueue=False)
    assert not ImportBatch.objects.exists()


def test_attack_xfd200000_through_import_roll_exits_with_the_message(county_admin, tmp_path):
    from django.core.management import CommandError, call_command

    path = build_far_cell(tmp_path / "xfd.xlsx", "XFD200000")
    with pytest.raises(CommandError, match="列数太多"):
        call_command("import_roll", str(path), "--user", county_admin.username)


def test_attack_xfd200000_in_the_admin_import_is_refused_with_the_message(client, county_admin, tmp_path):
    client.force_login(county_admin)
    path = build_far_cell(tmp_path / "xfd.xlsx", "XFD200000")
    with open(path, "rb") as fh:
        response = client.post(reverse("admin:registry_elder_import"), {"format": "0", "import_file": fh})
    assert response.status_code == 200
    assert "列数太多" in response.content.decode()


def test_attack_100mb_file_in_the_admin_import_is_refused_fast_from_its_size(client, county_admin, tmp_path):
    """It took ≈ 89 s (the library concatenates the upload chunk by chunk) to refuse it."""
    client.force_login(county_admin)
    path = build_oversized(tmp_path / "big.xlsx", megabytes=100)
    from bench.upload_bombs import refuse_in_admin

    started = time.perf_counter()
    message = refuse_in_admin(str(path))
    assert time.perf_counter() - started < 1
    assert "文件太大" in message and "20 MB" in message
    with open(path, "rb") as fh:
        response = client.post(reverse("admin:registry_elder_import"), {"format": "0", "import_file": fh})
    assert "文件太大" in response.content.decode()


@pytest.mark.bench
@pytest.mark.django_db  # the result file records the database version
def test_the_upload_bomb_benchmark_runs_and_meets_its_targets(tmp_path):
    from bench import upload_bombs

    outcome = upload_bombs.run(runs=1, results_dir=tmp_path, only=["xfd200000", "lying_zip"])
    assert outcome["path"].exists()
    assert all(v.endswith("met") for v in outcome["verdicts"]), outcome["verdicts"]


@pytest.mark.celery_worker
@pytest.mark.django_db(transaction=True)
def test_attack_xfd200000_through_a_real_worker_fails_the_batch_and_the_worker_survives(
    county_admin, tmp_path, settings
):
    """The same file through Celery (a real worker when a broker is configured): the batch ends 失败
    with the message, and the same worker then validates a good file."""
    from imports.tasks import validate_batch
    from tests.celery_helpers import real_worker_if_broker

    settings.MEDIA_ROOT = tmp_path / "media"
    bomb = ImportBatch.objects.create(kind="roll", region_code="610403000000", filename="xfd.xlsx", size=1700,
                                      uploaded_by=county_admin)
    bomb.file.save("roll.xlsx", io.BytesIO(build_far_cell(tmp_path / "xfd.xlsx", "XFD200000").read_bytes()))
    good = services.batch_create(actor=county_admin, kind="roll", enqueue=False,
                                 file=roll(tmp_path, [[new_id(), "甲", "H1", VILLAGE]]))
    with real_worker_if_broker():
        assert validate_batch.delay(bomb.pk).get(timeout=60) == ImportBatch.Status.FAILED
        assert validate_batch.delay(good.pk).get(timeout=60) == ImportBatch.Status.READY
    bomb.refresh_from_db()
    assert "列数太多" in bomb.message
