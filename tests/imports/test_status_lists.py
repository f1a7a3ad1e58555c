"""Status lists from the police, social assistance and the disabled persons' federation."""

from __future__ import annotations

import datetime as dt

from registry.history import history_entries
from imports.models import ImportBatch

from .helpers import error_rows, import_now, xlsx


def test_the_police_list_records_a_death_and_a_move_with_their_dates_in_the_history(officer, elder, tmp_path):
    from tests.factories import ElderFactory

    mover = ElderFactory(name="赵迁出")
    path = xlsx(tmp_path / "deaths.xlsx", [
        ["公安局死亡及迁出人员名单"],
        ["身份证号码", "姓名", "类型", "日期"],
        [elder.id_number, "王秀兰", "死亡", "2026年10月3日"],
        [mover.id_number, "赵迁出", "户口迁出", "2026/9/1"],
    ])
    batch = import_now(officer, path, kind="deaths")
    assert batch.counts == {"new": 0, "updated": 2, "unchanged": 0, "error": 0}
    elder.refresh_from_db()
    mover.refresh_from_db()
    assert elder.deceased_on == dt.date(2026, 10, 3) and mover.moved_out_on == dt.date(2026, 9, 1)
    changes = history_entries(elder)[0].changes
    assert ("死亡日期", "（空）", "2026-10-03") in changes

    again = import_now(officer, path, kind="deaths")
    assert again.counts["unchanged"] == 2 and elder.history.count() == 2


def test_a_status_row_whose_name_does_not_match_or_whose_elder_is_elsewhere_is_an_error(
    officer, elder, neighbour_elder, tmp_path
):
    path = xlsx(tmp_path / "deaths.xlsx", [
        ["身份证号码", "姓名", "类型", "日期"],
        [elder.id_number, "王秀英", "死亡", "2026-10-03"],
        [neighbour_elder.id_number, "李建国", "死亡", "2026-10-03"],
        [elder.id_number[:-1] + ("1" if elder.id_number[-1] != "1" else "2"), "王秀兰", "死亡", "2026-10-03"],  # bad check char
        [elder.id_number, "王秀兰", "出走", "2026-10-03"],
    ])
    batch = import_now(officer, path, kind="deaths")
    reasons = {r[0]: r[3] for r in error_rows(batch)}
    assert "姓名与系统登记的不一致" in reasons[2]
    assert "没有登记该身份证号码" in reasons[3]
    assert 4 in reasons and "不是可选的值" in reasons[5]
    neighbour_elder.refresh_from_db()
    assert neighbour_elder.deceased_on is None


def test_the_assistance_list_sets_the_economic_status_with_its_dates(officer, elder, tmp_path):
    path = xlsx(tmp_path / "dibao.xlsx", [
        ["身份证号码", "姓名", "救助类型", "起始日期", "终止日期"],
        [elder.id_number, "王秀兰", "低保户", "20260101", dt.date(2026, 12, 31)],
    ])
    batch = import_now(officer, path, kind="assistance")
    assert batch.status == ImportBatch.Status.DONE and batch.counts["updated"] == 1
    elder.refresh_from_db()
    assert (elder.economic_status, elder.economic_status_from, elder.economic_status_to) == (
        "dibao", dt.date(2026, 1, 1), dt.date(2026, 12, 31))
    labels = [label for label, *_ in history_entries(elder)[0].changes]
    assert "经济状况" in labels and "经济状况起始日期" in labels


def test_an_end_date_before_the_start_date_is_an_error(officer, elder, tmp_path):
    path = xlsx(tmp_path / "dibao.xlsx", [
        ["身份证号码", "姓名", "经济状况", "起始日期", "终止日期"],
        [elder.id_number, "王秀兰", "低保", "2026-06-01", "2026-01-01"],
    ])
    batch = import_now(officer, path, kind="assistance")
    assert "终止日期早于起始日期" in error_rows(batch)[0][3]


def test_the_disability_list_records_category_grade_certificate_and_date(officer, elder, tmp_path):
    path = xlsx(tmp_path / "cdpf.xlsx", [
        ["身份证号码", "姓名", "残疾类别", "残疾等级", "证号", "发证日期"],
        [elder.id_number, "王秀兰", "肢体", "2", elder.id_number + "42", "2025.5.20"],
    ])
    import_now(officer, path, kind="disability")
    elder.refresh_from_db()
    assert (elder.disability_category, elder.disability_grade, elder.disability_certified_on) == (
        "physical", 2, dt.date(2025, 5, 20))
    assert elder.disability_certificate_no == elder.id_number + "42"
    assert any(label == "残疾等级" for label, *_ in history_entries(elder)[0].changes)
