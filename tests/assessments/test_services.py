"""The assessment lifecycle through the services: draft → submitted → approved, and bad input."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction

from assessments import services
from assessments.models import Assessment, AssessmentPolicy, ReassessmentRequest, Status
from audit.models import AuditEvent
from tests.conftest import COUNTY

from .helpers import answers_for_total, approved, create, data

pytestmark = pytest.mark.django_db
TODAY = dt.date(2026, 11, 25)


def test_an_assessor_records_a_draft_with_scores_and_levels(assessor, assessor2, elder):
    a = create(assessor, elder, assessor, assessor2, total=70, diagnoses="f03, I10", falls_30d=1, choking_30d=1)
    a.refresh_from_db()
    assert a.status == Status.DRAFT
    assert a.standard == "GB/T 42195-2022" and a.rules_version == "2022.1"
    assert a.region_code == elder.region_code
    assert a.total_score == 70 and sum(a.subtotals.values()) == 70
    assert a.preliminary_level == 1  # 66–89 轻度
    assert a.final_level == 3  # + dementia + two risk events
    assert len(a.adjustment_reasons) == 2
    assert a.diagnoses == "F03, I10"
    assert a.history.count() == 1 and a.history.first().history_user == assessor
    assert AuditEvent.objects.filter(event="assessments.create", object_id=str(a.pk), user=assessor).exists()
    elder.refresh_from_db()
    assert elder.ability_level is None  # a draft changes nothing on the elder


def _refused(field, message_part, **overrides):
    def check(assessor, assessor2, elder):
        before = Assessment.objects.count()
        payload = {**data(assessor, assessor2), **overrides}
        with pytest.raises(ValidationError) as exc:
            services.assessment_create(actor=assessor, elder=elder, data=payload, today=TODAY)
        assert field in exc.value.message_dict
        assert message_part in " ".join(exc.value.message_dict[field])
        assert Assessment.objects.count() == before
        assert not AuditEvent.objects.filter(event="assessments.create").exists()
    return check


@pytest.mark.parametrize(
    ("field", "message", "overrides"),
    [
        ("B.1.1", "未作答", {"answers": {k: v for k, v in answers_for_total(70).items() if k != "B.1.1"}}),
        ("B.3.9", "不是本项的选项", {"answers": {**answers_for_total(70), "B.3.9": 3}}),
        ("assessed_on", "不能晚于今天", {"assessed_on": TODAY + dt.timedelta(days=1)}),
        ("diagnoses", "无法识别", {"diagnoses": "痴呆"}),
        ("reason", "评估原因", {"reason": ""}),
    ],
)
def test_bad_input_is_refused_in_chinese_and_nothing_is_saved(assessor, assessor2, elder, field, message, overrides):
    _refused(field, message, **overrides)(assessor, assessor2, elder)


def test_the_same_assessor_twice_is_refused(assessor, assessor2, elder):
    _refused("assessor_2", "不能是同一人", assessor_2=assessor)(assessor, assessor2, elder)


def test_a_second_assessor_is_required(assessor, assessor2, elder):
    _refused("assessor_2", "两名评估员", assessor_2=None)(assessor, assessor2, elder)


def test_an_assessor_outside_the_elders_area_is_refused(assessor, assessor2, elder, township_assessor_next_door):
    _refused("assessor_2", "不是该老年人所在区域的评估员", assessor_2=township_assessor_next_door)(
        assessor, assessor2, elder
    )


def test_a_user_without_the_assessor_role_cannot_be_an_assessor(assessor, assessor2, elder, officer):
    _refused("assessor_1", "不是该老年人所在区域的评估员", assessor_1=officer)(assessor, assessor2, elder)


def test_an_elder_outside_the_actors_area_is_refused(far_assessor, assessor, assessor2, elder):
    with pytest.raises(ValidationError) as exc:
        create(far_assessor, elder, assessor, assessor2)
    assert exc.value.message_dict["elder"] == ["该老年人不在您的管辖区域内"]


def test_approval_copies_the_final_level_to_the_elder_and_sets_the_due_date(
    assessor, assessor2, county_admin, elder
):
    a = approved(assessor, county_admin, elder, assessor, assessor2, total=50)
    assert a.status == Status.APPROVED and a.approved_by == county_admin and a.approved_at
    assert a.next_due_on == dt.date(2027, 11, 20)  # default: 12 months after the assessment date
    elder.refresh_from_db()
    assert elder.ability_level == 2  # 中度
    assert AuditEvent.objects.filter(event="eligibility.elder_ability_level", object_id=str(elder.pk)).exists()
    assert AuditEvent.objects.filter(event="assessments.approve", user=county_admin).exists()
    assert elder.history.first().history_user == county_admin


def test_the_countys_interval_sets_the_due_date(assessor, assessor2, county_admin, elder, regions):
    AssessmentPolicy.objects.create(region=regions[COUNTY], interval_months=6)
    a = approved(assessor, county_admin, elder, assessor, assessor2)
    assert a.next_due_on == dt.date(2027, 5, 20)


def test_approving_ones_own_assessment_is_refused(assessor, assessor2, elder):
    a = create(assessor, elder, assessor, assessor2)
    services.assessment_submit(actor=assessor, assessment=a, today=TODAY)
    # even with the approve permission, an assessor of this assessment cannot approve it
    from django.contrib.auth.models import Permission

    assessor2.user_permissions.add(Permission.objects.get(codename="approve_assessment"))
    assessor2 = type(assessor2).objects.get(pk=assessor2.pk)
    with pytest.raises(ValidationError) as exc:
        services.assessment_approve(actor=assessor2, assessment=a)
    assert "审核人须与评估员" in exc.value.messages[0]
    a.refresh_from_db()
    assert a.status == Status.SUBMITTED
    elder.refresh_from_db()
    assert elder.ability_level is None


def test_a_user_without_the_approve_permission_cannot_approve(assessor, assessor2, officer, elder):
    a = create(assessor, elder, assessor, assessor2)
    services.assessment_submit(actor=assessor, assessment=a, today=TODAY)
    with pytest.raises(PermissionDenied):
        services.assessment_approve(actor=officer, assessment=a)


def test_a_draft_cannot_be_approved(assessor, assessor2, county_admin, elder):
    a = create(assessor, elder, assessor, assessor2)
    with pytest.raises(ValidationError, match="尚未提交"):
        services.assessment_approve(actor=county_admin, assessment=a)


def test_a_draft_can_be_corrected_and_is_rescored(assessor, assessor2, elder):
    a = create(assessor, elder, assessor, assessor2, total=70)
    services.assessment_update(actor=assessor2, assessment=a, data={"answers": answers_for_total(40)}, today=TODAY)
    a.refresh_from_db()
    assert (a.total_score, a.final_level) == (40, 3)
    assert a.history.count() == 2


def test_an_approved_assessment_cannot_be_edited_a_correction_is_a_new_review(
    assessor, assessor2, county_admin, elder
):
    a = approved(assessor, county_admin, elder, assessor, assessor2, total=70)
    with pytest.raises(ValidationError, match="复评"):
        services.assessment_update(actor=assessor, assessment=a, data={"answers": answers_for_total(40)}, today=TODAY)
    with pytest.raises(ValidationError):
        services.assessment_submit(actor=assessor, assessment=a, today=TODAY)
    with pytest.raises(ValidationError, match="不能重复审核"):
        services.assessment_approve(actor=county_admin, assessment=a)
    review = create(assessor, elder, assessor, assessor2, total=40, reason="review")
    assert review.pk != a.pk and review.status == Status.DRAFT


def test_the_database_refuses_any_update_of_an_approved_row(assessor, assessor2, county_admin, elder):
    a = approved(assessor, county_admin, elder, assessor, assessor2, total=70)
    with pytest.raises(Exception) as exc, transaction.atomic():
        Assessment.objects.filter(pk=a.pk).update(final_level=0)
    assert "approved assessment cannot be changed" in str(exc.value)
    a.refresh_from_db()
    assert a.final_level == 1


def test_the_database_refuses_one_person_as_both_assessors(assessor, elder):
    with pytest.raises(IntegrityError), transaction.atomic():
        Assessment.objects.create(
            elder=elder, region_code=elder.region_code, reason="first", assessed_on=TODAY,
            assessor_1=assessor, assessor_2=assessor,
        )


def test_a_submitted_assessment_can_be_returned_for_correction(assessor, assessor2, county_admin, elder):
    a = create(assessor, elder, assessor, assessor2)
    services.assessment_submit(actor=assessor, assessment=a, today=TODAY)
    with pytest.raises(ValidationError):
        services.assessment_update(actor=assessor, assessment=a, data={}, today=TODAY)
    with pytest.raises(ValidationError, match="退回原因"):
        services.assessment_return(actor=county_admin, assessment=a, reason=" ")
    services.assessment_return(actor=county_admin, assessment=a, reason="B.1.6 与照护记录不符，请复核")
    a.refresh_from_db()
    assert a.status == Status.DRAFT and a.submitted_at is None


def test_an_older_assessment_approved_late_does_not_overwrite_a_newer_level(assessor, assessor2, county_admin, elder):
    old = create(assessor, elder, assessor, assessor2, total=50, assessed_on=dt.date(2026, 6, 1))
    services.assessment_submit(actor=assessor, assessment=old, today=TODAY)
    approved(assessor, county_admin, elder, assessor, assessor2, total=90, reason="routine")
    services.assessment_approve(actor=county_admin, assessment=old)
    elder.refresh_from_db()
    assert elder.ability_level == 0


def test_an_immediate_reassessment_can_be_requested_at_any_time_and_closes_on_approval(
    officer, assessor, assessor2, county_admin, elder
):
    approved(assessor, county_admin, elder, assessor, assessor2, total=90)
    request = services.assessment_request_immediate(actor=officer, elder=elder, reason="近日中风，卧床")
    assert request.region_code == elder.region_code
    with pytest.raises(ValidationError, match="已有待处理"):
        services.assessment_request_immediate(actor=officer, elder=elder, reason="再次申请")
    with pytest.raises(ValidationError, match="原因"):
        services.assessment_request_immediate(actor=officer, elder=elder, reason="")
    a = approved(assessor, county_admin, elder, assessor, assessor2, total=20, reason="immediate",
                 assessed_on=dt.date(2026, 11, 24))
    request.refresh_from_db()
    assert request.fulfilled_by == a
    assert not ReassessmentRequest.objects.filter(elder=elder, fulfilled_by__isnull=True).exists()


def test_an_officer_cannot_request_for_an_elder_outside_the_area(neighbour_officer, elder):
    with pytest.raises(ValidationError):
        services.assessment_request_immediate(actor=neighbour_officer, elder=elder, reason="x")
