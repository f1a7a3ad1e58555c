"""State changes of the facilities app. Views, the admin and the demo call these.

Each function is keyword-only, atomic, validates with full_clean (so the database constraints'
Chinese messages reach the clerk as ValidationError), writes its audit row, and returns what it
changed. Admission and discharge move Elder.care_setting through eligibility's service.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from audit.services import record
from core.scoping import code_in_area, code_under
from registry.public import CareSetting, Elder, elder_set_care_setting, normalize_id_number

from . import rules
from .choices import BedLocation, BedStatus, DischargeReason, RatingScheme, WaitlistStatus
from .models import Admission, Bed, Facility, Rating, WaitlistApplication
from .selectors import is_granted_manager

FACILITY_FIELDS = (
    "name", "kind", "ownership", "region", "address", "credit_code", "operator", "contact_name", "contact_phone",
    "filed", "filed_on", "fire_approved", "fire_approved_on", "medical_integration", "has_dementia_zone",
    "accepted_residents", "bed_fee_min", "bed_fee_max", "care_fee_min", "care_fee_max", "meal_fee_min",
    "meal_fee_max", "note",
)
BED_IN_USE = "该床位已有人在住，不能重复安排入住"
ELDER_NOT_FOUND = "未找到该老年人，或其不在您的管辖范围内"
ELDER_IN_USE = "该老年人已在其他床位或机构入住，请先办理离开或转床"


def _check_region(actor: Any, code: str) -> None:
    if actor is not None and not code_in_area(actor, code):
        raise ValidationError({"region": "所选区划不在您的管辖区域内"})


def _save(obj: Any, **kwargs: Any) -> None:
    obj.full_clean(**kwargs)
    obj.save()


@transaction.atomic
def facility_create(*, actor: Any, data: dict[str, Any]) -> Facility:
    """A new facility inside the actor's area."""
    facility = Facility(**{k: v for k, v in data.items() if k in FACILITY_FIELDS})
    if facility.region_id:
        _check_region(actor, facility.region.code)
    _save(facility)
    record(actor=actor, event="facilities.facility_create", obj=facility)
    return facility


@transaction.atomic
def facility_update(*, actor: Any, facility: Facility, data: dict[str, Any]) -> Facility:
    """Changes a facility's record; only area staff may move it, and only inside their area."""
    old = {k: getattr(facility, k) for k in FACILITY_FIELDS}
    for key, value in data.items():
        if key in FACILITY_FIELDS:
            setattr(facility, key, value)
    if facility.region_id != old["region"].pk and actor is not None:
        if not (actor.is_superuser or actor.has_perm("facilities.view_facility")):  # a grant-only manager
            raise ValidationError({"region": "机构管理员不能修改机构所在区划"})
        _check_region(actor, facility.region.code)
    _save(facility)
    changed = {k: str(getattr(facility, k)) for k in FACILITY_FIELDS if getattr(facility, k) != old[k]}
    if changed:
        record(actor=actor, event="facilities.facility_update", obj=facility, detail={"changed": changed})
    return facility


@transaction.atomic
def rating_add(
    *, actor: Any, facility: Facility, scheme: str, level: int, rated_on: dt.date, rating_body: str,
    expires_on: dt.date | None = None, note: str = "",
) -> Rating:
    """Appends a rating to the facility's history; expiry defaults to three years (GB/T 37276-2018)."""
    rating = Rating(
        facility=facility, scheme=scheme, level=level, rated_on=rated_on, rating_body=rating_body.strip(),
        expires_on=expires_on or (rules.rating_expiry(rated_on) if rated_on else None), note=note,
        created_by=actor if getattr(actor, "is_authenticated", False) else None,
    )
    if level is not None and not 1 <= int(level) <= 5:
        word = "等级" if scheme == RatingScheme.GRADE else "星级"
        raise ValidationError({"level": f"{word}应为1至5，收到 {level}"})
    _save(rating)
    record(actor=actor, event="facilities.rating_add", obj=facility,
           detail={"scheme": scheme, "level": level, "rated_on": str(rated_on), "expires_on": str(rating.expires_on)})
    return rating


def bed_codes(facility: Facility, room: str, count: int, first_number: int = 1) -> list[str]:
    """Codes like F0007-201-01: facility, room, bed number. Unique across the county by the facility id."""
    room = room.strip()
    return [f"F{facility.pk:04d}-{room}-{n:02d}" for n in range(first_number, first_number + count)]


@transaction.atomic
def bed_create(
    *, actor: Any, facility: Facility, room: str, kind: str, count: int = 1, first_number: int = 1,
    code: str = "", location: str = "facility", home_address: str = "",
) -> list[Bed]:
    """Adds `count` beds to a room (or one bed with an explicit code). All or nothing: a duplicate
    code anywhere refuses the whole batch."""
    if not room or not room.strip():
        raise ValidationError({"room": "请填写房间号"})
    if not 1 <= count <= 200:
        raise ValidationError({"count": "一次可添加1至200张床位"})
    codes = [code.strip()] if code and code.strip() else bed_codes(facility, room, count, first_number)
    if code and count != 1:
        raise ValidationError({"code": "指定床位编码时一次只能添加一张床位"})
    taken = sorted(Bed.objects.filter(code__in=codes).values_list("code", flat=True))
    if taken:
        raise ValidationError({"code": f"床位编码已存在：{'、'.join(taken)}"})
    beds = []
    for c in codes:
        bed = Bed(facility=facility, code=c, room=room.strip(), kind=kind, location=location, home_address=home_address)
        bed.region_code = facility.region_code
        bed.full_clean()
        beds.append(bed)
    try:
        with transaction.atomic():
            for bed in beds:
                bed.save()
    except IntegrityError as exc:  # another clerk took a code between our check and insert
        raise ValidationError({"code": "床位编码已存在，请刷新后重试"}) from exc
    record(actor=actor, event="facilities.bed_create", obj=facility,
           detail={"room": room, "kind": kind, "codes": codes, "location": location})
    return beds


@transaction.atomic
def bed_set_status(*, actor: Any, bed: Bed, status: str) -> Bed:
    """Reserve, disable or free a bed by hand. Occupancy follows admissions only."""
    bed = Bed.objects.select_for_update().get(pk=bed.pk)
    if status == BedStatus.OCCUPIED:
        raise ValidationError({"status": "“在住”状态由办理入住自动设置"})
    if bed.status == BedStatus.OCCUPIED:
        raise ValidationError({"status": "床位有人在住，请先办理离开或转床"})
    if status not in BedStatus.values:
        raise ValidationError({"status": "床位状态无效"})
    old = bed.status
    bed.status = status
    _save(bed)
    record(actor=actor, event="facilities.bed_status", obj=bed, detail={"old": old, "new": status})
    return bed


def _check_elder(actor: Any, facility: Facility, elder: Elder) -> None:
    """The elder must be in the clerk's area, or — for a manager acting through a grant — in the
    facility's county. The same message for missing and out of scope (no probing)."""
    if actor is None or code_in_area(actor, elder.region_code):
        return
    if is_granted_manager(actor, facility) and code_under(elder.region_code, facility.region_code[:6]):
        return
    raise ValidationError({"elder": ELDER_NOT_FOUND})


def admission_elder_lookup(*, actor: Any, facility: Facility, id_number: str) -> Elder:
    """The elder the clerk may admit to ``facility``, found by ID number (spaces, full-width digits and
    a lower-case x forgiven) among the elders visible to them (``Elder.objects.visible_to``) — or, for a
    manager acting through a grant, among those of the facility's county (the same rule as
    ``_check_elder``). A missing number and one outside that scope raise the same ValidationError, so
    the answer never tells whether someone is registered elsewhere."""
    number = normalize_id_number(id_number)
    elders = Elder.objects.visible_to(actor)
    if actor is not None and is_granted_manager(actor, facility):
        elders = elders | Elder.objects.in_area(facility.region_code[:6])
    elder = elders.filter(id_number=number).first() if number else None
    if elder is None:
        raise ValidationError({"elder": ELDER_NOT_FOUND})
    return elder


def _care_setting_for(bed: Bed) -> str:
    return str(CareSetting.HOME if bed.location == BedLocation.HOME else CareSetting.INSTITUTION)


def _insert_admission(admission: Admission) -> None:
    admission.full_clean(exclude=["facility"])
    try:
        with transaction.atomic():  # savepoint: the caller's transaction stays usable
            admission.save()
    except IntegrityError as exc:
        text = str(exc)
        message = ELDER_IN_USE if "elder" in text else BED_IN_USE
        raise ValidationError({"__all__": message}) from exc


@transaction.atomic
def admission_admit(
    *, actor: Any, bed: Bed, elder: Elder, admitted_on: dt.date, transferred_from: Admission | None = None,
) -> Admission:
    """Admits an elder to a vacant or reserved bed. The bed row is locked (select_for_update) and the
    partial unique indexes refuse a second open admission per bed or elder, so two clerks at once
    cannot double-book. The bed becomes 在住; the elder's care setting follows (eligibility)."""
    bed = Bed.objects.select_for_update().select_related("facility").get(pk=bed.pk)
    facility = bed.facility
    _check_elder(actor, facility, elder)
    if elder.deceased_on:
        raise ValidationError({"elder": "该老年人已登记死亡，不能办理入住"})
    if bed.status == BedStatus.OCCUPIED:
        raise ValidationError({"bed": BED_IN_USE})
    if bed.status == BedStatus.DISABLED:
        raise ValidationError({"bed": "该床位已停用，不能安排入住"})
    current = Admission.objects.filter(elder=elder, discharged_on__isnull=True).select_related("facility", "bed").first()
    if current is not None:
        raise ValidationError(
            {"elder": f"该老年人已在{current.facility.name}（床位 {current.bed.code}）入住，请先办理离开或转床"}
        )
    if admitted_on is None:
        raise ValidationError({"admitted_on": "请填写入住日期"})
    admission = Admission(
        elder=elder, bed=bed, facility=facility, admitted_on=admitted_on, transferred_from=transferred_from,
        created_by=actor if getattr(actor, "is_authenticated", False) else None,
    )
    _insert_admission(admission)
    bed.status = BedStatus.OCCUPIED
    bed.save(update_fields=["status", "updated_at"])
    WaitlistApplication.objects.filter(facility=facility, elder=elder, status=WaitlistStatus.WAITING).update(
        status=WaitlistStatus.ADMITTED, closed_on=admitted_on
    )
    elder_set_care_setting(
        actor=actor, elder=elder, care_setting=_care_setting_for(bed), reason=f"入住{facility.name}（{bed.code}）"
    )
    record(actor=actor, event="facilities.admission_admit", obj=admission,
           detail={"elder": elder.pk, "bed": bed.code, "admitted_on": str(admitted_on)})
    return admission


@transaction.atomic
def admission_discharge(
    *, actor: Any, admission: Admission, discharged_on: dt.date, reason: str, note: str = "",
    _keep_care_setting: bool = False,
) -> Admission:
    """Closes an open admission; the bed becomes 空闲. The elder returns to home care unless the reason
    is death: then the care setting stays and the death is for the registry (status feed) to record."""
    admission = Admission.objects.select_for_update().select_related("bed", "facility", "elder").get(pk=admission.pk)
    if admission.discharged_on is not None:
        raise ValidationError({"__all__": "该入住记录已办理离开"})
    if reason not in DischargeReason.values:
        raise ValidationError({"discharge_reason": "请选择离开原因"})
    if discharged_on is None:
        raise ValidationError({"discharged_on": "请填写离开日期"})
    if discharged_on < admission.admitted_on:
        raise ValidationError({"discharged_on": f"离开日期不能早于入住日期（{admission.admitted_on:%Y-%m-%d}）"})
    admission.discharged_on = discharged_on
    admission.discharge_reason = reason
    admission.discharge_note = note
    admission.full_clean(exclude=["facility"])
    admission.save()
    bed = Bed.objects.select_for_update().get(pk=admission.bed_id)
    bed.status = BedStatus.VACANT
    bed.save(update_fields=["status", "updated_at"])
    if reason != DischargeReason.DEATH and not _keep_care_setting:
        elder_set_care_setting(
            actor=actor, elder=admission.elder, care_setting=CareSetting.HOME,
            reason=f"离开{admission.facility.name}（{admission.get_discharge_reason_display()}）",
        )
    record(actor=actor, event="facilities.admission_discharge", obj=admission,
           detail={"discharged_on": str(discharged_on), "reason": reason, "note": note})
    return admission


@transaction.atomic
def admission_transfer(*, actor: Any, admission: Admission, to_bed: Bed, on: dt.date) -> Admission:
    """Moves a resident to another bed (same or another facility) on one date: discharge (转床) and a
    new admission linked to the old one, in one transaction."""
    if to_bed.pk == admission.bed_id:
        raise ValidationError({"bed": "请选择另一张床位"})
    admission_discharge(
        actor=actor, admission=admission, discharged_on=on, reason=DischargeReason.TRANSFER,
        note=f"转至 {to_bed.code}", _keep_care_setting=True,
    )
    elder = Elder.objects.get(pk=admission.elder_id)
    new = admission_admit(actor=actor, bed=to_bed, elder=elder, admitted_on=on, transferred_from=admission)
    return new


@transaction.atomic
def waitlist_apply(
    *, actor: Any, facility: Facility, elder: Elder, applied_on: dt.date, wants_centralised: bool = True,
    note: str = "",
) -> WaitlistApplication:
    """Registers an application to a public institution's waitlist (one waiting per elder and facility)."""
    _check_elder(actor, facility, elder)
    if Admission.objects.filter(elder=elder, facility=facility, discharged_on__isnull=True).exists():
        raise ValidationError({"elder": "该老年人已在本机构入住"})
    application = WaitlistApplication(
        facility=facility, elder=elder, applied_on=applied_on, wants_centralised=wants_centralised, note=note,
        created_by=actor if getattr(actor, "is_authenticated", False) else None,
    )
    application.region_code = facility.region_code
    application.full_clean()
    try:
        with transaction.atomic():
            application.save()
    except IntegrityError as exc:
        raise ValidationError({"elder": "该老年人已在本机构轮候中"}) from exc
    record(actor=actor, event="facilities.waitlist_apply", obj=application,
           detail={"elder": elder.pk, "applied_on": str(applied_on)})
    return application


@transaction.atomic
def waitlist_withdraw(*, actor: Any, application: WaitlistApplication, on: dt.date, note: str = "") -> WaitlistApplication:
    """Withdraws a waiting application (the elder's wish, or no longer eligible)."""
    application = WaitlistApplication.objects.select_for_update().get(pk=application.pk)
    if application.status != WaitlistStatus.WAITING:
        raise ValidationError({"__all__": "该申请已不在轮候中"})
    application.status = WaitlistStatus.WITHDRAWN
    application.closed_on = on
    if note:
        application.note = note[:200]
    application.full_clean()
    application.save()
    record(actor=actor, event="facilities.waitlist_withdraw", obj=application, detail={"note": note})
    return application
