"""Import and export in the Django admin: our templates, our validation, the admin user's area."""

from __future__ import annotations

import io

import openpyxl
from django.contrib.messages import get_messages
from django.urls import reverse

from registry.models import Elder, Household
from imports.reports import neutralise
from tests.conftest import NEIGHBOUR_VILLAGE, OTHER_COUNTY_VILLAGE, VILLAGE, make_staff
from tests.factories import ElderFactory

from .helpers import new_id, roll

XLSX_FORMAT = "0"  # import formats are listed xlsx, csv


def _dry_run(client, path, model="elder"):
    with open(path, "rb") as fh:
        return client.post(reverse(f"admin:registry_{model}_import"), {"format": XLSX_FORMAT, "import_file": fh})


def _confirm(client, response, model="elder"):
    form = response.context["confirm_form"]
    return client.post(reverse(f"admin:registry_{model}_process_import"), {
        name: form.initial.get(name, field.initial) for name, field in form.fields.items()
    })


def test_a_county_admin_imports_an_elder_file_in_the_admin_with_the_same_rules(client, county_admin, tmp_path):
    client.force_login(county_admin)
    number = new_id()
    header = ["身份证号码", "姓名", "户号", "村(社区)", "经济状况"]
    response = _dry_run(client, roll(tmp_path, [[number.lower(), "张三", "H1", VILLAGE, "低保户"]], header=header))
    assert response.status_code == 200 and response.context["confirm_form"] is not None
    assert not Elder.objects.exists()
    _confirm(client, response)
    elder = Elder.objects.get()
    assert (elder.id_number, elder.economic_status, elder.household.household_number) == (number, "dibao", "H1")
    assert elder.history.first().history_user == county_admin


def test_the_admin_import_is_scoped_an_outside_id_is_an_error_and_nothing_is_written(
    client, county_admin, far_elder, tmp_path
):
    client.force_login(county_admin)
    rows = [[new_id(), "好人", "H1", VILLAGE], [far_elder.id_number, "改名", "H1", VILLAGE]]
    response = _dry_run(client, roll(tmp_path, rows))
    result = response.context["result"]
    assert result.has_validation_errors() and response.context.get("confirm_form") is None
    html = response.content.decode()
    assert "该身份证号码无法在您的辖区导入" in html and "管辖区域以外登记" not in html
    far_elder.refresh_from_db()
    assert far_elder.name == "赵德胜" and Elder.objects.count() == 1


def test_the_admin_import_needs_the_import_permission(client, regions, tmp_path):
    from regions import roles

    auditor_staff = make_staff("audit_staff", roles.AUDITOR, "610403000000", is_staff=True)
    client.force_login(auditor_staff)
    assert client.get(reverse("admin:registry_elder_import")).status_code == 403
    assert client.get(reverse("admin:registry_elder_export")).status_code == 403


def test_the_admin_export_is_scoped_and_neutralises_formulas(client, county_admin, elder, far_elder, regions):
    ElderFactory(region=regions[VILLAGE], name="=HYPERLINK(\"http://x\")", note="+1+1")
    client.force_login(county_admin)
    response = client.post(reverse("admin:registry_elder_export"), {
        "format": "0", **{f"elderresource_{name}": "on" for name in ("id_number", "name", "village", "note")},
    })
    assert response.status_code == 200, response.content[:500]
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    values = [[c.value for c in row] for row in sheet.iter_rows()]
    names = [row[1] for row in values[1:]]
    assert "王秀兰" in names and "赵德胜" not in names
    assert "'=HYPERLINK(\"http://x\")" in names
    assert any(row[-1] == "'+1+1" for row in values[1:])


def test_households_import_in_the_admin_inside_the_area_only(client, county_admin, tmp_path):
    client.force_login(county_admin)
    path = roll(tmp_path, [["H7", VILLAGE, "城镇", "幸福路1号", "王大"], ["H8", NEIGHBOUR_VILLAGE, "农村", "", ""],
                           ["H9", "141002001001", "农村", "", ""]],
                header=["户号", "村(社区)", "户籍类型", "现住址", "户主姓名"])
    response = _dry_run(client, path, model="household")
    assert response.context["result"].has_validation_errors()  # the other county's village
    assert "不在您的管辖区域内" in response.content.decode()
    assert not Household.objects.exists()


def test_the_neutraliser_escapes_every_formula_start():
    for start in ("=", "+", "-", "@", "\t", "\r", "＝", "＋", "－", "＠"):
        assert neutralise(start + "1+1").startswith("'")
    # NUL never reaches a cell; what follows it is then judged on its own
    assert neutralise("\x00=1+1") == "'=1+1" and neutralise("\x001+1") == "1+1"
    assert neutralise("王秀兰") == "王秀兰" and neutralise(-5) == -5


# --- messy layouts: the admin reads files the way the portal does -----------------------------------
TITLE_ROWS = [["杨陵区杨陵街道户籍老年人花名册"], ["填报单位：杨陵街道办事处", None, None, "填报日期：2026年11月"]]
CSV_FORMAT = "1"


def test_the_admin_import_finds_the_header_below_title_rows_with_marks_synonyms_and_any_order(
    client, county_admin, tmp_path
):
    client.force_login(county_admin)
    first, second = new_id(), new_id(sex="F")
    header = ["村（社区）*", "户口号", " 姓 名＊", "身份证号*", "经济状况", "家庭住址", "花名"]  # '花名': unknown
    path = roll(tmp_path, [
        [VILLAGE, "H1", "张三", first.lower(), "低保户", "幸福路1号", "x"],
        [None, None, None, None, None, None, None],  # a blank line between the rows
        ["凤岗路社区", "H2", "李四", second, "", "", ""],
    ], header=header, title_rows=TITLE_ROWS)
    response = _dry_run(client, path)
    assert response.status_code == 200
    result = response.context["result"]
    assert not result.has_errors() and not result.has_validation_errors(), response.content.decode()[-3000:]
    assert response.context["confirm_form"] is not None and not Elder.objects.exists()
    _confirm(client, response)
    stored = {e.id_number: e for e in Elder.objects.select_related("household")}
    assert set(stored) == {first, second}
    assert (stored[first].name, stored[first].economic_status, stored[first].address) == ("张三", "dibao", "幸福路1号")
    assert stored[first].household.household_number == "H1" and stored[second].household.household_number == "H2"
    assert stored[second].sex == "F"


def test_an_admin_import_error_names_the_excel_row_below_the_title_rows(client, county_admin, tmp_path):
    client.force_login(county_admin)
    good = new_id()
    bad = good[:-1] + ("1" if good[-1] != "1" else "2")  # a wrong check digit
    rows = [[good, "好人", "H1", VILLAGE], [bad, "坏号", "H1", VILLAGE]]
    header = ["身份证号码＊", "姓名＊", "户号＊", "村(社区)＊"]
    response = _dry_run(client, roll(tmp_path, rows, header=header, title_rows=TITLE_ROWS))
    result = response.context["result"]
    assert result.has_validation_errors() and response.context.get("confirm_form") is None
    html = response.content.decode()
    # title rows 1–2, header row 3: the bad row is Excel row 5
    assert "第5行 身份证号码" in html and "第4行" not in html
    assert not Elder.objects.exists()


def test_the_admin_import_names_a_missing_required_column_and_writes_nothing(client, county_admin, tmp_path):
    client.force_login(county_admin)
    path = roll(tmp_path, [[new_id(), "张三", VILLAGE]], header=["身份证号码*", "姓名*", "村(社区)*"],
                title_rows=TITLE_ROWS)
    response = _dry_run(client, path)
    result = response.context["result"]
    assert result.has_errors() and response.context.get("confirm_form") is None
    assert "缺少必填列：户号" in response.content.decode()
    assert not Elder.objects.exists()


def test_the_admin_import_reads_a_gb18030_csv_with_a_title_row(client, county_admin, tmp_path):
    client.force_login(county_admin)
    number = new_id()
    text = "花名册（2026年）\n姓名*,身份证号码*,户号*,村(社区)*\n王五," + number + ",H3," + VILLAGE + "\n"
    path = tmp_path / "roll.csv"
    path.write_bytes(text.encode("gb18030"))
    with open(path, "rb") as fh:
        response = client.post(reverse("admin:registry_elder_import"), {"format": CSV_FORMAT, "import_file": fh})
    assert response.context["confirm_form"] is not None, response.content.decode()[-3000:]
    _confirm(client, response)
    assert Elder.objects.get().name == "王五"


def test_the_admin_import_refuses_a_file_that_is_no_spreadsheet_with_a_chinese_reason(
    client, county_admin, tmp_path
):
    client.force_login(county_admin)
    path = tmp_path / "roll.xlsx"
    path.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 600)  # OLE: encrypted or old .xls
    response = _dry_run(client, path)
    assert "文件已加密" in response.content.decode()
    assert not Elder.objects.exists()


def test_households_import_in_the_admin_with_a_title_row_and_marked_headers(client, county_admin, tmp_path):
    client.force_login(county_admin)
    path = roll(tmp_path, [["城镇", "H7", VILLAGE, "幸福路1号", "王大"], ["农村", "H8", "凤岗路", "", ""]],
                header=["户口性质", "户号*", "村（社区）*", "住址", "户主"], title_rows=TITLE_ROWS[:1])
    response = _dry_run(client, path, model="household")
    result = response.context["result"]
    assert not result.has_errors() and not result.has_validation_errors(), response.content.decode()[-3000:]
    _confirm(client, response, model="household")
    stored = {h.household_number: h for h in Household.objects.all()}
    assert set(stored) == {"H7", "H8"}
    assert (stored["H7"].hukou_type, stored["H7"].address, stored["H7"].head_name) == ("urban", "幸福路1号", "王大")


def test_a_household_row_error_in_the_admin_names_its_excel_row(client, county_admin, tmp_path):
    client.force_login(county_admin)
    path = roll(tmp_path, [["H7", VILLAGE], ["H9", OTHER_COUNTY_VILLAGE]], header=["户号*", "村(社区)*"],
                title_rows=TITLE_ROWS)
    response = _dry_run(client, path, model="household")
    assert response.context["result"].has_validation_errors()
    assert "第5行 村(社区)" in response.content.decode()
    assert not Household.objects.exists()


def test_the_admin_import_preview_names_the_unknown_columns_it_ignores_and_imports_the_rest(
    client, county_admin, tmp_path
):
    client.force_login(county_admin)
    number = new_id()
    header = ["身份证号码*", "籍贯", "姓名*", "户号*", "村(社区)*", "备注2", "现住址"]
    path = roll(tmp_path, [[number, "陕西杨凌", "张三", "H1", VILLAGE, "不该导入", "幸福路1号"]], header=header)
    response = _dry_run(client, path)
    notice = "未识别的列（已忽略）：籍贯、备注2"
    assert response.status_code == 200 and response.context["confirm_form"] is not None
    assert response.context["result"].notices == [notice]
    assert notice in response.content.decode()  # shown on the preview page
    assert not Elder.objects.exists()
    confirmed = _confirm(client, response)
    elder = Elder.objects.get()
    assert (elder.id_number, elder.name, elder.address, elder.household.household_number) == (
        number, "张三", "幸福路1号", "H1")
    assert "陕西杨凌" not in elder.note and "不该导入" not in elder.note
    assert notice in [str(m) for m in get_messages(confirmed.wsgi_request)]


def test_a_file_with_only_template_columns_gets_no_notice(client, county_admin, tmp_path):
    client.force_login(county_admin)
    path = roll(tmp_path, [[new_id(), "张三", "H1", VILLAGE]], header=["身份证号码", "姓名", "户号", "村(社区)"])
    response = _dry_run(client, path)
    assert response.context["result"].notices == []
    assert "已忽略" not in response.content.decode()


# --- the admin import is the engine's: its messages, its area, its batch, its row lock ----------------
def _confirm_twice(client, response, model="elder"):
    return _confirm(client, response, model), _confirm(client, response, model)


def test_a_bad_row_in_the_admin_import_shows_the_engines_message_naming_row_and_field_and_stores_nothing(
    client, county_admin, tmp_path
):
    from imports.models import ImportBatch

    client.force_login(county_admin)
    header = ["身份证号码", "姓名", "户号", "村(社区)", "联系电话", "经济状况"]
    rows = [[new_id(), "好人", "H1", VILLAGE, "", ""], [new_id(), "坏号", "H1", VILLAGE, "12345", "富裕"]]
    response = _dry_run(client, roll(tmp_path, rows, header=header))
    assert response.context["result"].has_validation_errors() and response.context.get("confirm_form") is None
    invalid = response.context["result"].invalid_rows
    assert [row.number for row in invalid] == [3]  # the Excel row
    assert set(invalid[0].field_specific_errors) == {"联系电话", "经济状况"}
    html = response.content.decode()
    assert "第3行 联系电话「12345」" in html and "第3行 经济状况「富裕」：不是可选的值" in html
    assert not Elder.objects.exists() and not Household.objects.exists()
    # The preview is an engine batch in strict mode that cannot be confirmed.
    batch = ImportBatch.objects.get()
    assert (batch.kind, batch.mode, batch.status, batch.can_confirm) == ("roll", "strict", "ready", False)


def test_a_row_outside_the_admins_area_is_refused_in_the_admin_import(client, regions, tmp_path):
    from regions import roles

    township_admin = make_staff("township_admin", roles.TOWNSHIP_OFFICER, "610403001000", is_staff=True)
    client.force_login(township_admin)
    rows = [[new_id(), "本乡", "H1", VILLAGE], [new_id(), "邻乡", "H2", NEIGHBOUR_VILLAGE],
            [new_id(), "外县", "H3", OTHER_COUNTY_VILLAGE]]
    response = _dry_run(client, roll(tmp_path, rows))
    assert response.context.get("confirm_form") is None
    assert [row.number for row in response.context["result"].invalid_rows] == [3, 4]
    html = response.content.decode()
    assert "第3行 村(社区)「610403002102」：该村(社区)不在您的管辖区域内" in html
    assert "第4行 村(社区)「141002001001」：该村(社区)不在您的管辖区域内" in html
    assert not Elder.objects.exists()


def test_confirming_the_admin_import_twice_applies_it_once_through_the_engines_batch(
    client, county_admin, elder, tmp_path
):
    from audit.models import AuditEvent
    from imports.models import ImportBatch

    client.force_login(county_admin)
    number = new_id()
    rows = [[number, "新人", "H1", VILLAGE, ""], [elder.id_number, "王秀兰", "H1", VILLAGE, "幸福路9号"]]
    response = _dry_run(client, roll(tmp_path, rows, header=["身份证号码", "姓名", "户号", "村(社区)", "现住址"]))
    result = response.context["result"]
    assert [(row.number, row.import_type) for row in result.valid_rows()] == [(2, "new"), (3, "update")]
    assert "→ 幸福路9号" in response.content.decode()  # the engine's change, old → new
    history = elder.history.count()
    first, second = _confirm_twice(client, response)
    assert first.status_code == second.status_code == 302
    assert Elder.objects.filter(id_number=number).count() == 1
    elder.refresh_from_db()
    assert elder.address == "幸福路9号" and elder.history.count() == history + 1
    batch = ImportBatch.objects.get()
    assert (batch.status, batch.uploaded_by, batch.counts["new"], batch.counts["updated"]) == (
        "done", county_admin, 1, 1)
    assert AuditEvent.objects.filter(event="imports.batch_commit", object_id=str(batch.pk)).count() == 1
    assert AuditEvent.objects.filter(event="imports.batch_upload", object_id=str(batch.pk)).count() == 1
    refused = [str(m) for m in get_messages(second.wsgi_request)]
    assert any("不能再次确认" in m for m in refused), refused


def test_an_admin_cannot_confirm_another_users_batch(client, county_admin, superuser, tmp_path):
    client.force_login(superuser)
    response = _dry_run(client, roll(tmp_path, [[new_id(), "张三", "H1", VILLAGE]]))
    client.force_login(county_admin)
    assert _confirm(client, response).status_code == 403
    assert not Elder.objects.exists()


def test_households_in_the_admin_update_through_the_engine_and_are_not_offered_in_the_portal(
    client, county_admin, regions, tmp_path
):
    from imports.forms import UploadForm
    from tests.factories import HouseholdFactory

    stored = HouseholdFactory(region=regions[VILLAGE], household_number="H7", address="旧址")
    client.force_login(county_admin)
    path = roll(tmp_path, [["H7", VILLAGE, "新址"], ["H8", VILLAGE, ""]], header=["户号", "村(社区)", "现住址"])
    response = _dry_run(client, path, model="household")
    result = response.context["result"]
    assert [(row.number, row.import_type) for row in result.valid_rows()] == [(2, "update"), (3, "new")]
    _confirm(client, response, model="household")
    stored.refresh_from_db()
    assert stored.address == "新址" and stored.history.first().history_user == county_admin
    assert set(Household.objects.values_list("household_number", flat=True)) == {"H7", "H8"}
    assert "households" not in dict(UploadForm(user=county_admin).fields["kind"].choices)
