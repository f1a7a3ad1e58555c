"""Import and export in the Django admin: our templates, our validation, the admin user's area."""

from __future__ import annotations

import io

import openpyxl
from django.urls import reverse

from eligibility.models import Elder, Household
from imports.reports import neutralise
from tests.conftest import NEIGHBOUR_VILLAGE, VILLAGE, make_staff
from tests.factories import ElderFactory

from .helpers import new_id, roll

XLSX_FORMAT = "0"  # import formats are listed xlsx, csv


def _dry_run(client, path, model="elder"):
    with open(path, "rb") as fh:
        return client.post(reverse(f"admin:eligibility_{model}_import"), {"format": XLSX_FORMAT, "import_file": fh})


def _confirm(client, response, model="elder"):
    form = response.context["confirm_form"]
    return client.post(reverse(f"admin:eligibility_{model}_process_import"), {
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
    assert "管辖区域以外登记" in html
    far_elder.refresh_from_db()
    assert far_elder.name == "赵德胜" and Elder.objects.count() == 1


def test_the_admin_import_needs_the_import_permission(client, regions, tmp_path):
    from regions import roles

    auditor_staff = make_staff("audit_staff", roles.AUDITOR, "610403000000", is_staff=True)
    client.force_login(auditor_staff)
    assert client.get(reverse("admin:eligibility_elder_import")).status_code == 403
    assert client.get(reverse("admin:eligibility_elder_export")).status_code == 403


def test_the_admin_export_is_scoped_and_neutralises_formulas(client, county_admin, elder, far_elder, regions):
    ElderFactory(region=regions[VILLAGE], name="=HYPERLINK(\"http://x\")", note="+1+1")
    client.force_login(county_admin)
    response = client.post(reverse("admin:eligibility_elder_export"), {
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
