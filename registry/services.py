"""State changes of the elder registry. Views, forms, imports and tasks call these."""

from __future__ import annotations

import datetime as dt
import enum
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction

from audit.services import record
from core.scoping import code_in_area
from regions.models import Region

from . import rules
from .models import Elder, Household

# Fields a clerk may set directly; sex/birth_date are derived from the ID and only cross-checked.
ELDER_FIELDS = (
    "household", "id_number", "name", "sex", "birth_date", "phone", "relation_to_head", "region", "address",
    "local_hukou", "hukou_type", "economic_status", "economic_status_from", "economic_status_to",
    "living_arrangement", "disability_category", "disability_grade", "disability_certificate_no",
    "disability_certified_on", "special_family", "veteran_category", "care_setting", "deceased_on",
    "moved_out_on", "bank_name", "bank_account", "note",
)


def _check_area(actor: Any, region: Region) -> None:
    if actor is not None and not code_in_area(actor, region.code):
        raise ValidationError({"region": "所选村(社区)不在您的管辖区域内"})


def household_get_or_create(
    *, actor: Any, region: Region, household_number: str, hukou_type: str | None = None, address: str = ""
) -> Household:
    """The household with this 户号 in this village, created if new."""
    _check_area(actor, region)
    household, created = Household.objects.get_or_create(
        region=region,
        household_number=household_number.strip(),
        defaults={"hukou_type": hukou_type or Household._meta.get_field("hukou_type").default, "address": address},
    )
    if created:
        record(actor=actor, event="eligibility.household_create", obj=household)
    return household


def _apply_id_number(elder: Elder) -> None:
    """Normalise the ID and make sex and birth date agree with it (errors name the field)."""
    try:
        parsed = rules.parse_id_number(elder.id_number)
    except rules.IdNumberError as exc:
        raise ValidationError({"id_number": str(exc)}) from None
    errors = {}
    if elder.sex and elder.sex != parsed.sex:
        errors["sex"] = f"性别与身份证号码不符（号码第17位表示{'男' if parsed.sex == 'M' else '女'}）"
    if elder.birth_date and elder.birth_date != parsed.birth_date:
        errors["birth_date"] = f"出生日期与身份证号码不符（号码中为 {parsed.birth_date:%Y-%m-%d}）"
    if errors:
        raise ValidationError(errors)
    elder.id_number = parsed.number
    elder.sex = parsed.sex
    elder.birth_date = parsed.birth_date


def elder_validate(*, elder: Elder) -> None:
    """Normalise and check an unsaved elder (ID rules, phone, duplicates); raise ValidationError."""
    _clean_elder(elder)


def _clean_elder(elder: Elder) -> None:
    _apply_id_number(elder)
    elder.phone = rules.normalize_phone(elder.phone)
    problem = rules.phone_error(elder.phone)
    if problem:
        raise ValidationError({"phone": problem})
    elder.bank_account = elder.bank_account.replace(" ", "")
    if elder.disability_grade and not elder.disability_category:
        raise ValidationError({"disability_category": "填写了残疾等级时请选择残疾类别"})
    if elder.household_id and elder.household.region_id != elder.region_id:
        raise ValidationError({"household": "户所在村(社区)与本人所在村(社区)不一致"})
    duplicate = Elder.objects.filter(id_number=elder.id_number).exclude(pk=elder.pk).exists()
    if duplicate:
        raise ValidationError({"id_number": "该身份证号码已登记，不能重复登记"})
    elder.region_code = elder.region.code
    try:
        elder.full_clean(validate_unique=False)
    except ValidationError as exc:
        raise exc


@transaction.atomic
def elder_create(*, actor: Any, data: dict[str, Any], household_number: str = "") -> Elder:
    """Register an elder inside the actor's area. Raises ValidationError; saves nothing on error."""
    elder = Elder(**{k: v for k, v in data.items() if k in ELDER_FIELDS})
    _check_area(actor, elder.region)
    if household_number:
        elder.household = household_get_or_create(
            actor=actor, region=elder.region, household_number=household_number, hukou_type=elder.hukou_type,
            address=elder.address,
        )
    _clean_elder(elder)
    elder._history_user = actor if getattr(actor, "is_authenticated", False) else None
    elder.save()
    record(actor=actor, event="eligibility.elder_create", obj=elder)
    return elder


@transaction.atomic
def elder_update(*, actor: Any, elder: Elder, data: dict[str, Any], household_number: str | None = None) -> Elder:
    """Change an elder's record; the old and new values go to the history. Area is checked on both ends."""
    _check_area(actor, elder.region)
    before = {f: getattr(elder, f) for f in ELDER_FIELDS}
    for key, value in data.items():
        if key in ELDER_FIELDS:
            setattr(elder, key, value)
    _check_area(actor, elder.region)
    if household_number is not None:
        elder.household = (
            household_get_or_create(
                actor=actor, region=elder.region, household_number=household_number, hukou_type=elder.hukou_type,
                address=elder.address,
            )
            if household_number.strip()
            else None
        )
    _clean_elder(elder)
    changed = sorted(f for f in ELDER_FIELDS if getattr(elder, f) != before[f])
    if not changed:  # "household" is one of ELDER_FIELDS, so a new or changed 户 counts as a change
        return elder
    elder._history_user = actor if getattr(actor, "is_authenticated", False) else None
    elder.save()
    record(actor=actor, event="eligibility.elder_update", obj=elder, detail={"fields": changed})
    return elder


def elder_reveal_id_number(*, actor: Any, elder: Elder, ip_address: str | None = None) -> str:
    """The full ID number for a user whose role needs it; every reveal is logged."""
    if not actor.has_perm("registry.view_full_id_number"):
        record(actor=actor, event="eligibility.reveal_id_number", obj=elder, outcome="denied", ip_address=ip_address)
        raise PermissionDenied("您的角色无权查看完整身份证号码")
    record(actor=actor, event="eligibility.reveal_id_number", obj=elder, ip_address=ip_address)
    return elder.id_number


class _Keep(enum.Enum):
    KEEP = "keep"


KEEP = _Keep.KEEP  # ``due_on=KEEP``: leave the elder's assessment due date as it is


@transaction.atomic
def elder_set_ability_level(
    *, actor: Any, elder: Elder, level: int | None, due_on: dt.date | None | _Keep = KEEP, reason: str = ""
) -> Elder:
    """Called by the assessments app when an assessment is approved: copies the final level and the
    elder's assessment due date (``due_on``: the next due date of the latest valid assessment, as
    ``assessments.selectors.due_on_subquery`` defines it; None = no valid assessment) onto the elder,
    because the sweep reads only Elder. Writes nothing when neither changes; otherwise one save,
    one history row and one audit event saying who and why."""
    if level is not None and level not in range(0, 5):
        raise ValidationError({"ability_level": "能力等级应为0–4"})
    is_day = isinstance(due_on, dt.date) and not isinstance(due_on, dt.datetime)
    if due_on is not KEEP and due_on is not None and not is_day:
        raise ValidationError({"assessment_due_on": "能力评估到期日应为日期"})
    changed = ["ability_level"] if elder.ability_level != level else []
    if due_on is not KEEP and elder.assessment_due_on != due_on:
        changed.append("assessment_due_on")
    if not changed:
        return elder
    old, old_due = elder.ability_level, elder.assessment_due_on
    elder.ability_level = level
    if due_on is not KEEP:
        elder.assessment_due_on = due_on
    elder._history_user = actor if getattr(actor, "is_authenticated", False) else None
    elder._change_reason = reason[:100] if reason else None
    elder.save(update_fields=[*changed, "updated_at"])
    detail: dict[str, Any] = {"old": old, "new": level, "reason": reason}
    if "assessment_due_on" in changed:
        detail.update(
            old_due_on=old_due.isoformat() if old_due else None,
            new_due_on=elder.assessment_due_on.isoformat() if elder.assessment_due_on else None,
        )
    record(actor=actor, event="eligibility.elder_ability_level", obj=elder, detail=detail)
    return elder


@transaction.atomic
def elder_set_care_setting(*, actor: Any, elder: Elder, care_setting: str, reason: str = "") -> Elder:
    """Called by the facilities app on admission/discharge: home ↔ institution, so 特困 home or
    institution rules follow. History and audit record who and why."""
    valid = {choice for choice, _ in Elder._meta.get_field("care_setting").choices}
    if care_setting not in valid:
        raise ValidationError({"care_setting": "照护场所无效"})
    if elder.care_setting == care_setting:
        return elder
    old = elder.care_setting
    elder.care_setting = care_setting
    elder._history_user = actor if getattr(actor, "is_authenticated", False) else None
    elder._change_reason = reason[:100] if reason else None
    elder.save(update_fields=["care_setting", "updated_at"])
    record(actor=actor, event="eligibility.elder_care_setting", obj=elder, detail={"old": old, "new": care_setting, "reason": reason})
    return elder
