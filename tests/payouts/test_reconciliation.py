"""The bank's return file through the import engine: upload → validate the whole file → preview →
confirm → lines paid or failed, problems reported per row and not applied, history kept. A file with
a line not in the run, a duplicate line or wrong totals is refused whole, in every mode (issue 8,
"Bad input"): a message naming the rows, the error workbook, and nothing changed."""

from __future__ import annotations

import datetime as dt
import re
from io import StringIO

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse

from registry.rules import mask_id_number
from imports import services as imports_services
from imports.models import ImportBatch
from payouts import services
from payouts.models import PayrollLine, PayrollLineEvent, PayrollRun, ReturnFile
from tests.factories import benefit_with_tiers, elder_with_account, enrol

from .helpers import admin_and_reviewer, generate, paid_out

pytestmark = pytest.mark.django_db


@pytest.fixture
def people(regions, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    admin, reviewer = admin_and_reviewer()
    b = benefit_with_tiers()
    elders = [elder_with_account(name=n) for n in ("张三", "李四", "王五")]
    for e in elders:
        enrol(e, b)
    return admin, reviewer, elders


@pytest.fixture
def in_process_tasks():
    """The page flow runs the import tasks in-process even when a broker is configured (PostgreSQL
    variant); a real worker is tested in tests/imports."""
    from tests.celery_helpers import tasks_eager

    with tasks_eager(True):
        yield


def _return_file(tmp_path, rows, name="return.csv", totals=None, header="身份证号码,金额,状态,原因"):
    path = tmp_path / name
    lines = [header, *[",".join(r) for r in rows]]
    if totals:
        lines.append(",".join(totals))
    path.write_text("\n".join(lines), encoding="utf-8")
    return path


def _reconcile(run, path, reviewer, *extra):
    out = StringIO()
    call_command("payroll", "reconcile", str(run.pk), str(path), "--user", reviewer.username, *extra, stdout=out)
    return out.getvalue()


def test_partial_failures_are_applied_and_the_corrected_account_is_paid_next_month(people, tmp_path):
    admin, reviewer, elders = people
    run = paid_out(generate(), admin, reviewer)
    a, b, c = elders
    path = _return_file(tmp_path, [[a.id_number, "100.00", "成功", ""], [b.id_number, "100", "失败", "账户已销户"],
                                   [c.id_number, "100.00", "成功", ""]], totals=["合计", "300.00", "3笔", ""])
    assert "成功 2 笔，失败 1 笔" in _reconcile(run, path, reviewer)
    run.refresh_from_db()
    assert run.status == "reconciled"
    assert run.transitions.last().user == reviewer
    failed = PayrollLine.objects.get(elder=b)
    assert failed.status == "failed" and failed.failure_reason == "账户已销户"
    event = PayrollLineEvent.objects.get(line=failed)
    assert (event.kind, event.from_status, event.to_status, event.reason, event.user) == (
        "failed", "pending", "failed", "账户已销户", reviewer)
    batch = ImportBatch.objects.get(kind="bank_return")
    assert batch.status == "done" and ReturnFile.objects.get(batch=batch).run == run  # in the import history
    # next month: not carried while the account is unchanged; carried once it is corrected
    january = generate(dt.date(2027, 1, 1))
    assert not january.lines.filter(carried_from__isnull=False).exists()
    b.bank_account = "6222020200099999999"
    b.save()
    january = generate(dt.date(2027, 1, 1))
    carried = january.lines.get(carried_from=run)
    assert (carried.elder, carried.period, carried.status, carried.bank_account) == (
        b, dt.date(2026, 12, 1), "pending", "6222020200099999999")
    assert january.lines.count() == 4 and PayrollLine.objects.filter(elder=b).count() == 2
    assert list(carried.events.values_list("kind", "from_status", "to_status")) == [
        ("failed", "pending", "failed"), ("carried", "failed", "pending")]


def _nothing_changed(run):
    assert set(PayrollLine.objects.values_list("status", flat=True)) == {"pending"}  # not even the good rows
    assert not PayrollLineEvent.objects.exists()
    assert PayrollRun.objects.get(pk=run.pk).status == "exported"


def _masked(e):
    return mask_id_number(e.id_number)


@pytest.mark.parametrize(("rows", "message"), [
    ([["{a}", "120.00", "成功", ""]], "第2行：身份证号码{masked} 金额不符（文件120.00元，发放明细100.00元）"),
    ([["{a}", "100.00", "大概吧", ""]], "第2行：状态“大概吧”无法识别"),
])
def test_a_different_amount_or_an_unreadable_status_is_reported_by_row_and_the_rest_is_applied(
        people, tmp_path, rows, message):
    admin, reviewer, elders = people
    run = paid_out(generate(), admin, reviewer)
    first = elders[0]
    rows = [[c.format(a=first.id_number) for c in r] for r in rows]
    path = _return_file(tmp_path, [*rows, [elders[1].id_number, "100.00", "成功", ""]])
    with pytest.raises(CommandError, match=re.escape(message.format(masked=_masked(first)))):
        _reconcile(run, path, reviewer)
    assert PayrollLine.objects.get(elder=elders[1]).status == "paid"  # the good row was applied
    assert PayrollLine.objects.get(elder=first).status == "pending"  # the problem row was not
    assert PayrollRun.objects.get(pk=run.pk).status == "exported"  # a line is still pending
    batch = ImportBatch.objects.get(kind="bank_return")
    assert batch.status == "done" and batch.counts["error"] == 1 and batch.error_report  # the workbook names the row


REFUSED = [
    pytest.param([["610403199901011234", "100.00", "成功", ""]], "身份证号码,金额,状态,原因",
                 "第2行：身份证号码610*************34 不在本批次发放名单中", id="unknown-id"),
    pytest.param([["6222020200099999999", "100.00", "成功", ""]], "银行账号,金额,状态,原因",
                 "第2行：银行账号6222***********9999 不在本批次发放名单中", id="unknown-account"),
    pytest.param([["{a}", "100.00", "成功", "", "2026-11"]], "身份证号码,金额,状态,原因,所属期",
                 "第2行：身份证号码{masked}（所属期2026-11） 不在本批次发放名单中", id="id-in-run-but-not-that-month"),
    pytest.param([["{a}", "100.00", "成功", ""], ["{a}", "100.00", "成功", ""]], "身份证号码,金额,状态,原因",
                 "第3行与第2行重复（身份证号码{masked}）", id="duplicate"),
    pytest.param([["{a}", "100.00", "失败", "卡已冻结"], ["{a}", "90.00", "成功", ""]], "身份证号码,金额,状态,原因",
                 "第3行与第2行重复（身份证号码{masked}）", id="duplicate-with-another-amount"),
]


@pytest.mark.parametrize("mode", ["skip", "strict"])
@pytest.mark.parametrize(("rows", "header", "message"), REFUSED)
def test_a_line_not_in_the_run_or_a_duplicate_line_refuses_the_whole_file_in_every_mode(
        people, tmp_path, rows, header, message, mode):
    admin, reviewer, elders = people
    run = paid_out(generate(), admin, reviewer)
    a, b, c = elders
    by_account = header.startswith("银行账号")
    rows = [[v.format(a=a.id_number) for v in r] for r in rows]
    good = [[e.bank_account if by_account else e.id_number, "100.00", "成功", "", *([""] if "所属期" in header else [])]
            for e in (b, c)]
    path = _return_file(tmp_path, [*rows, *good], header=header)
    expected = message.format(masked=_masked(a))
    with pytest.raises(CommandError, match=re.escape(f"回盘文件未导入，未作任何修改：{expected}")):
        _reconcile(run, path, reviewer, *(["--strict"] if mode == "strict" else []))
    _nothing_changed(run)
    batch = ImportBatch.objects.get(kind="bank_return")
    assert batch.status == "failed" and expected in batch.message
    assert batch.counts == {"new": 0, "updated": 0, "unchanged": 0, "error": 1}
    assert [(e["row"], e["reason"]) for e in batch.preview["errors"]] == [(int(expected[1]), expected)]
    from python_calamine import CalamineWorkbook

    workbook = CalamineWorkbook.from_path(batch.error_report.path)
    detail = workbook.get_sheet_by_name("错误明细").to_python()
    assert expected in [r[3] for r in detail]  # the error workbook names the row too


def test_the_refusal_names_every_refused_row_and_mentions_the_other_problems(people, tmp_path):
    admin, reviewer, elders = people
    run = paid_out(generate(), admin, reviewer)
    a, b, c = elders
    path = _return_file(tmp_path, [
        [a.id_number, "100.00", "成功", ""],
        ["610403199901011234", "100.00", "成功", ""],
        [b.id_number, "120.00", "成功", ""],
        [c.id_number, "100.00", "成功", ""],
        [a.id_number, "100.00", "成功", ""],
    ], totals=["合计", "520.00", "5笔", ""])
    with pytest.raises(CommandError) as refused:
        _reconcile(run, path, reviewer)
    assert str(refused.value) == (
        "回盘文件未导入，未作任何修改：第3行：身份证号码610*************34 不在本批次发放名单中；"
        f"第6行与第2行重复（身份证号码{_masked(a)}）（另有1行其他问题，见错误清单）。请改正后重新上传整个文件")
    _nothing_changed(run)
    batch = ImportBatch.objects.get(kind="bank_return")
    assert [e["row"] for e in batch.preview["errors"]] == [3, 4, 6]


def test_two_rows_for_a_person_with_two_lines_are_not_duplicates_but_a_third_is(people, tmp_path):
    admin, reviewer, elders = people
    a = elders[0]
    enrol(a, benefit_with_tiers("care_pay"))
    run = paid_out(generate(), admin, reviewer)
    assert run.lines.filter(elder=a).count() == 2
    rows = [[a.id_number, "100.00", "成功", ""], [a.id_number, "100.00", "成功", ""]]
    _reconcile(run, _return_file(tmp_path, rows), reviewer)
    assert set(PayrollLine.objects.filter(elder=a).values_list("status", flat=True)) == {"paid"}
    with pytest.raises(CommandError, match=re.escape(f"第4行与第2行重复（身份证号码{_masked(a)}）")):
        _reconcile(run, _return_file(tmp_path, [*rows, rows[0]], name="again.csv"), reviewer)
    assert PayrollLineEvent.objects.count() == 2  # the first file's two events, nothing from the refused one


@pytest.mark.parametrize("totals", [["合计", "900.00", "", ""], ["合计", "200.00", "5笔", ""]])
def test_a_totals_row_that_does_not_add_up_refuses_the_whole_file(people, tmp_path, totals):
    admin, reviewer, elders = people
    run = paid_out(generate(), admin, reviewer)
    path = _return_file(tmp_path, [[e.id_number, "100.00", "成功", ""] for e in elders[:2]], totals=totals)
    with pytest.raises(CommandError, match=r"回盘文件未导入，未作任何修改：第4行（合计行）：合计(金额900.00元与明细合计200.00元|笔数5与明细2笔)不符"):
        _reconcile(run, path, reviewer)
    _nothing_changed(run)
    batch = ImportBatch.objects.get(kind="bank_return")
    assert batch.status == "failed" and batch.error_report and batch.preview["errors"][0]["row"] == 4


def test_in_strict_mode_one_problem_row_means_nothing_is_applied(people, tmp_path):
    admin, reviewer, elders = people
    run = paid_out(generate(), admin, reviewer)
    path = _return_file(tmp_path, [[elders[0].id_number, "120.00", "成功", ""], [elders[1].id_number, "100.00", "成功", ""]])
    with pytest.raises(CommandError, match="金额不符"):
        _reconcile(run, path, reviewer, "--strict")
    assert set(PayrollLine.objects.values_list("status", flat=True)) == {"pending"}
    assert not PayrollLineEvent.objects.exists()


def test_importing_the_same_return_file_twice_changes_nothing_the_second_time(people, tmp_path):
    admin, reviewer, elders = people
    run = paid_out(generate(), admin, reviewer)
    path = _return_file(tmp_path, [[elders[0].id_number, "100.00", "成功", ""]])
    _reconcile(run, path, reviewer)
    out = _reconcile(run, path, reviewer)
    assert "成功 0 笔" in out
    assert PayrollLineEvent.objects.count() == 1
    assert ImportBatch.objects.filter(kind="bank_return").order_by("-id").first().counts["unchanged"] == 1


def test_a_return_file_for_a_run_not_yet_exported_is_refused(people, tmp_path):
    admin, reviewer, elders = people
    run = generate()
    with pytest.raises(ValidationError, match="只有已导出的批次可以对账"):
        services.payroll_reconcile_upload(actor=reviewer, run=run, file=_return_file(tmp_path, [["x", "1", "成功", ""]]))
    assert not ImportBatch.objects.exists()


def test_an_xlsx_return_file_is_matched_by_account_with_its_digits_kept(people, tmp_path):
    import xlsxwriter

    admin, reviewer, elders = people
    run = paid_out(generate(), admin, reviewer)
    path = tmp_path / "return.xlsx"
    wb = xlsxwriter.Workbook(str(path))
    ws = wb.add_worksheet()
    ws.write_row(0, 0, ["银行账号", "金额", "状态", "原因"])
    for i, e in enumerate(elders, 1):
        ws.write_string(i, 0, e.bank_account)
        ws.write_number(i, 1, 100)
        ws.write_string(i, 2, "成功")
    wb.close()
    batch = services.payroll_reconcile_file(actor=reviewer, run=run, path=path)
    assert batch.preview["written"]["paid"] == 3
    assert PayrollRun.objects.get(pk=run.pk).status == "reconciled"


def test_the_generic_import_page_matches_against_every_exported_run_of_the_county(people, tmp_path):
    admin, reviewer, elders = people
    paid_out(generate(), admin, reviewer)
    path = _return_file(tmp_path, [[e.id_number, "100.00", "成功", ""] for e in elders])
    batch = imports_services.batch_import_now(actor=reviewer, kind="bank_return", path=path)
    assert batch.status == "done" and batch.counts["updated"] == 3
    assert set(PayrollLine.objects.values_list("status", flat=True)) == {"paid"}


def test_a_clerk_uploads_on_the_run_page_previews_confirms_and_sees_the_history(
        people, tmp_path, client, django_capture_on_commit_callbacks, in_process_tasks):
    admin, reviewer, elders = people
    run = paid_out(generate(), admin, reviewer)
    path = _return_file(tmp_path, [[elders[0].id_number, "100.00", "成功", ""], [elders[1].id_number, "100.00", "失败", "卡已冻结"],
                                   [elders[2].id_number, "120.00", "成功", ""]])
    client.force_login(reviewer)
    with django_capture_on_commit_callbacks(execute=True), open(path, "rb") as fh:
        response = client.post(reverse("payouts:run_reconcile", args=[run.pk]), {"file": fh, "mode": "skip"})
    batch = ImportBatch.objects.get(kind="bank_return")
    assert response.status_code == 302 and response["Location"] == reverse("imports:batch_detail", args=[batch.pk])
    page = client.get(response["Location"]).content.decode()
    assert "金额不符" in page and "第4行" in page and 'data-testid="confirm"' in page
    assert set(PayrollLine.objects.values_list("status", flat=True)) == {"pending"}  # nothing before confirming
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("imports:batch_confirm", args=[batch.pk]))
    assert PayrollLine.objects.get(elder=elders[0]).status == "paid"
    assert PayrollLine.objects.get(elder=elders[1]).status == "failed"
    assert PayrollLine.objects.get(elder=elders[2]).status == "pending"  # the different amount was not applied
    detail = client.get(reverse("payouts:run_detail", args=[run.pk])).content.decode()
    assert "银行回盘导入记录" in detail and "return.csv" in detail
    assert "变更记录" in detail and "已导出" in detail  # the run's simple-history entries
    line = PayrollLine.objects.get(elder=elders[1])
    page = client.get(reverse("payouts:line_detail", args=[line.pk])).content.decode()
    assert "银行回盘：发放失败" in page and "卡已冻结" in page


def _refused_on_the_batch_page(client, batch, message):
    """The batch page shows the refusal, every problem row and the error workbook, and offers no confirm."""
    page = client.get(reverse("imports:batch_detail", args=[batch.pk])).content.decode()
    assert "失败" in page and message in page  # the message (and the preview's error table)
    assert 'data-testid="errors"' in page and 'data-testid="confirm"' not in page
    assert client.get(reverse("imports:batch_errors", args=[batch.pk])).status_code == 200  # the error workbook
    response = client.post(reverse("imports:batch_confirm", args=[batch.pk]))
    assert "不能再次确认" in response.content.decode()


@pytest.mark.parametrize("mode", ["skip", "strict"])
def test_a_return_file_with_a_line_not_in_the_run_is_refused_on_the_run_page(
        people, tmp_path, client, django_capture_on_commit_callbacks, in_process_tasks, mode):
    admin, reviewer, elders = people
    run = paid_out(generate(), admin, reviewer)
    path = _return_file(tmp_path, [[elders[0].id_number, "100.00", "成功", ""], [elders[1].id_number, "100.00", "失败", "卡已冻结"],
                                   ["610403199901011234", "100.00", "成功", ""]])
    client.force_login(reviewer)
    with django_capture_on_commit_callbacks(execute=True), open(path, "rb") as fh:
        response = client.post(reverse("payouts:run_reconcile", args=[run.pk]), {"file": fh, "mode": mode})
    batch = ImportBatch.objects.get(kind="bank_return")
    assert response.status_code == 302 and response["Location"] == reverse("imports:batch_detail", args=[batch.pk])
    batch.refresh_from_db()
    message = "第4行：身份证号码610*************34 不在本批次发放名单中"
    assert batch.status == "failed" and batch.message.startswith(f"回盘文件未导入，未作任何修改：{message}")
    with django_capture_on_commit_callbacks(execute=True):
        _refused_on_the_batch_page(client, batch, message)
    _nothing_changed(run)
    assert ReturnFile.objects.get(batch=batch).run == run  # the refused file stays in the run's history


def test_a_return_file_with_a_duplicate_line_is_refused_on_the_generic_import_page(
        people, tmp_path, client, django_capture_on_commit_callbacks, in_process_tasks):
    admin, reviewer, elders = people
    run = paid_out(generate(), admin, reviewer)
    a, b, c = elders
    path = _return_file(tmp_path, [[a.id_number, "100.00", "成功", ""], [b.id_number, "100.00", "成功", ""],
                                   [c.id_number, "100.00", "成功", ""], [b.id_number, "100.00", "成功", ""]])
    client.force_login(reviewer)
    with django_capture_on_commit_callbacks(execute=True), open(path, "rb") as fh:
        response = client.post(reverse("imports:upload"), {"kind": "bank_return", "file": fh, "mode": "skip"})
    batch = ImportBatch.objects.get(kind="bank_return")
    assert response.status_code == 302
    batch.refresh_from_db()
    message = f"第5行与第3行重复（身份证号码{_masked(b)}）"
    assert batch.status == "failed" and message in batch.message
    with django_capture_on_commit_callbacks(execute=True):
        _refused_on_the_batch_page(client, batch, message)
    _nothing_changed(run)


def test_someone_without_the_reconcile_permission_cannot_use_the_kind(people, tmp_path):
    admin, reviewer, elders = people
    run = paid_out(generate(), admin, reviewer)
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        services.payroll_reconcile_upload(actor=admin, run=run, file=_return_file(tmp_path, [["x", "1", "成功", ""]]))
