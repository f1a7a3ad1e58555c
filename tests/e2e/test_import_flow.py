"""A township officer's import in the browser: template → upload a messy roll → progress → preview →
confirm → result → error workbook → import history (issue #3)."""

from __future__ import annotations

import io
import re

import openpyxl
import pytest
from playwright.sync_api import expect

from registry.models import Elder, Household
from imports import services
from imports.models import ImportBatch
from tests.conftest import PASSWORD, VILLAGE
from tests.factories import ElderFactory, valid_id_number

pytestmark = pytest.mark.e2e

OLD_PHONE = "13812341234"
NEW_PHONE = "13998765432"
FILENAME = "杨陵街道花名册.xlsx"


@pytest.fixture(autouse=True)
def _media_in_tmp(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def held_validation(monkeypatch):
    """The validation task is held (as if the worker were busy) so that the page shows its progress bar;
    the test then runs it itself. The commit task runs eagerly in the server, as in the other tests."""
    from imports import tasks
    from tests.celery_helpers import tasks_eager

    held: list[int] = []

    class HeldTask:
        @staticmethod
        def delay(batch_id: int) -> None:
            held.append(batch_id)

    monkeypatch.setattr(tasks, "validate_batch", HeldTask)
    with tasks_eager(True):
        yield held


@pytest.fixture
def registered(regions):
    """Two elders already in 凤岗路社区, household H1: one whose phone the roll changes, one it repeats."""
    household = Household.objects.create(region=regions[VILLAGE], region_code=VILLAGE, household_number="H1")
    return {
        "changed": ElderFactory(region=regions[VILLAGE], household=household, name="王秀兰", sex="F", phone=OLD_PHONE),
        "same": ElderFactory(region=regions[VILLAGE], household=household, name="张桂芳", sex="F", phone=OLD_PHONE),
    }


def _workbook(download) -> openpyxl.Workbook:
    """A downloaded .xlsx (Playwright keeps downloads under a name without extension)."""
    with open(download.path(), "rb") as fh:
        return openpyxl.load_workbook(io.BytesIO(fh.read()))


def _write_roll(path, registered) -> tuple[str, str]:
    import datetime as dt

    new = valid_id_number(dt.date(1952, 5, 6), "M", "610403")
    good = valid_id_number(dt.date(1948, 2, 9), "M", "610403")
    bad = good[:-1] + ("1" if good[-1] != "1" else "2")  # a wrong check digit
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(["杨陵街道户籍老年人花名册（2026年11月）"])  # row 1: a title row
    sheet.append(["身份证号码*", "姓名*", "户号*", "村(社区)*", "联系电话"])  # row 2: the header
    sheet.append([new, "刘新来", "H2", "凤岗路社区", "13700001111"])  # row 3: new
    sheet.append([registered["changed"].id_number, "王秀兰", "H1", VILLAGE, NEW_PHONE])  # row 4: changed phone
    sheet.append([registered["same"].id_number, "张桂芳", "H1", VILLAGE, OLD_PHONE])  # row 5: unchanged
    sheet.append([bad, "错号人", "H3", VILLAGE, ""])  # row 6: bad ID number
    workbook.save(path)
    return new, bad


def test_officer_imports_a_messy_roll_previews_confirms_and_gets_the_error_workbook(
    page, officer, registered, held_validation, tmp_path
):
    # log in on the way to the upload page
    page.goto("/imports/new/")
    page.locator("#id_username").fill(officer.username)
    page.locator("#id_password").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    expect(page).to_have_url(re.compile(r"/imports/new/$"))

    # the blank template downloads, with the required columns marked
    with page.expect_download() as info:
        page.get_by_test_id("templates").get_by_role("link", name="户籍花名册模板（.xlsx）").click()
    template = _workbook(info.value)
    header = [c.value for c in next(template.worksheets[0].iter_rows(max_row=1))]
    assert header[:2] == ["身份证号码*", "姓名*"] and "村(社区)*" in header
    assert "填写说明" in template.sheetnames

    # upload a roll with a title row above the header
    path = tmp_path / FILENAME
    new_id, bad_id = _write_roll(path, registered)
    page.locator("#id_kind").select_option("roll")
    page.locator("#id_file").set_input_files(str(path))
    page.get_by_role("button", name="上传并校验").click()

    # progress: the page polls while the file waits for the worker
    expect(page).to_have_url(re.compile(r"/imports/\d+/$"))
    batch = ImportBatch.objects.get()
    expect(page.get_by_test_id("batch-status")).to_have_text("待校验")
    expect(page.get_by_test_id("batch-progress").get_by_role("progressbar")).to_be_visible()
    assert held_validation == [batch.pk]
    # Hold the page's polls while the "worker" runs in this thread (Playwright only answers routed
    # requests while the test is inside one of its calls), so the two never share the database at once.
    page.route("**/progress/", lambda route: route.continue_())
    with page.expect_response(re.compile(r"/progress/$")):
        pass
    services.batch_validate(batch_id=batch.pk)

    # the poll notices the end and the page reloads into the preview
    counts = page.get_by_test_id("batch-counts")
    expect(counts).to_be_visible()
    expect(page.get_by_test_id("batch-status")).to_have_text("待确认")
    expect(page.get_by_test_id("count-new")).to_have_text("1")
    expect(page.get_by_test_id("count-updated")).to_have_text("1")
    expect(page.get_by_test_id("count-unchanged")).to_have_text("1")
    expect(page.get_by_test_id("count-error")).to_have_text("1")
    change = page.get_by_test_id("changes").locator(".history-change", has_text="联系电话")
    expect(change).to_have_count(1)
    expect(change.locator("del")).to_have_text(OLD_PHONE)
    expect(change.locator("ins")).to_have_text(NEW_PHONE)
    errors = page.get_by_test_id("errors")
    expect(errors.locator("tbody tr")).to_have_count(1)
    expect(errors.locator("tbody tr td").first).to_have_text("6")  # the Excel row, below the title row
    assert not Elder.objects.filter(id_number=new_id).exists()  # nothing written before the confirm

    # confirm: the commit runs and the page shows the result
    page.get_by_test_id("confirm").click()
    expect(page.get_by_test_id("batch-status")).to_have_text("已导入")
    expect(page.get_by_test_id("count-new")).to_have_text("1")
    assert Elder.objects.get(id_number=new_id).name == "刘新来"
    assert Elder.objects.get(pk=registered["changed"].pk).phone == NEW_PHONE
    assert not Elder.objects.filter(name="错号人").exists()

    # the error workbook names the bad row
    with page.expect_download() as info:
        page.get_by_test_id("error-report").click()
    report = _workbook(info.value)
    details = [row for row in report["错误明细"].iter_rows(min_row=2, values_only=True) if row[0] is not None]
    assert [(row[0], row[1], row[2]) for row in details] == [(6, "身份证号码", bad_id)]
    bad_rows = [row for row in report["错误行"].iter_rows(min_row=2, values_only=True)]
    assert len(bad_rows) == 1 and bad_rows[0][0] == 6 and "错号人" in bad_rows[0]
    assert "第6行 身份证号码" in bad_rows[0][-1]

    # the import history lists the batch
    page.get_by_role("navigation", name="breadcrumb").get_by_role("link", name="批量导入").click()
    expect(page).to_have_url(re.compile(r"/imports/$"))
    row = page.get_by_test_id("batch-list").locator("tbody tr", has_text=FILENAME)
    expect(row).to_have_count(1)
    expect(row).to_contain_text("已导入")
    expect(row).to_contain_text(officer.username)
    expect(row).to_contain_text("户籍花名册")
