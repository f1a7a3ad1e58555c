"""A township clerk imports the villages' household rolls."""

from __future__ import annotations

import datetime as dt

import openpyxl
import pytest

from registry.models import Elder, Household
from imports.models import ImportBatch
from imports.reading import FileRejected
from tests.conftest import NEIGHBOUR_VILLAGE, VILLAGE
from tests.factories import ElderFactory

from .helpers import error_rows, import_now, new_id, roll, validate, xlsx

FULL_WIDTH = str.maketrans("0123456789", "０１２３４５６７８９")


def _history_count() -> int:
    return Elder.history.count()


def test_a_messy_roll_with_title_rows_shuffled_columns_and_every_date_format_imports(officer, tmp_path):
    births = [dt.date(1950, 1, 5), dt.date(1944, 2, 29), dt.date(1960, 12, 31), dt.date(1938, 7, 1),
              dt.date(1955, 3, 15), dt.date(1949, 10, 1)]
    ids = [new_id(b, "F" if i % 2 else "M") for i, b in enumerate(births)]
    from registry.rules import check_char

    x_id = next(f + "X" for f in (f"61040319510101{seq:03d}" for seq in range(1, 999, 2)) if check_char(f) == "X")
    header = ["户号", "  姓 名 ", "备注", "身份证号", "村（社区）", "出生日期", "经济状况", "联系电话", "居住情况", "民族"]
    rows = [
        ["H-01", "王一", "", ids[0], "610403001001", dt.date(1950, 1, 5), "低保户", "138 1234 1234", "独居老人", "汉"],
        ["H-01", "王二", "", " " + ids[1].translate(FULL_WIDTH) + " ", "凤岗路社区", 16131, "一般", "", "空巢", "汉"],
        ["H-02", "王三", "", ids[2], "凤岗路", "1960-12-31", "低边", "029-87012345", "", "回"],
        ["H-03", "王四", "", ids[3], "610403001003", "1938/07/01", "分散供养特困", "", "", ""],
        ["H-04", "王五", "", ids[4], "姚安社区", "1955年3月15日", "", "", "", ""],
        ["H-05", "王六", "", ids[5], "杨陵街道/公园路社区", "19491001", "", "", "", ""],
        ["H-06", "王七", "补录", x_id.lower(), "610403001001", "", "", "", "", ""],
    ]
    path = xlsx(tmp_path / "messy.xlsx", [header, *rows], title_rows=[["杨陵街道户籍花名册"], ["填报单位：凤岗路社区", "", "2026年11月"]])

    batch = import_now(officer, path)

    assert batch.status == ImportBatch.Status.DONE, batch.preview["errors"]
    assert batch.counts == {"new": 7, "updated": 0, "unchanged": 0, "error": 0}, batch.preview["errors"]
    assert batch.preview["header_row"] == 3
    assert batch.preview["unknown_columns"] == ["民族"]
    first = Elder.objects.get(id_number=ids[0])
    assert (first.economic_status, first.living_arrangement, first.phone) == ("dibao", "alone", "13812341234")
    assert first.household.household_number == "H-01" and first.region_code == VILLAGE
    assert Elder.objects.get(id_number=ids[1]).household_id == first.household_id
    assert Elder.objects.get(id_number=ids[2]).economic_status == "dibao_edge"
    assert Elder.objects.get(id_number=ids[3]).economic_status == "tekun_home"
    assert Elder.objects.get(id_number=x_id.upper()).note == "补录"
    assert Elder.history.filter(history_user=officer, history_type="+").count() == 7


def test_a_roll_in_gb18030_csv_imports(officer, tmp_path):
    number = new_id()
    path = tmp_path / "roll.csv"
    path.write_bytes(f"身份证号码,姓名,户号,村(社区),经济状况\n{number},张三,H1,凤岗路社区,低保\n".encode("gb18030"))
    batch = import_now(officer, path)
    assert batch.counts["new"] == 1
    assert Elder.objects.get(id_number=number).name == "张三"


def test_every_bad_row_is_in_the_error_workbook_with_row_column_value_and_reason(officer, tmp_path):
    good = new_id()
    male = new_id(dt.date(1950, 3, 15), "M")
    header = ["身份证号码", "姓名", "性别", "出生日期", "户号", "村(社区)", "经济状况", "联系电话"]
    rows = [
        [good, "好人", "", "", "H1", "凤岗路社区", "", ""],
        [good[:-1] + ("0" if good[-1] != "0" else "1"), "校验错", "", "", "H1", "凤岗路社区", "", ""],
        [male, "性别错", "女", "", "H1", "凤岗路社区", "", ""],
        [new_id(), "生日错", "", "1950-03-16", "H1", "凤岗路社区", "", ""],
        [new_id(), "村不存在", "", "", "H1", "不存在村", "", ""],
        [new_id(), "村在外区", "", "", "H1", "景苑社区", "", ""],
        [new_id(), "代码外区", "", "", "H1", NEIGHBOUR_VILLAGE, "", ""],
        [new_id(), "枚举错", "", "", "H1", "凤岗路社区", "小康", ""],
        [new_id(), "日期错", "", "1950-13-45", "H1", "凤岗路社区", "", ""],
        [new_id(), "电话错", "", "", "H1", "凤岗路社区", "", "12345"],
        [610403195003151234, "数字号码", "", "", "H1", "凤岗路社区", "", ""],
        ["@SUM(1+1)*cmd|' /C calc'!A0", "公式", "", "", "H1", "凤岗路社区", "", ""],
    ]
    batch = validate(officer, roll(tmp_path, rows, header=header))

    assert batch.counts == {"new": 1, "updated": 0, "unchanged": 0, "error": 11}
    reasons = {(r[0], r[1]): r[3] for r in error_rows(batch)}
    assert "校验位不正确" in reasons[(3, "身份证号码")]
    assert "性别与身份证号码不符" in reasons[(4, "性别")]
    assert "出生日期与身份证号码不符" in reasons[(5, "出生日期")]
    assert "未找到该村(社区)" in reasons[(6, "村(社区)")]
    assert "不在您的管辖区域内" in reasons[(7, "村(社区)")]
    assert "不在您的管辖区域内" in reasons[(8, "村(社区)")]
    assert "不是可选的值" in reasons[(9, "经济状况")]
    assert "日期" in reasons[(10, "出生日期")]
    assert "11位手机号码" in reasons[(11, "联系电话")]
    assert "存成了数字" in reasons[(12, "身份证号码")]
    values = {(r[0], r[1]): r[2] for r in error_rows(batch)}
    assert values[(8, "村(社区)")] == NEIGHBOUR_VILLAGE
    assert values[(13, "身份证号码")].startswith("'@")  # neutralised in the workbook
    sheet = openpyxl.load_workbook(batch.error_report.path)["错误行"]
    assert [c.value for c in sheet[1]][0] == "原行号" and [c.value for c in sheet[1]][-1] == "错误说明"
    assert sheet.cell(row=2, column=1).value == 3
    assert not Elder.objects.exists()


def test_a_duplicate_id_in_the_file_flags_both_rows_unless_they_are_identical(officer, tmp_path):
    twice, same = new_id(), new_id(dt.date(1947, 1, 1))
    rows = [
        [twice, "甲", "H1", "凤岗路社区"],
        [same, "乙", "H2", "凤岗路社区"],
        [twice, "甲二", "H1", "凤岗路社区"],
        [same, "乙", "H2", "凤岗路社区"],
    ]
    batch = import_now(officer, roll(tmp_path, rows))
    flagged = sorted(r[0] for r in error_rows(batch) if "重复" in r[3])
    assert flagged == [2, 4]
    assert batch.counts == {"new": 1, "updated": 0, "unchanged": 1, "error": 2}
    assert list(Elder.objects.values_list("id_number", flat=True)) == [same]


def test_a_missing_required_column_stops_the_import_before_any_row_naming_it(officer, tmp_path):
    path = xlsx(tmp_path / "no-village.xlsx", [["身份证号码", "姓名", "户号"], [new_id(), "张三", "H1"]])
    with pytest.raises(FileRejected, match="缺少必填列：村\\(社区\\)"):
        import_now(officer, path)
    assert not Elder.objects.exists()
    batch = validate(officer, path)
    assert batch.status == ImportBatch.Status.FAILED and "村(社区)" in batch.message


@pytest.mark.parametrize(("content", "reason"), [
    (b"", "空"),
    (b"\x7fELF\x02\x01\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00", "不是电子表格"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100, "加密"),
    (b"PK\x03\x04broken", "损坏"),
])
def test_a_file_that_is_not_a_usable_spreadsheet_is_refused_with_a_clear_message(officer, tmp_path, content, reason):
    path = tmp_path / "upload.xlsx"
    path.write_bytes(content)
    with pytest.raises(FileRejected, match=reason):
        import_now(officer, path)
    assert not ImportBatch.objects.exists()


def test_a_header_only_file_is_refused(officer, tmp_path):
    with pytest.raises(FileRejected, match="没有数据行"):
        import_now(officer, roll(tmp_path, []))


def test_too_large_and_too_many_rows_are_refused_before_parsing(officer, tmp_path, settings):
    rows = [[new_id(dt.date(1950, 1, d)), f"人{d}", "H1", "凤岗路社区"] for d in range(1, 6)]
    path = roll(tmp_path, rows)
    settings.IMPORT_MAX_ROWS = 3
    with pytest.raises(FileRejected, match="行数太多"):
        import_now(officer, path)
    settings.IMPORT_MAX_ROWS = 200_000
    settings.IMPORT_MAX_FILE_MB = 0.001
    with pytest.raises(FileRejected, match="文件太大"):
        import_now(officer, path)
    assert not Elder.objects.exists()


def test_strict_mode_writes_nothing_when_one_row_is_bad(officer, tmp_path):
    rows = [[new_id(), "好人", "H1", "凤岗路社区"], ["123", "坏人", "H2", "凤岗路社区"]]
    batch = import_now(officer, roll(tmp_path, rows), mode="strict")
    assert batch.status == ImportBatch.Status.FAILED and "未导入任何数据" in batch.message
    assert not Elder.objects.exists() and not Household.objects.exists()


def test_skip_mode_writes_the_valid_rows_and_reports_the_bad_ones(officer, tmp_path):
    good = new_id()
    rows = [[good, "好人", "H1", "凤岗路社区"], ["123", "坏人", "H2", "凤岗路社区"]]
    batch = import_now(officer, roll(tmp_path, rows))
    assert batch.status == ImportBatch.Status.DONE
    assert list(Elder.objects.values_list("id_number", flat=True)) == [good]
    assert [r[0] for r in error_rows(batch)] == [3]


def test_reimporting_the_same_file_reports_everything_unchanged_and_writes_nothing(officer, tmp_path):
    rows = [[new_id(dt.date(1950, 1, d)), f"人{d}", f"H{d % 2}", "凤岗路社区"] for d in range(1, 6)]
    path = roll(tmp_path, rows)
    import_now(officer, path)
    before = (_history_count(), Household.history.count(), list(Elder.objects.values_list("updated_at", flat=True)))

    again = import_now(officer, path)

    assert again.counts == {"new": 0, "updated": 0, "unchanged": 5, "error": 0}
    after = (_history_count(), Household.history.count(), list(Elder.objects.values_list("updated_at", flat=True)))
    assert after == before


def test_an_update_writes_only_changed_rows_and_shows_old_and_new_in_preview_and_history(officer, tmp_path, client):
    elder = ElderFactory(name="王秀兰", sex="F", birth_date=dt.date(1946, 12, 3), phone="13812341234")
    untouched = ElderFactory(name="李四")
    header = ["身份证号码", "姓名", "户号", "村(社区)", "联系电话", "经济状况"]
    rows = [[elder.id_number, "王秀兰", "H9", VILLAGE, "13900001111", "低保"],
            [untouched.id_number, "李四", "H9", VILLAGE, "", ""]]
    preview = validate(officer, roll(tmp_path, rows, header=header))
    assert preview.counts["updated"] == 2  # both get a household
    change = next(c for c in preview.preview["changes"] if "王秀兰" in c["who"])
    assert ["联系电话", "13812341234", "13900001111"] in change["fields"]
    assert ["经济状况", "普通", "低保"] in change["fields"]
    assert Elder.objects.get(pk=elder.pk).phone == "13812341234"  # nothing written by the preview

    import_now(officer, roll(tmp_path, rows, header=header, name="again.xlsx"))
    elder.refresh_from_db()
    assert (elder.phone, elder.economic_status, elder.household.household_number) == ("13900001111", "dibao", "H9")
    assert untouched.history.count() == 2  # created + one import change (the household), blank cells kept
    latest = elder.history.first()
    assert latest.history_user == officer and latest.history_type == "~"
    client.force_login(officer)
    html = client.get(f"/elders/{elder.pk}/").content.decode()
    assert "13900001111" in html and "低保" in html


def test_an_officer_cannot_import_into_the_neighbour_township_nor_overwrite_its_elders(
    officer, neighbour_elder, tmp_path
):
    rows = [[new_id(), "外区新人", "H1", NEIGHBOUR_VILLAGE],
            [neighbour_elder.id_number, "改名", "H1", VILLAGE]]
    batch = import_now(officer, roll(tmp_path, rows))
    assert batch.counts == {"new": 0, "updated": 0, "unchanged": 0, "error": 2}
    reasons = {r[0]: r[3] for r in error_rows(batch)}
    assert "不在您的管辖区域内" in reasons[2]
    assert reasons[3] == "该身份证号码无法在您的辖区导入，请联系县级管理员"
    neighbour_elder.refresh_from_db()
    assert neighbour_elder.name == "李建国" and neighbour_elder.region_code == NEIGHBOUR_VILLAGE
    assert Elder.objects.count() == 1


def test_a_village_name_that_exists_twice_in_the_area_needs_its_township(county_admin):
    from registry.importers import Villages

    villages = Villages(county_admin)
    assert villages.resolve("凤岗路社区")[1] == VILLAGE
    assert villages.resolve("杨陵街道/凤岗路社区")[1] == VILLAGE
    twice = sorted(alias for alias, entries in villages.by_name.items() if len(entries) > 1 and "/" not in alias)
    for alias in twice[:1]:  # where a county repeats a name, the bare name is refused as ambiguous
        assert "重名" in villages.resolve(alias)


def test_attack_roll_import_cannot_probe_who_is_registered_in_another_area(officer, neighbour_elder, tmp_path):
    """The message for an ID registered outside the clerk's area says nothing about where (or that)
    it is registered; the real reason is in the audit log, once per file."""
    from audit.models import AuditEvent

    rows = [[neighbour_elder.id_number, "试探", "H1", VILLAGE]]
    batch = validate(officer, roll(tmp_path, rows))
    (reason,) = [r[3] for r in error_rows(batch)]
    assert reason == "该身份证号码无法在您的辖区导入，请联系县级管理员"
    assert "登记" not in reason and "以外" not in reason and "其他" not in reason
    event = AuditEvent.objects.get(event="imports.roll_foreign_ids_refused")
    assert event.outcome == "refused" and event.detail["count"] == 1
    assert event.detail["rows"][0]["region_code"] == NEIGHBOUR_VILLAGE
    assert neighbour_elder.id_number not in str(event.detail)  # masked even there
