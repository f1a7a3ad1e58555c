"""The bank file, the public notice and the bank's return file."""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
from decimal import Decimal
from io import StringIO

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.core.management.base import CommandError

from payouts import exports, services
from payouts.models import PayrollLine, PayrollRun
from payouts.reconciliation import read_return_file

from .helpers import admin_and_reviewer, benefit, elder, enrol, generate, paid_out

pytestmark = pytest.mark.django_db


@pytest.fixture
def people(regions):
    admin, reviewer = admin_and_reviewer()
    b = benefit()
    elders = [elder(name=n) for n in ("张三", "=HYPERLINK(1)", "王五")]
    for e in elders:
        enrol(e, b)
    return admin, reviewer, elders


def _csv(path):
    return list(csv.reader(io.StringIO(path.read_text(encoding="utf-8-sig"))))


def test_the_bank_file_has_the_documented_columns_a_totals_row_and_a_checksum(people, tmp_path):
    admin, reviewer, elders = people
    run = generate()
    services.payroll_submit(actor=admin, run=run)
    services.payroll_approve(actor=reviewer, run=run)
    out = tmp_path / "bank.csv"
    call_command("payroll", "export", str(run.pk), "--format", "csv", "--out", str(out), stdout=StringIO())
    rows = _csv(out)
    assert rows[0] == ["身份证号码", "姓名", "项目", "所属期", "类型", "金额", "开户银行", "银行账号"]
    data = rows[1:-2]
    assert len(data) == 3 and {r[4] for r in data} == {"正常"} and {r[5] for r in data} == {"100.00"}
    assert {r[3] for r in data} == {"2026-12"}
    assert "'=HYPERLINK(1)" in [r[1] for r in data]  # formula neutralised
    assert rows[-2][0] == "合计" and rows[-2][1] == "3笔" and rows[-2][5] == "300.00"
    digest = hashlib.sha256("".join(",".join(r) + "\n" for r in data).encode()).hexdigest()
    assert rows[-1][:2] == ["校验码", f"SHA256:{digest}"]
    assert PayrollRun.objects.get(pk=run.pk).status == "exported"
    xlsx = tmp_path / "bank.xlsx"
    call_command("payroll", "export", str(run.pk), "--format", "xlsx", "--out", str(xlsx), stdout=StringIO())
    from python_calamine import CalamineWorkbook

    sheet = CalamineWorkbook.from_path(str(xlsx)).get_sheet_by_index(0).to_python()
    assert sheet[-1][1] == f"SHA256:{digest}" and sheet[-2][5] == "300.00"


def test_the_column_layout_is_configurable(people, settings):
    settings.PAYOUTS_BANK_FILE_COLUMNS = ["bank_account", "name", "amount"]
    run = generate()
    rows = list(exports.bank_rows(run))
    assert rows[0] == ["银行账号", "姓名", "金额"] and len(rows[1]) == 3


def test_the_public_notice_masks_id_numbers_and_leaves_out_accounts(people):
    run = generate()
    rows = list(exports.public_notice_rows(run))
    ids = [r[2] for r in rows[1:]]
    assert all("********" in i for i in ids)
    assert not any(e.id_number in str(rows) or e.bank_account in str(rows) for e in people[2])


def _return_file(tmp_path, rows, name="return.csv", totals=None):
    path = tmp_path / name
    lines = ["身份证号码,金额,状态,原因", *[",".join(r) for r in rows]]
    if totals:
        lines.append(",".join(totals))
    path.write_text("\n".join(lines), encoding="utf-8")
    return path


def test_reconciliation_with_partial_failures_then_the_corrected_account_is_paid_next_month(people, tmp_path):
    admin, reviewer, elders = people
    run = paid_out(generate(), admin, reviewer)
    a, b, c = elders
    path = _return_file(tmp_path, [[a.id_number, "100.00", "成功", ""], [b.id_number, "100", "失败", "账户已销户"],
                                   [c.id_number, "100.00", "成功", ""]], totals=["合计", "300.00", "3笔", ""])
    out = StringIO()
    call_command("payroll", "reconcile", str(run.pk), str(path), stdout=out)
    assert "成功 2 笔，失败 1 笔" in out.getvalue()
    run.refresh_from_db()
    assert run.status == "reconciled"
    failed = PayrollLine.objects.get(elder=b)
    assert failed.status == "failed" and failed.failure_reason == "账户已销户"
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


@pytest.mark.parametrize(("rows", "totals", "message"), [
    ([["610403199901011234", "100.00", "成功", ""]], None, "不在本批次中"),
    ([["{a}", "120.00", "成功", ""]], None, "金额不符"),
    ([["{a}", "100.00", "成功", ""], ["{a}", "100.00", "成功", ""]], None, "重复"),
    ([["{a}", "100.00", "成功", ""]], ["合计", "900.00", "", ""], "合计行金额"),
    ([["{a}", "100.00", "大概吧", ""]], None, "状态"),
])
def test_a_bad_return_file_is_refused_whole_and_nothing_changes(people, tmp_path, rows, totals, message):
    admin, reviewer, elders = people
    run = paid_out(generate(), admin, reviewer)
    rows = [[c.format(a=elders[0].id_number) for c in r] for r in rows]
    path = _return_file(tmp_path, [*rows, [elders[1].id_number, "100.00", "成功", ""]], totals=totals)
    with pytest.raises(CommandError, match=message):
        call_command("payroll", "reconcile", str(run.pk), str(path), stdout=StringIO())
    assert set(PayrollLine.objects.values_list("status", flat=True)) == {"pending"}
    assert PayrollRun.objects.get(pk=run.pk).status == "exported"


def test_a_return_file_for_a_run_not_yet_exported_is_refused(people):
    run = generate()
    with pytest.raises(ValidationError, match="只有已导出的批次可以对账"):
        services.payroll_reconcile(actor=None, run=run, rows=[])


def test_an_xlsx_return_file_is_read_with_its_ids_as_text(people, tmp_path):
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
    rows = read_return_file(path.read_bytes(), path.name)
    summary = services.payroll_reconcile(actor=reviewer, run=run, rows=rows)
    assert summary == {"paid": 3, "failed": 0, "pending": 0, "file": ""}
    assert Decimal(run.totals["total"]) == Decimal("300.00")
