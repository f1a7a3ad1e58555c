"""The bank file and the public notice (the bank's return file: test_reconciliation.py)."""

from __future__ import annotations

import csv
import hashlib
import io
from io import StringIO

import pytest
from django.core.management import call_command

from audit.models import AuditEvent
from payouts import exports, services
from payouts.models import PayrollRun
from tests.factories import benefit_with_tiers, elder_with_account, enrol

from .helpers import admin_and_reviewer, generate

pytestmark = pytest.mark.django_db


@pytest.fixture
def people(regions):
    admin, reviewer = admin_and_reviewer()
    b = benefit_with_tiers()
    elders = [elder_with_account(name=n) for n in ("张三", "=HYPERLINK(1)", "王五")]
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
    # The .xlsx layout carries the same checksum (written here directly: the run's bank file is the CSV above).
    xlsx = tmp_path / "bank.xlsx"
    with open(xlsx, "w+b") as out:
        facts = exports.write_bank_file(run, "xlsx", out)
    assert facts["checksum"] == digest and facts["count"] == 3
    from python_calamine import CalamineWorkbook

    sheet = CalamineWorkbook.from_path(str(xlsx)).get_sheet_by_index(0).to_python()
    assert sheet[-1][1] == f"SHA256:{digest}" and sheet[-2][5] == "300.00"


def test_a_second_export_in_another_format_resends_the_first_file_byte_for_byte(people, tmp_path):
    admin, reviewer, elders = people
    run = generate()
    services.payroll_submit(actor=admin, run=run)
    services.payroll_approve(actor=reviewer, run=run)
    first, again = tmp_path / "first.csv", tmp_path / "again.xlsx"
    call_command("payroll", "export", str(run.pk), "--format", "csv", "--out", str(first), stdout=StringIO())
    out = StringIO()
    call_command("payroll", "export", str(run.pk), "--format", "xlsx", "--out", str(again), stdout=out)
    assert again.read_bytes() == first.read_bytes()
    assert "已重发同一份文件" in out.getvalue() and "未按 --format xlsx 重新生成" in out.getvalue()
    assert AuditEvent.objects.filter(event="payouts.export_resend", object_id=str(run.pk)).count() == 1


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
