"""The staff portal flow: upload → progress → preview → confirm → result → history."""

from __future__ import annotations

import io

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from audit.models import AuditEvent
from registry.models import Elder
from imports import services
from imports.models import ImportBatch

from .helpers import new_id, roll


def _upload(client, path, **data):
    with open(path, "rb") as fh:
        return client.post(reverse("imports:upload"), {"kind": "roll", "mode": "skip", "file": fh, **data})


def test_an_officer_uploads_previews_confirms_and_sees_the_result(client, officer, tmp_path,
                                                                   django_capture_on_commit_callbacks):
    client.force_login(officer)
    rows = [[new_id(), "张三", "H1", "凤岗路社区"], ["123", "坏行", "H2", "凤岗路社区"]]
    with django_capture_on_commit_callbacks(execute=True):
        response = _upload(client, roll(tmp_path, rows))
    batch = ImportBatch.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("imports:batch_detail", args=[batch.pk])

    page = client.get(response["Location"]).content.decode()
    assert "待确认" in page and 'data-testid="count-new">1<' in page and 'data-testid="count-error">1<' in page
    assert "身份证号码应为18位" in page and "确认导入" in page
    assert not Elder.objects.exists()

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("imports:batch_confirm", args=[batch.pk]))
    assert response.status_code == 200
    batch.refresh_from_db()
    assert batch.status == ImportBatch.Status.DONE and batch.committed_at
    assert Elder.objects.get().name == "张三"
    page = client.get(reverse("imports:batch_detail", args=[batch.pk])).content.decode()
    assert "已导入" in page and "下载错误清单" in page

    report = client.get(reverse("imports:batch_errors", args=[batch.pk]))
    workbook = openpyxl.load_workbook(io.BytesIO(b"".join(report.streaming_content)))
    assert workbook["错误明细"].cell(row=2, column=1).value == 3
    original = client.get(reverse("imports:batch_file", args=[batch.pk]))
    assert b"".join(original.streaming_content) == (tmp_path / "roll.xlsx").read_bytes()

    history = client.get(reverse("imports:batch_list")).content.decode()
    assert "roll.xlsx" in history and "officer" in history and "跳过错误行" in history
    events = set(AuditEvent.objects.values_list("event", flat=True))
    assert {"imports.batch_upload", "imports.batch_commit", "imports.download_original"} <= events
    assert AuditEvent.objects.filter(event="imports.batch_commit").count() == 1


def test_the_progress_partial_polls_while_working_and_asks_for_a_reload_when_done(client, officer, tmp_path):
    client.force_login(officer)
    batch = services.batch_create(actor=officer, kind="roll", file=roll(tmp_path, [[new_id(), "甲", "H1", "凤岗路社区"]]),
                                  enqueue=False)
    partial = client.get(reverse("imports:batch_progress", args=[batch.pk]), HTTP_HX_REQUEST="true")
    assert 'hx-trigger="every 1s"' in partial.content.decode() and "HX-Refresh" not in partial
    assert 'role="progressbar"' in client.get(reverse("imports:batch_detail", args=[batch.pk])).content.decode()
    services.batch_validate(batch_id=batch.pk)
    partial = client.get(reverse("imports:batch_progress", args=[batch.pk]), HTTP_HX_REQUEST="true")
    assert partial["HX-Refresh"] == "true"


def test_cancel_writes_nothing_and_a_cancelled_batch_cannot_be_confirmed(client, officer, tmp_path,
                                                                          django_capture_on_commit_callbacks):
    client.force_login(officer)
    with django_capture_on_commit_callbacks(execute=True):
        _upload(client, roll(tmp_path, [[new_id(), "甲", "H1", "凤岗路社区"]]))
    batch = ImportBatch.objects.get()
    client.post(reverse("imports:batch_cancel", args=[batch.pk]))
    with django_capture_on_commit_callbacks(execute=True):
        page = client.post(reverse("imports:batch_confirm", args=[batch.pk])).content.decode()
    assert "不能再次确认" in page
    batch.refresh_from_db()
    assert batch.status == ImportBatch.Status.CANCELLED and not Elder.objects.exists()


def test_a_strict_batch_with_errors_offers_no_confirm_button(client, officer, tmp_path,
                                                            django_capture_on_commit_callbacks):
    client.force_login(officer)
    with django_capture_on_commit_callbacks(execute=True):
        _upload(client, roll(tmp_path, [[new_id(), "甲", "H1", "凤岗路社区"], ["1", "乙", "H1", "凤岗路社区"]]),
                mode="strict")
    batch = ImportBatch.objects.get()
    page = client.get(reverse("imports:batch_detail", args=[batch.pk])).content.decode()
    assert "严格模式：文件有错误" in page and 'data-testid="confirm"' not in page


def test_the_upload_form_refuses_a_non_spreadsheet_and_an_oversized_file(client, officer, settings):
    client.force_login(officer)
    fake = SimpleUploadedFile("roll.xlsx", b"%PDF-1.7 \x00\x01 not a workbook")
    page = client.post(reverse("imports:upload"), {"kind": "roll", "mode": "skip", "file": fake}).content.decode()
    assert "这不是电子表格文件" in page
    settings.IMPORT_MAX_FILE_MB = 0.00001
    big = SimpleUploadedFile("roll.csv", "身份证号码,姓名\n".encode() * 10)
    page = client.post(reverse("imports:upload"), {"kind": "roll", "mode": "skip", "file": big}).content.decode()
    assert "文件太大" in page
    assert not ImportBatch.objects.exists()


@pytest.mark.parametrize("kind", ["roll", "deaths", "assistance", "disability"])
def test_each_template_downloads_with_its_required_columns_marked(client, officer, kind):
    client.force_login(officer)
    response = client.get(reverse("imports:template"), {"kind": kind})
    workbook = openpyxl.load_workbook(io.BytesIO(response.content))
    header = [c.value for c in workbook.worksheets[0][1]]
    assert header[:2] == ["身份证号码*", "姓名*"]
    assert "填写说明" in workbook.sheetnames


def test_the_upload_page_links_the_templates_and_the_nav_shows_the_import_item(client, officer, village_worker):
    client.force_login(officer)
    page = client.get(reverse("imports:upload")).content.decode()
    assert "户籍花名册模板" in page and "批量导入" in page
    client.force_login(village_worker)
    assert "批量导入" not in client.get(reverse("eligibility:elder_list")).content.decode()
    assert client.get(reverse("imports:upload")).status_code == 403


def test_the_neighbour_sees_neither_our_batches_nor_their_files(client, officer, neighbour_officer, tmp_path):
    batch = services.batch_create(actor=officer, kind="roll", file=roll(tmp_path, [[new_id(), "甲", "H1", "凤岗路社区"]]),
                                  enqueue=False)
    client.force_login(neighbour_officer)
    assert client.get(reverse("imports:batch_detail", args=[batch.pk])).status_code == 404
    assert client.get(reverse("imports:batch_file", args=[batch.pk])).status_code == 404
    assert "roll.xlsx" not in client.get(reverse("imports:batch_list")).content.decode()


def _ready_batch(client, officer, tmp_path, capture):
    client.force_login(officer)
    rows = [[new_id(), "张三", "H1", "凤岗路社区"], [new_id(), "李四", "H2", "凤岗路社区"], ["123", "坏行", "H3", "凤岗路社区"]]
    with capture(execute=True):
        _upload(client, roll(tmp_path, rows))
    return ImportBatch.objects.get()


def test_attack_auditor_downloads_the_original_upload_with_full_ids(client, officer, auditor, tmp_path,
                                                                     django_capture_on_commit_callbacks):
    batch = _ready_batch(client, officer, tmp_path, django_capture_on_commit_callbacks)
    client.force_login(auditor)

    page = client.get(reverse("imports:batch_detail", args=[batch.pk])).content.decode()
    original = client.get(reverse("imports:batch_file", args=[batch.pk]))
    errors = client.get(reverse("imports:batch_errors", args=[batch.pk]))

    assert original.status_code == 403 and errors.status_code == 403
    assert "下载原始文件" not in page and "下载错误清单" not in page
    refused = AuditEvent.objects.filter(user=auditor, outcome="denied").values_list("event", flat=True)
    assert sorted(refused) == ["imports.download_error_report", "imports.download_original"]


def test_original_file_and_error_workbook_downloads_are_audited_with_row_counts(client, officer, tmp_path,
                                                                                 django_capture_on_commit_callbacks):
    batch = _ready_batch(client, officer, tmp_path, django_capture_on_commit_callbacks)

    assert client.get(reverse("imports:batch_file", args=[batch.pk])).status_code == 200
    assert client.get(reverse("imports:batch_errors", args=[batch.pk])).status_code == 200

    original = AuditEvent.objects.get(event="imports.download_original", user=officer)
    report = AuditEvent.objects.get(event="imports.download_error_report", user=officer)
    assert (original.detail["rows"], report.detail["rows"]) == (3, 1)
    assert original.object_id == str(batch.pk) and original.outcome == "ok"


def test_attack_auditor_reads_a_mistyped_full_id_in_the_import_preview(client, officer, auditor, tmp_path,
                                                                       django_capture_on_commit_callbacks):
    good = new_id()
    typo = good[:-1] + ("0" if good[-1] != "0" else "1")  # wrong check character: one keystroke from a real ID
    client.force_login(officer)
    with django_capture_on_commit_callbacks(execute=True):
        _upload(client, roll(tmp_path, [[typo, "张三", "H1", "凤岗路社区"]]))
    batch = ImportBatch.objects.get()
    assert typo in client.get(reverse("imports:batch_detail", args=[batch.pk])).content.decode()

    client.force_login(auditor)
    page = client.get(reverse("imports:batch_detail", args=[batch.pk])).content.decode()

    assert typo not in page and typo[:17] not in page and "校验位" in page
