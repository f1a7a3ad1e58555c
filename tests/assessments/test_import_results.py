"""Import of past assessment results (历史评估结果) through the import engine: level only, approved."""

from __future__ import annotations

import datetime as dt
import io
import json
import re

import openpyxl
import pytest
from django.contrib.auth.models import Permission
from django.core.exceptions import PermissionDenied
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from assessments import rules
from assessments.importers import parse_level, parse_standard
from assessments.models import Assessment, Source, Standard, Status
from audit.models import AuditEvent
from imports.models import ImportBatch
from tests.imports.helpers import error_rows, import_now, new_id, xlsx

from .helpers import approved

pytestmark = pytest.mark.django_db
HEADER = ["身份证号码", "评估日期", "标准版本", "评估等级", "评估机构"]
GBT, MZT = Standard.GBT_42195_2022, Standard.MZT_039_2013


@pytest.fixture(autouse=True)
def _media_in_tmp(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def results(tmp_path, rows, header=None, name="results.xlsx"):
    return xlsx(tmp_path / name, [header or HEADER, *rows])


def _imported(elder):
    return list(Assessment.objects.filter(elder=elder, source=Source.IMPORTED).order_by("assessed_on"))


# --- values --------------------------------------------------------------------------------------
@pytest.mark.parametrize("text", ["GB/T 42195-2022", "GB/T42195", "gb/t 42195—2022", "GBT42195", "国标2022", "国标",
                                  "ＧＢ／Ｔ　４２１９５－２０２２", "GB/T 42195-2022《老年人能力评估规范》"])
def test_the_current_standard_is_recognised_however_it_is_spelled(text):
    assert parse_standard(text) == GBT


@pytest.mark.parametrize("text", ["MZ/T 039-2013", "MZ/T 039", "mzt039", "行标2013", "行标", "民政行业标准"])
def test_the_old_standard_is_recognised_however_it_is_spelled(text):
    assert parse_standard(text) == MZT


@pytest.mark.parametrize("text", ["ISO 9001", "国标2013", "行标2022", "标准"])
def test_an_unknown_or_contradictory_standard_is_refused(text):
    with pytest.raises(ValueError, match="无法识别的标准版本"):
        parse_standard(text)


@pytest.mark.parametrize(("text", "standard", "level"), [
    ("能力完好", GBT, 0), ("轻度失能(能力轻度受损)", GBT, 1), ("轻度失能（能力轻度受损）", GBT, 1),
    ("能力中度受损", GBT, 2), (" 重度失能 ", MZT, 3), ("完全失能", GBT, 4), ("4", GBT, 4), (2.0, MZT, 2), (0, MZT, 0),
    ("三级", GBT, 3),
])
def test_levels_by_name_or_number(text, standard, level):
    assert parse_level(text, standard) == level


@pytest.mark.parametrize(("text", "standard", "message"), [
    ("完全失能", MZT, "没有“完全失能”等级"), ("4", MZT, "没有“完全失能”等级"), ("5", GBT, "无法识别的评估等级"),
    ("轻度失能(重度失能)", GBT, "无法识别的评估等级"), ("良好", GBT, "无法识别的评估等级"),
])
def test_a_level_outside_the_standard_is_refused(text, standard, message):
    with pytest.raises(ValueError, match=message):
        parse_level(text, standard)


# --- import --------------------------------------------------------------------------------------
def test_a_messy_file_with_both_standards_imports_as_approved_level_only_results(
    county_admin, elder, neighbour_elder, tmp_path
):
    spaced = f" {elder.id_number[:6]} {elder.id_number[6:].lower()} "
    full_width = neighbour_elder.id_number.translate(str.maketrans("0123456789X", "０１２３４５６７８９Ｘ"))
    path = results(tmp_path, [
        [spaced, "2024/3/5", "GB/T42195", "轻度失能(能力轻度受损)", "县老年人能力评估中心"],
        [full_width, dt.datetime(2023, 6, 1), "行标2013", "重度失能", None],
        [elder.id_number, "2021年5月1日", "MZ/T 039", 2, "  某某   医院 "],
        [neighbour_elder.id_number, 20240105, "国标2022", "能力完好", ""],
    ], header=["身份证号", "评估日期*", "评估标准", "能力等级", "评估单位"])

    batch = import_now(county_admin, path, kind="assessments")

    assert batch.status == ImportBatch.Status.DONE, batch.message
    assert batch.counts == {"new": 4, "updated": 0, "unchanged": 0, "error": 0}
    mine = _imported(elder)
    assert [(a.assessed_on, a.standard, a.final_level, a.institution) for a in mine] == [
        (dt.date(2021, 5, 1), MZT, 2, "某某 医院"),
        (dt.date(2024, 3, 5), GBT, 1, "县老年人能力评估中心"),
    ]
    for a in [*mine, *_imported(neighbour_elder)]:
        assert a.status == Status.APPROVED and a.source == Source.IMPORTED
        assert a.approved_by == county_admin and a.approved_at is not None
        assert a.answers == {} and a.subtotals == {} and a.total_score is None and a.preliminary_level is None
        assert a.region_code == a.elder.region_code
        assert a.next_due_on == rules.next_due_on(a.assessed_on, 12)
        assert a.history.get().history_user == county_admin
    elder.refresh_from_db()
    neighbour_elder.refresh_from_db()
    assert elder.ability_level == 1  # the newest of the file: 2024-03-05 GB/T 轻度失能
    assert neighbour_elder.ability_level == 0  # 2024-01-05 is newer than 2023-06-01
    record = elder.history.first()
    assert record.history_user == county_admin and "导入历史评估结果" in record.history_change_reason
    event = AuditEvent.objects.get(event="eligibility.elder_ability_level", object_id=str(elder.pk))
    assert event.user == county_admin and event.detail["new"] == 1


def test_an_mzt_result_sets_the_level_of_the_same_name(county_admin, elder, tmp_path):
    import_now(county_admin, results(tmp_path, [[elder.id_number, "2025-02-03", "MZ/T 039-2013", "中度失能", ""]]),
               kind="assessments")
    elder.refresh_from_db()
    assert elder.ability_level == rules.MODERATE


def _bad_file(tmp_path, elder, neighbour_elder, far_elder):
    future = timezone.localdate() + dt.timedelta(days=5)
    return results(tmp_path, [
        [far_elder.id_number, "2024-01-01", "GB/T 42195-2022", "轻度失能", ""],  # 2: another county
        [new_id(dt.date(1949, 1, 1)), "2024-01-01", "GB/T 42195-2022", "轻度失能", ""],  # 3: not registered
        [elder.id_number, future.isoformat(), "GB/T 42195-2022", "轻度失能", ""],  # 4: future
        [elder.id_number, "2024-01-01", "MZ/T 039-2013", "完全失能", ""],  # 5: not a level of MZ/T
        [elder.id_number, "2024-02-01", "GB/T 42195-2022", "6", ""],  # 6: no such level
        [neighbour_elder.id_number, "2024-03-01", "GB/T 42195-2022", "中度失能", ""],  # 7: fine
        [neighbour_elder.id_number, "2024-03-01", "国标2022", "中度失能", ""],  # 8: copy of row 7
        [elder.id_number, "2024-04-01", "GB/T 42195-2022", "中度失能", ""],  # 9: conflicts with row 10
        [elder.id_number, "2024-04-01", "GB/T 42195-2022", "重度失能", ""],  # 10
    ])


EXPECTED_ERRORS = [(2, "身份证号码"), (3, "身份证号码"), (4, "评估日期"), (5, "评估等级"), (6, "评估等级"),
                   (8, "身份证号码"), (9, "评估等级"), (10, "身份证号码")]


def test_bad_rows_are_reported_with_row_and_column_and_strict_mode_writes_nothing(
    county_admin, elder, neighbour_elder, far_elder, tmp_path
):
    batch = import_now(county_admin, _bad_file(tmp_path, elder, neighbour_elder, far_elder), kind="assessments",
                       mode="strict")

    assert batch.status == ImportBatch.Status.FAILED
    assert batch.counts["error"] == 8 and batch.counts["new"] == 1
    found = error_rows(batch)
    assert sorted((r[0], r[1]) for r in found) == EXPECTED_ERRORS
    reasons = {r[0]: r[3] for r in found}
    assert "管辖区域" in reasons[2] and "管辖区域" in reasons[3]
    assert "不能晚于今天" in reasons[4]
    assert "没有“完全失能”" in reasons[5]
    assert "第 7 行重复" in reasons[8]
    assert not Assessment.objects.exists()
    elder.refresh_from_db()
    assert elder.ability_level is None
    sheet = openpyxl.load_workbook(batch.error_report.path, read_only=True)["错误行"]
    assert [r[0] for r in sheet.iter_rows(min_row=2, values_only=True)] == [2, 3, 4, 5, 6, 8, 9, 10]


def test_skip_mode_imports_the_good_rows(county_admin, elder, neighbour_elder, far_elder, tmp_path):
    batch = import_now(county_admin, _bad_file(tmp_path, elder, neighbour_elder, far_elder), kind="assessments")
    assert batch.status == ImportBatch.Status.DONE
    assert batch.counts == {"new": 1, "updated": 0, "unchanged": 0, "error": 8}
    assert [a.assessed_on for a in _imported(neighbour_elder)] == [dt.date(2024, 3, 1)]
    assert not _imported(elder)


def test_a_reimport_is_all_unchanged_and_writes_nothing(county_admin, elder, neighbour_elder, tmp_path):
    rows = [[elder.id_number, "2024-03-05", "GB/T 42195-2022", "轻度失能", "评估中心"],
            [elder.id_number, "2020-01-01", "MZ/T 039-2013", "能力完好", ""],
            [neighbour_elder.id_number, "2023-06-01", "MZ/T 039-2013", "重度失能", ""]]
    written_tables = re.compile(r'^\s*(INSERT INTO|UPDATE|DELETE FROM|COPY)\s+"(assessments|eligibility)_', re.I)
    with CaptureQueriesContext(connection) as queries:
        first = import_now(county_admin, results(tmp_path, rows), kind="assessments")
    assert first.counts["new"] == 3
    assert any(written_tables.match(q["sql"]) for q in queries.captured_queries)  # the check below can see writes
    counts = (Assessment.objects.count(), Assessment.history.count(), elder.history.count(),
              AuditEvent.objects.filter(event="eligibility.elder_ability_level").count())

    # spelled differently the second time: still the same results
    again = [[r[0].lower(), r[1].replace("-", "/"), parse_standard(r[2]).split()[0], r[3], r[4]] for r in rows]
    with CaptureQueriesContext(connection) as queries:
        second = import_now(county_admin, results(tmp_path, again, name="again.xlsx"), kind="assessments")

    assert second.status == ImportBatch.Status.DONE
    assert second.counts == {"new": 0, "updated": 0, "unchanged": 3, "error": 0}
    assert counts == (Assessment.objects.count(), Assessment.history.count(), elder.history.count(),
                      AuditEvent.objects.filter(event="eligibility.elder_ability_level").count())
    writes = [q["sql"] for q in queries.captured_queries if written_tables.match(q["sql"])]
    assert writes == []


def test_a_stored_result_of_the_same_day_with_another_level_is_an_error(county_admin, elder, tmp_path):
    import_now(county_admin, results(tmp_path, [[elder.id_number, "2024-03-05", "GB/T 42195-2022", "轻度失能", ""]]),
               kind="assessments")
    batch = import_now(county_admin, results(tmp_path, [[elder.id_number, "2024-03-05", "国标", "中度失能", ""]],
                                             name="b.xlsx"), kind="assessments")
    assert batch.counts["error"] == 1
    (row, column, _, reason), = error_rows(batch)
    assert (row, column) == (2, "评估等级") and "已审核的结果不能修改" in reason
    assert len(_imported(elder)) == 1


def test_an_older_imported_result_does_not_overwrite_a_newer_approved_one(
    assessor, assessor2, county_admin, elder, tmp_path
):
    approved(assessor, county_admin, elder, assessor, assessor2, total=70)  # 2026-11-20, 轻度失能
    elder.refresh_from_db()
    assert elder.ability_level == rules.MILD
    history = elder.history.count()

    batch = import_now(county_admin, results(tmp_path, [
        [elder.id_number, "2024-01-01", "GB/T 42195-2022", "完全失能", ""],
        [elder.id_number, "2025-01-01", "MZ/T 039-2013", "重度失能", ""],
    ]), kind="assessments")

    assert batch.counts["new"] == 2
    assert batch.preview["written"]["levels_set"] == 0
    elder.refresh_from_db()
    assert elder.ability_level == rules.MILD and elder.history.count() == history

    # a newer result (assessed after the approved one) does take over
    newer = (dt.date(2026, 11, 21)).isoformat()
    import_now(county_admin, results(tmp_path, [[elder.id_number, newer, "GB/T 42195-2022", "完全失能", ""]],
                                     name="newer.xlsx"), kind="assessments")
    elder.refresh_from_db()
    assert elder.ability_level == rules.TOTAL


def test_imported_approved_results_are_immutable_like_entered_ones(county_admin, elder, tmp_path):
    from django.db import transaction

    import_now(county_admin, results(tmp_path, [[elder.id_number, "2024-03-05", "GB/T 42195-2022", "轻度失能", ""]]),
               kind="assessments")
    with pytest.raises(Exception) as exc, transaction.atomic():
        Assessment.objects.filter(elder=elder).update(final_level=3)
    assert "approved assessment cannot be changed" in str(exc.value)
    assert Assessment.objects.get(elder=elder).final_level == 1


# --- the CLI, the page, who may import ----------------------------------------------------------
def test_the_cli_imports_and_prints_the_counts(county_admin, elder, tmp_path):
    path = results(tmp_path, [[elder.id_number, "2024-03-05", "GB/T 42195-2022", "轻度失能", ""],
                              [elder.id_number, "2024-03-06", "GB/T 42195-2022", "七级", ""]])
    out = io.StringIO()
    call_command("import_roll", str(path), "--kind", "assessments", "--user", county_admin.username, "--json",
                 stdout=out)
    counts = json.loads(out.getvalue())
    assert {k: counts[k] for k in ("new", "updated", "unchanged", "error")} == {
        "new": 1, "updated": 0, "unchanged": 0, "error": 1}
    assert counts["status"] == ImportBatch.Status.DONE
    assert ImportBatch.objects.get(pk=counts["batch"]).kind == "assessments"


def test_the_upload_page_lists_the_kind_and_its_template_downloads(client, county_admin):
    client.force_login(county_admin)
    page = client.get(reverse("imports:upload"))
    assert "历史评估结果" in page.content.decode()
    response = client.get(reverse("imports:template"), {"kind": "assessments"})
    assert response.status_code == 200
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).worksheets[0]
    assert [c.value for c in sheet[1]] == ["身份证号码*", "评估日期*", "标准版本*", "评估等级*", "评估机构"]


def test_the_preview_page_shows_the_new_results_before_anything_is_written(client, county_admin, elder, tmp_path):
    from tests.imports.helpers import validate

    path = results(tmp_path, [[elder.id_number, "2024-03-05", "GB/T 42195-2022", "轻度失能", ""]])
    batch = validate(county_admin, path, kind="assessments")
    assert batch.status == ImportBatch.Status.READY and batch.counts["new"] == 1
    assert not Assessment.objects.exists()
    client.force_login(county_admin)
    page = client.get(reverse("imports:batch_detail", args=[batch.pk])).content.decode()
    assert "历史评估结果" in page and "2024-03-05 GB/T 42195-2022 轻度失能" in page


def test_who_may_import_results(county_admin, officer, assessor, elder, tmp_path):
    from imports import services

    path = results(tmp_path, [[elder.id_number, "2024-03-05", "GB/T 42195-2022", "轻度失能", ""]])
    with pytest.raises(PermissionDenied):  # the township officer neither assesses nor approves
        services.batch_create(actor=officer, kind="assessments", file=path, enqueue=False)
    with pytest.raises(PermissionDenied):  # assessors by default have no import permission
        services.batch_create(actor=assessor, kind="assessments", file=path, enqueue=False)
    assessor.user_permissions.add(Permission.objects.get(codename="add_importbatch"))
    from django.contrib.auth import get_user_model

    assessor = get_user_model().objects.get(pk=assessor.pk)  # fresh permission cache
    batch = import_now(assessor, path, kind="assessments")
    assert batch.counts["new"] == 1
    assert _imported(elder)[0].approved_by == assessor
