"""State changes of ability assessments. Views, the demo and (later) imports call these.

Every function is keyword-only and atomic, validates with Chinese messages that name the field
(``ValidationError``; nothing is saved on error) and writes one audit event.
Lifecycle: draft → submitted → approved; a submitted one can be returned to draft. An approved
assessment is final (a database trigger refuses any UPDATE of it); a correction is a new 复评.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from audit.services import record
from core.scoping import code_in_area
from registry.public import Elder, elder_set_ability_level
from regions.governance import four_eyes_refusal

from . import rules, selectors
from .models import Assessment, ReassessmentRequest, Reason, SpecialCare, Standard, Status

# What a clerk fills in (section A and B); everything else is computed or set by the lifecycle.
INPUT_FIELDS = (
    "reason", "assessed_on", "place", "institution", "assessor_1", "assessor_2", "informant_name",
    "informant_relation", "informant_phone", "diagnoses", "diagnosis_notes", "falls_30d", "choking_30d",
    "self_harm_30d", "wandering_30d", "coma", "special_care", "care_notes", "answers", "note",
)
APPROVE_PERMISSION = "assessments.approve_assessment"


def _history_user(assessment: Assessment, actor: Any) -> None:
    assessment._history_user = actor if getattr(actor, "is_authenticated", False) else None


def _check_area(actor: Any, region_code: str) -> None:
    if actor is not None and not code_in_area(actor, region_code):
        raise ValidationError({"elder": "该老年人不在您的管辖区域内"})


def _name(user: Any) -> str:
    return user.get_full_name() or user.username


def _validate_and_score(assessment: Assessment, *, today: dt.date) -> None:
    """Check section A and the answers, then compute sub-totals, total and levels onto the object."""
    errors: dict[str, list[str]] = {}

    def add(field: str, message: str) -> None:
        errors.setdefault(field, []).append(message)

    if assessment.assessed_on is None:
        add("assessed_on", "请填写评估日期")
    elif assessment.assessed_on > today:
        add("assessed_on", f"评估日期不能晚于今天（{today:%Y-%m-%d}）")
    if assessment.reason not in Reason.values:
        add("reason", "请选择评估原因")

    # The standard requires two assessors, both assessors in the elder's area.
    a1, a2 = assessment.assessor_1, assessment.assessor_2
    if a1 is None:
        add("assessor_1", "请选择评估员1")
    if a2 is None:
        add("assessor_2", "请选择评估员2（标准要求两名评估员）")
    if a1 is not None and a2 is not None and a1.pk == a2.pk:
        add("assessor_2", "两名评估员不能是同一人")
    for field, user in (("assessor_1", a1), ("assessor_2", a2)):
        if user is not None and not selectors.is_assessor_for(user, assessment.region_code):
            add(field, f"{_name(user)} 不是该老年人所在区域的评估员")

    codes, bad = rules.parse_icd10(assessment.diagnoses or "")
    if bad:
        add("diagnoses", f"无法识别的ICD-10编码：{'、'.join(bad)}（应如 F03 或 I10.x）")
    assessment.diagnoses = ", ".join(codes)
    unknown_care = [c for c in assessment.special_care or [] if c not in SpecialCare.values]
    if unknown_care:
        add("special_care", f"特殊护理情况无效：{'、'.join(map(str, unknown_care))}")

    instrument = selectors.instrument(assessment.standard)
    problems = rules.check_answers(instrument, assessment.answers or {})
    for code, message in problems.items():
        add(code, message)
    if errors:
        raise ValidationError(errors)

    result = rules.score(instrument, assessment.answers, assessment.care_facts)
    assessment.answers = rules.normalise_answers(instrument, assessment.answers)
    assessment.subtotals = result.subtotals
    assessment.total_score = result.total
    assessment.preliminary_level = result.preliminary_level
    assessment.final_level = result.final_level
    assessment.adjustment_reasons = result.reasons
    assessment.rules_version = result.rules_version


def _apply(assessment: Assessment, data: dict[str, Any]) -> None:
    for key, value in data.items():
        if key in INPUT_FIELDS:
            setattr(assessment, key, value)
    if assessment.special_care is None:
        assessment.special_care = []


@transaction.atomic
def assessment_create(*, actor: Any, elder: Elder, data: dict[str, Any], today: dt.date | None = None) -> Assessment:
    """A draft GB/T 42195-2022 assessment of an elder in the actor's area, scored and levelled."""
    _check_area(actor, elder.region_code)
    assessment = Assessment(elder=elder, region_code=elder.region_code, standard=Standard.GBT_42195_2022)
    _apply(assessment, data)
    assessment.created_by = actor if getattr(actor, "is_authenticated", False) else None
    _validate_and_score(assessment, today=today or timezone.localdate())
    assessment.full_clean()
    _history_user(assessment, actor)
    assessment.save()
    record(actor=actor, event="assessments.create", obj=assessment, detail={"final_level": assessment.final_level})
    return assessment


def _refuse_unless_draft(assessment: Assessment) -> None:
    if assessment.status == Status.APPROVED:
        raise ValidationError({"status": "已审核的评估不能修改；如需更正，请新建一条“复评”记录"})
    if assessment.status != Status.DRAFT:
        raise ValidationError({"status": "已提交审核的评估不能修改；如需修改，请审核人先退回"})


def _locked(assessment: Assessment) -> Assessment:
    return Assessment.objects.select_for_update().select_related("elder").get(pk=assessment.pk)


@transaction.atomic
def assessment_update(
    *, actor: Any, assessment: Assessment, data: dict[str, Any], today: dt.date | None = None
) -> Assessment:
    """Change a draft (the elder cannot change); it is re-validated and re-scored."""
    assessment = _locked(assessment)
    _check_area(actor, assessment.region_code)
    _refuse_unless_draft(assessment)
    _apply(assessment, data)
    _validate_and_score(assessment, today=today or timezone.localdate())
    assessment.full_clean()
    _history_user(assessment, actor)
    assessment.save()
    record(actor=actor, event="assessments.update", obj=assessment, detail={"final_level": assessment.final_level})
    return assessment


@transaction.atomic
def assessment_submit(*, actor: Any, assessment: Assessment, today: dt.date | None = None) -> Assessment:
    """Draft → submitted (待审核), after checking everything once more (assessors may have moved)."""
    assessment = _locked(assessment)
    _check_area(actor, assessment.region_code)
    _refuse_unless_draft(assessment)
    _validate_and_score(assessment, today=today or timezone.localdate())
    assessment.status = Status.SUBMITTED
    assessment.submitted_at = timezone.now()
    assessment.full_clean()
    _history_user(assessment, actor)
    assessment.save()
    record(actor=actor, event="assessments.submit", obj=assessment)
    return assessment


PARTICIPANT_EVENTS = ("assessments.create", "assessments.update", "assessments.submit")


def assessment_participants(assessment: Assessment) -> set[int]:
    """Everyone whose work the review checks: the clerk who entered it, both assessors, and whoever
    edited or submitted it — from the audit log (every service writes one event) and from the
    record's history (kept as long as the record). A reviewer's own return to draft
    (submitted → draft) and the approval are the review, not the work, and do not count."""
    from audit.models import AuditEvent

    people = {assessment.created_by_id, assessment.assessor_1_id, assessment.assessor_2_id}
    people |= set(
        AuditEvent.objects.filter(
            object_type="assessments.assessment", object_id=str(assessment.pk), event__in=PARTICIPANT_EVENTS
        ).values_list("user_id", flat=True)
    )
    previous = None
    for status, user_id in assessment.history.order_by("history_id").values_list("status", "history_user_id"):
        is_return = previous == Status.SUBMITTED and status == Status.DRAFT
        if status in (Status.DRAFT, Status.SUBMITTED) and not is_return:
            people.add(user_id)
        previous = status
    people.discard(None)
    return people


def _check_reviewer(actor: Any, assessment: Assessment) -> None:
    if not actor.has_perm(APPROVE_PERMISSION):
        raise PermissionDenied("您的角色无权审核能力评估")
    _check_area(actor, assessment.region_code)
    if actor.pk in {assessment.assessor_1_id, assessment.assessor_2_id, assessment.created_by_id}:
        raise ValidationError({"approved_by": "不能审核自己参与或录入的评估：审核人须与评估员、录入人不同"})
    # Four eyes that one person cannot satisfy: not an editor or the submitter either, and not
    # someone whose role or account one of them gave recently (regions.governance).
    reason = four_eyes_refusal(approver=actor, participant_ids=assessment_participants(assessment))
    if reason:
        raise ValidationError({"approved_by": reason})


@transaction.atomic
def assessment_return(*, actor: Any, assessment: Assessment, reason: str) -> Assessment:
    """Submitted → draft, with the reviewer's reason, so the assessors can correct it."""
    assessment = _locked(assessment)
    _check_reviewer(actor, assessment)
    if assessment.status != Status.SUBMITTED:
        raise ValidationError({"status": "只有待审核的评估可以退回"})
    if not reason.strip():
        raise ValidationError({"reason": "请填写退回原因"})
    assessment.status = Status.DRAFT
    assessment.submitted_at = None
    _history_user(assessment, actor)
    assessment._change_reason = reason[:100]
    assessment.save()
    record(actor=actor, event="assessments.return", obj=assessment, detail={"reason": reason})
    return assessment


@transaction.atomic
def assessment_approve(*, actor: Any, assessment: Assessment) -> Assessment:
    """Submitted → approved by a reviewer who is neither assessor nor the clerk who entered it.

    Sets the next due date (assessment date + the county's interval) and, if this is the elder's
    latest approved result, copies the final level to ``Elder.ability_level`` through the
    eligibility service, where the nightly sweep picks it up; the elder's due date
    (``Elder.assessment_due_on``) is refreshed from ``selectors.assessment_due_dates`` in the same
    call, so a past-due reassessment reaches the worklist. Closes an open immediate request.
    """
    assessment = _locked(assessment)
    _check_reviewer(actor, assessment)
    if assessment.status == Status.APPROVED:
        raise ValidationError({"status": "该评估已审核，不能重复审核"})
    if assessment.status != Status.SUBMITTED:
        raise ValidationError({"status": "评估尚未提交，不能审核"})
    assessment.status = Status.APPROVED
    assessment.approved_by = actor
    assessment.approved_at = timezone.now()
    assessment.next_due_on = rules.next_due_on(
        assessment.assessed_on, selectors.interval_months_for(assessment.region_code)
    )
    assessment.full_clean()
    _history_user(assessment, actor)
    assessment.save()

    newer = (
        Assessment.objects.approved()
        .filter(elder_id=assessment.elder_id, assessed_on__gt=assessment.assessed_on)
        .exclude(pk=assessment.pk)
        .exists()
    )
    elder = Elder.objects.select_for_update().get(pk=assessment.elder_id)
    # The due date follows the latest valid assessment even when a newer (e.g. MZ/T) result keeps the level.
    elder_set_ability_level(
        actor=actor, elder=elder, level=elder.ability_level if newer else assessment.final_level,
        due_on=selectors.assessment_due_dates([elder.pk])[elder.pk],
        reason=f"能力评估审核通过（{assessment.assessed_on:%Y-%m-%d} {assessment.get_reason_display()}）",
    )
    ReassessmentRequest.objects.filter(elder_id=assessment.elder_id, fulfilled_by__isnull=True).update(
        fulfilled_by=assessment
    )
    record(
        actor=actor, event="assessments.approve", obj=assessment,
        detail={"final_level": assessment.final_level, "next_due_on": assessment.next_due_on.isoformat()},
    )
    return assessment


@transaction.atomic
def assessment_request_immediate(*, actor: Any, elder: Elder, reason: str) -> ReassessmentRequest:
    """Ask for an immediate reassessment (即时评估) of an elder, at any time; the elder appears on the
    due list until the next assessment is approved. One open request per elder."""
    _check_area(actor, elder.region_code)
    if not reason.strip():
        raise ValidationError({"reason": "请填写申请即时评估的原因（如：突发疾病、身体状况明显变化）"})
    if ReassessmentRequest.objects.filter(elder=elder, fulfilled_by__isnull=True).exists():
        raise ValidationError({"reason": "该老年人已有待处理的即时评估申请"})
    request = ReassessmentRequest(
        elder=elder, reason=reason.strip()[:200],
        requested_by=actor if getattr(actor, "is_authenticated", False) else None,
    )
    request.save()
    record(actor=actor, event="assessments.request_immediate", obj=request, region_code=elder.region_code,
           detail={"reason": request.reason})
    return request
