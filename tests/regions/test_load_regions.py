"""`manage.py load_regions`: a whole region file is loaded, or, if any line is wrong, none of it.

The seed regions (8,902 rows) are already in the test database, so these files describe a made-up
province 99 that cannot collide with them, and assertions are about that province or about deltas.
"""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from audit.models import AuditEvent
from regions.models import Region

HEADER = "code,name,level,parent_code"
ROWS = [
    "990000000000,测试省,province,",
    "990100000000,测试市,city,990000000000",
    "990101000000,测试县,county,990100000000",
    "990101001000,测试镇,township,990101000000",
    "990101001001,东村村委会,village,990101001000",
    "990101001002,西村村委会,village,990101001000",
]


def csv_text(rows: list[str], header: str = HEADER) -> str:
    return "\n".join([header, *rows]) + "\n"


def write(tmp_path, text: str, encoding: str = "utf-8", name: str = "regions.csv"):
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


def load(path, *args) -> str:
    out = io.StringIO()
    call_command("load_regions", str(path), *args, stdout=out)
    return out.getvalue()


def province_99() -> dict[str, tuple[str, str, str | None]]:
    return {
        r.code: (r.name, r.level, r.parent.code if r.parent_id else None)
        for r in Region.objects.filter(code__startswith="99").select_related("parent")
    }


def test_a_region_file_is_loaded_with_its_hierarchy(db, tmp_path):
    regions_before = Region.objects.count()

    output = load(write(tmp_path, csv_text(ROWS)))

    assert "新增 6，更新 0，无变化 0（共 6 行" in output
    assert Region.objects.count() == regions_before + 6
    loaded = province_99()
    assert loaded["990101001001"] == ("东村村委会", "village", "990101001000")
    assert loaded["990101000000"] == ("测试县", "county", "990100000000")
    assert loaded["990000000000"] == ("测试省", "province", None)
    event = AuditEvent.objects.filter(event="regions.load").latest("id")
    assert event.detail == {"created": 6, "updated": 0, "unchanged": 0}


def test_loading_the_same_file_again_changes_nothing(db, tmp_path):
    path = write(tmp_path, csv_text(ROWS))
    load(path)
    first = {r.code: (r.pk, r.name) for r in Region.objects.filter(code__startswith="99")}

    output = load(path)

    assert "新增 0，更新 0，无变化 6（共 6 行" in output
    assert {r.code: (r.pk, r.name) for r in Region.objects.filter(code__startswith="99")} == first


def test_a_renamed_region_is_updated_in_place(db, tmp_path):
    load(write(tmp_path, csv_text(ROWS)))
    village_pk = Region.objects.get(code="990101001002").pk
    renamed = [row.replace("西村村委会", "西村社区") for row in ROWS]

    output = load(write(tmp_path, csv_text(renamed), name="renamed.csv"))

    assert "新增 0，更新 1，无变化 5" in output
    village = Region.objects.get(code="990101001002")
    assert (village.pk, village.name) == (village_pk, "西村社区")


def test_a_new_village_can_hang_under_a_township_already_in_the_system(db, tmp_path):
    load(write(tmp_path, csv_text(ROWS)))

    output = load(write(tmp_path, csv_text(["990101001003,南村村委会,village,990101001000"]), name="more.csv"))

    assert "新增 1，更新 0，无变化 0" in output
    assert province_99()["990101001003"] == ("南村村委会", "village", "990101001000")


@pytest.mark.parametrize(
    "rows, header, expected",
    [
        (
            [*ROWS[:4], "99010100100,东村村委会,village,990101001000", ROWS[5]],
            HEADER,
            "第6行：code “99010100100” 应为12位数字",
        ),
        (
            [*ROWS[:5], "990101001002,西村村委会,hamlet,990101001000"],
            HEADER,
            "第7行：level “hamlet” 应为 province/city/county/township/village 之一",
        ),
        (
            [*ROWS, "990101009001,北村村委会,village,990101009000"],
            HEADER,
            "第8行：上级区划 990101009000 不存在（文件和系统中都没有）",
        ),
        (
            [*ROWS, "990101001001,东村社区,village,990101001000"],
            HEADER,
            "第8行：code 990101001001 与第6行重复",
        ),
        (
            [*ROWS[:3], "990101001001,测试镇,township,990101000000"],
            HEADER,
            "第5行：code “990101001001” 与级别 township 不符（第10位起应为0）",
        ),
        (
            [row.rsplit(",", 2)[0] + "," + row.rsplit(",", 1)[1] for row in ROWS],
            "code,name,parent_code",
            "第1行（表头）：缺少列 level",
        ),
    ],
    ids=["bad-code", "unknown-level", "missing-parent", "duplicate-code", "code-does-not-fit-level", "missing-column"],
)
def test_a_bad_line_is_named_and_nothing_of_the_file_is_loaded(db, tmp_path, rows, header, expected):
    regions_before = Region.objects.count()
    path = write(tmp_path, csv_text(rows, header=header))

    with pytest.raises(CommandError) as excinfo:
        load(path)

    assert expected in str(excinfo.value)
    assert "未导入任何行" in str(excinfo.value)
    assert Region.objects.count() == regions_before
    assert province_99() == {}


def test_a_bad_line_also_stops_the_good_changes_in_the_same_file(db, tmp_path):
    load(write(tmp_path, csv_text(ROWS)))
    before = province_99()
    renamed_plus_error = [*(row.replace("东村村委会", "东村社区") for row in ROWS), "990101001009,,village,990101001000"]

    with pytest.raises(CommandError, match="第8行：name 为空"):
        load(write(tmp_path, csv_text(renamed_plus_error), name="bad.csv"))

    assert province_99() == before
    assert province_99()["990101001001"][0] == "东村村委会"


def test_every_bad_line_is_reported_at_once(db, tmp_path):
    rows = [*ROWS[:4], "9901010010X1,东村村委会,village,990101001000", "990101001002,西村村委会,hamlet,990101001000"]

    with pytest.raises(CommandError) as excinfo:
        load(write(tmp_path, csv_text(rows)))

    assert "第6行" in str(excinfo.value) and "第7行" in str(excinfo.value)


def test_a_gb18030_file_from_excel_is_read(db, tmp_path):
    path = write(tmp_path, csv_text(ROWS).replace("\n", "\r\n"), encoding="gb18030")

    output = load(path)

    assert "新增 6" in output
    assert province_99()["990101001002"] == ("西村村委会", "village", "990101001000")
    assert province_99()["990000000000"][0] == "测试省"


def test_a_utf8_file_with_a_byte_order_mark_is_read(db, tmp_path):
    output = load(write(tmp_path, "\ufeff" + csv_text(ROWS)))

    assert "新增 6" in output


def test_the_snapshot_date_is_applied_to_rows_without_one(db, tmp_path):
    load(write(tmp_path, csv_text(ROWS)), "--valid-from", "2024-12-31")

    assert set(Region.objects.filter(code__startswith="99").values_list("valid_from", flat=True)) == {
        dt.date(2024, 12, 31)
    }


def test_a_missing_file_is_reported_by_name(db, tmp_path):
    with pytest.raises(CommandError, match="找不到文件：.*nowhere.csv"):
        load(tmp_path / "nowhere.csv")
