"""A kind that refuses a whole file (FileRefused): the batch fails with the kind's message, yet the clerk
keeps the report a checked file gets — counts, the errors on the batch page, the error workbook — and
nothing is written, whether the refusal comes while checking or while committing."""

from __future__ import annotations

import re
from io import StringIO

import openpyxl
import pytest
from django.contrib.auth.models import Group
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse

from audit.models import AuditEvent
from imports import registry, services
from imports.models import ImportBatch
from imports.registry import Column, Context, ImporterKind, Plan, RowError
from imports.values import cell_text

from imports.reading import FileRejected
from tests.conftest import VILLAGE

from .helpers import error_rows, import_now, new_id, validate, xlsx

pytestmark = pytest.mark.django_db

KEY = "refusing_test"
PREFIX = "refusal-test-"  # the test kind "imports" a code by creating a Group with this prefix
REFUSAL = "文件未导入，未作任何修改：第3行：编号“拒”不允许出现在本文件中"


def _validate(ctx: Context) -> Plan:
    """A code already taken, or the code 拒, refuses the whole file; the code 坏 is a row error only."""
    plan = Plan(payload=[])
    refusing = []
    taken = set(Group.objects.filter(name__startswith=PREFIX).values_list("name", flat=True))
    for n, raw in ctx.table.records():
        code = cell_text(raw.get("code", ""))
        if code == "坏":
            plan.errors.append(RowError(n, "编号", code, f"第{n}行：编号“坏”无法识别"))
        elif code == "拒":
            refusing.append(RowError(n, "编号", code, f"第{n}行：编号“拒”不允许出现在本文件中"))
        elif PREFIX + code in taken:
            refusing.append(RowError(n, "编号", code, f"第{n}行：编号{code}已被登记"))
        else:
            plan.new += 1
            plan.payload.append(code)
    if refusing:
        plan.errors.extend(refusing)
        raise services.FileRefused("文件未导入，未作任何修改：" + "；".join(e.reason for e in refusing),
                                   errors=plan.errors)
    return plan


def _commit(ctx: Context, plan: Plan) -> dict:
    """Writes every code first; a code 迟 is found wrong only while writing, and refuses the whole file."""
    Group.objects.bulk_create([Group(name=PREFIX + code) for code in plan.payload])
    late = [n for n, raw in ctx.table.records() if cell_text(raw.get("code", "")) == "迟"]
    if late:
        raise services.FileRefused(f"文件未导入，未作任何修改：第{late[0]}行：编号“迟”写入时被拒绝",
                                   errors=[RowError(late[0], "编号", "迟", f"第{late[0]}行：编号“迟”写入时被拒绝")])
    return {"created": len(plan.payload)}


@pytest.fixture(autouse=True)
def refusing_kind(monkeypatch):
    kind = ImporterKind(KEY, "测试用名单", (Column("code", "编号", True), Column("note", "备注")), _validate, _commit)
    monkeypatch.setitem(registry._KINDS, KEY, kind)
    return kind


def _file(tmp_path, *codes, header=("编号", "备注")):
    return xlsx(tmp_path / "list.xlsx", [list(header), *[[c, ""] for c in codes]])


def _written():
    return sorted(name.removeprefix(PREFIX) for name in Group.objects.filter(name__startswith=PREFIX).values_list(
        "name", flat=True))


def _notes(batch):
    """The notes on top of the error workbook's 错误明细 sheet (rows without an Excel row number)."""
    sheet = openpyxl.load_workbook(batch.error_report.path, read_only=True)["错误明细"]
    return [r[3] for r in sheet.iter_rows(min_row=2, values_only=True) if r[0] is None]


@pytest.mark.parametrize("mode", ["skip", "strict"])
def test_a_file_the_kind_refuses_while_checking_fails_with_its_message_and_keeps_its_report(
        officer, tmp_path, client, mode):
    path = _file(tmp_path, "A1", "拒", "坏", header=("编号", "备注", "籍贯"))
    batch = validate(officer, path, kind=KEY, mode=mode)
    assert (batch.status, batch.message, batch.progress) == ("failed", REFUSAL, 100)
    assert batch.validated_at is not None
    assert batch.counts == {"new": 0, "updated": 0, "unchanged": 0, "error": 2}
    assert [(e["row"], e["reason"]) for e in batch.preview["errors"]] == [
        (3, "第3行：编号“拒”不允许出现在本文件中"), (4, "第4行：编号“坏”无法识别")]
    assert batch.preview["changes"] == [] and batch.preview["unknown_columns"] == ["籍贯"]
    assert [r[0] for r in error_rows(batch)] == [3, 4]
    assert _notes(batch) == [REFUSAL, "未识别的列（已忽略）：籍贯"]
    assert _written() == []

    client.force_login(officer)
    page = client.get(reverse("imports:batch_detail", args=[batch.pk])).content.decode()
    assert REFUSAL in page and 'data-testid="errors"' in page and 'data-testid="error-report"' in page
    assert 'data-testid="confirm"' not in page
    assert client.get(reverse("imports:batch_errors", args=[batch.pk])).status_code == 200
    with pytest.raises(Exception, match="不能再次确认"):
        services.batch_confirm(actor=officer, batch=batch)


def test_a_refusal_while_committing_undoes_what_the_kind_wrote_and_keeps_the_report(officer, tmp_path):
    batch = validate(officer, _file(tmp_path, "A1", "迟", "B2"), kind=KEY)
    assert batch.status == "ready" and batch.counts["new"] == 3 and not batch.error_report
    services.batch_confirm(actor=officer, batch=batch)
    batch = services.batch_commit(batch_id=batch.pk)
    assert (batch.status, batch.message) == ("failed", "文件未导入，未作任何修改：第3行：编号“迟”写入时被拒绝")
    assert _written() == []  # the kind's bulk insert was rolled back
    assert batch.counts == {"new": 0, "updated": 0, "unchanged": 0, "error": 1}
    assert [e["row"] for e in batch.preview["errors"]] == [3] and batch.preview["written"] == {}
    assert [r[0] for r in error_rows(batch)] == [3] and batch.committed_at is None
    event = AuditEvent.objects.get(event="imports.batch_commit")
    assert (event.outcome, event.user, event.detail["counts"]["error"]) == ("refused", officer, 1)
    assert services.batch_commit(batch_id=batch.pk).status == "failed"  # a redelivered commit is a no-op
    assert _written() == []


def test_data_that_changed_between_preview_and_confirm_refuses_the_file_at_commit(officer, tmp_path):
    batch = validate(officer, _file(tmp_path, "A1", "B2"), kind=KEY)
    assert batch.status == "ready" and batch.counts["new"] == 2
    Group.objects.create(name=PREFIX + "B2")  # another clerk got there first
    services.batch_confirm(actor=officer, batch=batch)
    batch = services.batch_commit(batch_id=batch.pk)
    assert (batch.status, batch.message) == ("failed", "文件未导入，未作任何修改：第3行：编号B2已被登记")
    assert _written() == ["B2"]  # A1 was not written
    assert batch.counts["error"] == 1 and batch.preview["errors"][0]["row"] == 3 and batch.error_report


def test_the_command_line_exits_with_the_refusal_and_saves_its_error_workbook(officer, tmp_path):
    path = _file(tmp_path, "A1", "拒")
    out = tmp_path / "errors.xlsx"
    with pytest.raises(CommandError, match=f"^{re.escape(REFUSAL)}$"):
        call_command("import_roll", str(path), "--user", "officer", "--kind", KEY, "--error-report", str(out),
                     stdout=StringIO())
    assert openpyxl.load_workbook(out)["错误明细"].cell(row=3, column=1).value == 3
    with pytest.raises(CommandError, match=f"^{re.escape(REFUSAL)}$"):
        call_command("import_roll", str(path), "--user", "officer", "--kind", KEY, "--dry-run", stdout=StringIO())
    assert set(ImportBatch.objects.values_list("status", flat=True)) == {"failed"}  # none left 待校验
    assert _written() == []
    assert AuditEvent.objects.filter(event="imports.batch_commit", outcome="refused").count() == 1  # not the dry run


@pytest.mark.parametrize("encoding, separator", [("utf-16", "\t"), ("utf-16-be", "\t"), ("utf-16-le", ",")])
def test_a_utf16_csv_saved_as_excel_unicode_text_is_read(county_admin, tmp_path, encoding, separator):
    """Excel's 「Unicode 文本」 is UTF-16 with a byte-order mark, tab-separated; it used to be refused
    as 「这不是电子表格文件」. Written here by Python's own codecs (BOM first for the explicit byte orders)."""
    import codecs

    from registry.models import Elder

    number = new_id()
    text = "\r\n".join(separator.join(row) for row in [
        ["身份证号码", "姓名", "户号", "村(社区)"], [number, "张三", "H1", VILLAGE]]) + "\r\n"
    bom = {"utf-16": b"", "utf-16-be": codecs.BOM_UTF16_BE, "utf-16-le": codecs.BOM_UTF16_LE}[encoding]
    path = tmp_path / "unicode.txt"
    path.write_bytes(bom + text.encode(encoding))
    batch = import_now(county_admin, path)
    assert batch.status == ImportBatch.Status.DONE and batch.counts["new"] == 1
    assert Elder.objects.get(id_number=number).name == "张三"


def test_a_file_with_nul_bytes_and_no_bom_says_how_to_save_it(tmp_path):
    from imports.reading import check_file

    path = tmp_path / "x.bin"
    path.write_bytes(b"\x01\x00\x02\x00" * 100)
    with pytest.raises(FileRejected, match="Unicode 文本"):
        check_file(path, "x.bin")
