"""The elder's assessment due date (Elder.assessment_due_on) follows approvals and imported results,
so the nightly sweep (服务找人) offers a reassessment once it has passed."""

from __future__ import annotations

import datetime as dt
import importlib
from io import StringIO

import pytest
from django.apps import apps
from django.core.management import call_command

from assessments import services
from assessments.models import Assessment, AssessmentPolicy, Standard, Status
from eligibility.models import Enrolment, SweepRun
from registry.models import Elder
from eligibility.policy.sweep import sweep
from tests.conftest import COUNTY
from tests.imports.helpers import import_now, xlsx

from .helpers import approved, create

pytestmark = pytest.mark.django_db
TODAY = dt.date(2026, 11, 25)
HEADER = ["身份证号码", "评估日期", "标准版本", "评估等级", "评估机构"]


def results(tmp_path, rows, name="results.xlsx"):
    return xlsx(tmp_path / name, [HEADER, *rows])


def offers(elder):
    return list(Enrolment.objects.filter(elder=elder, benefit__code="ability_assessment").values_list("status", "reason"))


def swept(as_of=TODAY):
    (run,) = sweep(as_of, COUNTY)
    assert run.status == SweepRun.Status.DONE, run.errors


def due_on(elder):
    elder.refresh_from_db()
    return elder.assessment_due_on


# --- approval ------------------------------------------------------------------------------------
def test_approving_an_assessment_sets_the_elders_due_date(assessor, assessor2, county_admin, elder):
    approved(assessor, county_admin, elder, assessor, assessor2)  # assessed 2026-11-20
    assert due_on(elder) == dt.date(2027, 11, 20)
    assert elder.history.first().assessment_due_on == dt.date(2027, 11, 20)


def test_the_countys_interval_sets_the_elders_due_date(assessor, assessor2, county_admin, elder, regions):
    AssessmentPolicy.objects.create(region=regions[COUNTY], interval_months=6)
    approved(assessor, county_admin, elder, assessor, assessor2)
    assert due_on(elder) == dt.date(2027, 5, 20)


def test_an_older_assessment_approved_late_leaves_the_due_date_of_the_newer_one(assessor, assessor2, county_admin, elder):
    old = create(assessor, elder, assessor, assessor2, assessed_on=dt.date(2026, 6, 1))
    services.assessment_submit(actor=assessor, assessment=old, today=TODAY)
    approved(assessor, county_admin, elder, assessor, assessor2, reason="routine")
    services.assessment_approve(actor=county_admin, assessment=old)
    assert due_on(elder) == dt.date(2027, 11, 20)


def test_a_year_old_assessment_reaches_the_worklist_and_a_new_one_takes_it_off(
    assessor, assessor2, county_admin, elder
):
    """王秀兰 (born 1946) was assessed on 2025-11-20: due 2026-11-20, so the sweep of 25 November offers
    a reassessment; once the new assessment is approved, the next sweep closes the offer."""
    call_command("load_policy", "yangling", stdout=StringIO())
    approved(assessor, county_admin, elder, assessor, assessor2, assessed_on=dt.date(2025, 11, 20))
    assert due_on(elder) == dt.date(2026, 11, 20)
    swept()
    assert offers(elder) == [(
        "candidate",
        "年满65周岁（1946-12-03出生），已做能力评估，符合老年人能力综合评估（65周岁以上，上次评估已到期，应重新评估），自2026年12月起",
    )]

    approved(assessor, county_admin, elder, assessor, assessor2, reason="routine", assessed_on=dt.date(2026, 11, 24))
    assert due_on(elder) == dt.date(2027, 11, 24)
    swept()
    assert [status for status, _ in offers(elder)] == ["ended"]


# --- import of past results ----------------------------------------------------------------------
def test_importing_a_past_result_sets_the_due_date_and_the_sweep_offers_a_reassessment(county_admin, elder, tmp_path):
    call_command("load_policy", "yangling", stdout=StringIO())
    import_now(county_admin, results(tmp_path, [[elder.id_number, "2024-03-05", "GB/T 42195-2022", "轻度失能", ""]]),
               kind="assessments")
    assert due_on(elder) == dt.date(2025, 3, 5)
    assert elder.ability_level == 1
    record = elder.history.first()
    assert record.history_user == county_admin and record.assessment_due_on == dt.date(2025, 3, 5)
    swept()
    assert [status for status, _ in offers(elder)] == ["candidate"]


def test_an_old_standard_result_sets_the_level_but_no_due_date(county_admin, elder, tmp_path):
    import_now(county_admin, results(tmp_path, [[elder.id_number, "2025-02-03", "MZ/T 039-2013", "中度失能", ""]]),
               kind="assessments")
    elder.refresh_from_db()
    assert (elder.ability_level, elder.assessment_due_on) == (2, None)


def test_an_older_imported_result_changes_neither_level_nor_due_date(assessor, assessor2, county_admin, elder, tmp_path):
    approved(assessor, county_admin, elder, assessor, assessor2)
    history = elder.history.count()
    import_now(county_admin, results(tmp_path, [[elder.id_number, "2024-01-01", "GB/T 42195-2022", "完全失能", ""]]),
               kind="assessments")
    elder.refresh_from_db()
    assert (elder.ability_level, elder.assessment_due_on) == (1, dt.date(2027, 11, 20))
    assert elder.history.count() == history


def test_an_older_current_standard_result_gives_a_due_date_when_a_newer_old_standard_one_keeps_the_level(
    county_admin, elder, tmp_path
):
    """The level follows the newest result of either standard; the due date only GB/T 42195-2022."""
    import_now(county_admin, results(tmp_path, [[elder.id_number, "2025-06-01", "MZ/T 039-2013", "重度失能", ""]]),
               kind="assessments")
    import_now(county_admin, results(tmp_path, [[elder.id_number, "2025-01-10", "GB/T 42195-2022", "轻度失能", ""]],
                                     name="older.xlsx"), kind="assessments")
    elder.refresh_from_db()
    assert (elder.ability_level, elder.assessment_due_on) == (3, dt.date(2026, 1, 10))


class _AppsAsOfTheMigration:
    """The models as migration 0009 names them: Elder has since moved to the registry app."""

    def get_model(self, app_label, model_name):
        moved = (app_label, model_name) == ("eligibility", "Elder")
        return apps.get_model("registry" if moved else app_label, model_name)


# --- the migration's backfill --------------------------------------------------------------------
def test_the_migration_backfills_due_dates_from_approved_current_standard_results(
    assessor, assessor2, county_admin, elder, neighbour_elder, tmp_path
):
    approved(assessor, county_admin, elder, assessor, assessor2, assessed_on=dt.date(2025, 11, 20))
    approved(assessor, county_admin, elder, assessor, assessor2, reason="routine")  # the latest: 2026-11-20
    import_now(county_admin, results(tmp_path, [[neighbour_elder.id_number, "2025-02-03", "MZ/T 039-2013", "轻度失能", ""]]),
               kind="assessments")
    Elder.objects.update(assessment_due_on=None)  # as before the migration

    migration = importlib.import_module("eligibility.migrations.0009_elder_assessment_due_on")
    migration.backfill_due_dates(_AppsAsOfTheMigration(), None)

    assert due_on(elder) == dt.date(2027, 11, 20)
    assert due_on(neighbour_elder) is None  # an MZ/T 039-2013 result is not a valid assessment
    assert Assessment.objects.filter(status=Status.APPROVED, standard=Standard.MZT_039_2013).count() == 1
