"""A clerk's day at the 敬老院: register, rate, add beds, admit, transfer, discharge — and the bad input
the issue lists, each refused with a clear Chinese message and nothing saved."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from audit.models import AuditEvent
from registry.models import Elder
from facilities import services
from facilities.models import Admission, Bed, Facility, Rating
from tests.conftest import OTHER_COUNTY_VILLAGE, VILLAGE
from tests.factories import ElderFactory


def messages(exc: ValidationError) -> str:
    return " ".join(exc.messages)


def test_it_registers_a_facility_in_the_clerks_area_and_audits_it(facility):
    assert facility.region_code == VILLAGE
    assert AuditEvent.objects.filter(event="facilities.facility_create", object_id=str(facility.pk)).exists()


def test_it_refuses_a_facility_outside_the_clerks_area(officer, regions):
    with pytest.raises(ValidationError, match="不在您的管辖区域内"):
        services.facility_create(actor=officer, data={
            "name": "外县养老院", "kind": "institution", "ownership": "private", "region": regions[OTHER_COUNTY_VILLAGE],
        })
    assert not Facility.objects.exists()


def test_it_refuses_a_bad_credit_code_and_inverted_fees(county_admin, regions):
    with pytest.raises(ValidationError) as exc:
        services.facility_create(actor=county_admin, data={
            "name": "某养老院", "kind": "institution", "ownership": "private", "region": regions[VILLAGE],
            "credit_code": "123", "bed_fee_min": 900, "bed_fee_max": 600,
        })
    text = messages(exc.value)
    assert "统一社会信用代码应为18位" in text and "床位费最低值不能高于最高值" in text
    assert not Facility.objects.exists()


def test_a_grade_is_valid_three_years_and_kept_as_history(facility, county_admin):
    services.rating_add(actor=county_admin, facility=facility, scheme="grade", level=2,
                        rated_on=dt.date(2021, 6, 1), rating_body="咸阳市民政局")
    latest = services.rating_add(actor=county_admin, facility=facility, scheme="grade", level=3,
                                 rated_on=dt.date(2024, 2, 29), rating_body="咸阳市民政局")
    assert latest.expires_on == dt.date(2027, 2, 28)
    assert list(facility.ratings.values_list("level", flat=True)) == [3, 2]  # newest first
    assert latest.status_on(dt.date(2026, 12, 31)) == "expiring"
    assert latest.status_on(dt.date(2027, 2, 28)) == "expired"
    assert latest.status_on(dt.date(2026, 1, 1)) == "valid"


@pytest.mark.parametrize("level", [0, 6, -1])
def test_it_refuses_a_rating_outside_the_scale(facility, county_admin, level):
    with pytest.raises(ValidationError, match="应为1至5"):
        services.rating_add(actor=county_admin, facility=facility, scheme="grade", level=level,
                            rated_on=dt.date(2024, 1, 1), rating_body="市民政局")
    assert not Rating.objects.exists()


def test_the_database_itself_refuses_a_grade_outside_one_to_five(facility):
    with pytest.raises(IntegrityError), transaction.atomic():
        Rating.objects.create(facility=facility, scheme="grade", level=7, rated_on=dt.date(2024, 1, 1),
                              expires_on=dt.date(2027, 1, 1), rating_body="x")


def test_a_day_care_centre_gets_stars_not_a_grade(county_admin, regions):
    centre = services.facility_create(actor=county_admin, data={
        "name": "杨村日间照料中心", "kind": "day_care", "ownership": "public", "region": regions[VILLAGE]})
    with pytest.raises(ValidationError, match="评定星级"):
        services.rating_add(actor=county_admin, facility=centre, scheme="grade", level=2,
                            rated_on=dt.date(2024, 1, 1), rating_body="区民政局")
    stars = services.rating_add(actor=county_admin, facility=centre, scheme="star", level=3,
                                rated_on=dt.date(2024, 1, 1), rating_body="区民政局")
    assert stars.label == "★★★"


def test_beds_are_added_to_a_room_with_unique_printable_codes(beds, facility):
    assert [b.code for b in beds] == [f"F{facility.pk:04d}-201-01", f"F{facility.pk:04d}-201-02", f"F{facility.pk:04d}-202-01"]
    assert all(b.region_code == facility.region_code and b.status == "vacant" for b in beds)


def test_a_duplicate_bed_code_refuses_the_whole_batch(beds, facility, county_admin):
    with pytest.raises(ValidationError, match=f"床位编码已存在：F{facility.pk:04d}-201-02"):
        services.bed_create(actor=county_admin, facility=facility, room="201", kind="nursing", count=3, first_number=2)
    with pytest.raises(ValidationError, match="床位编码已存在"):
        services.bed_create(actor=county_admin, facility=facility, room="301", kind="normal", code=beds[0].code)
    assert Bed.objects.count() == 3


def test_a_family_care_bed_needs_the_elders_home_address(facility, county_admin):
    with pytest.raises(ValidationError, match="家庭地址"):
        services.bed_create(actor=county_admin, facility=facility, room="家庭", kind="nursing", location="home")
    bed = services.bed_create(actor=county_admin, facility=facility, room="家庭", kind="nursing", location="home",
                              home_address="杨村3组12号")[0]
    assert bed.is_home_bed


def test_admission_occupies_the_bed_and_moves_the_elder_into_institutional_care(beds, elder, officer):
    admission = services.admission_admit(actor=officer, bed=beds[0], elder=elder, admitted_on=dt.date(2026, 11, 1))
    beds[0].refresh_from_db()
    elder.refresh_from_db()
    assert beds[0].status == "occupied"
    assert elder.care_setting == "institution"
    assert admission.region_code == beds[0].facility.region_code
    assert AuditEvent.objects.filter(event="eligibility.elder_care_setting", object_id=str(elder.pk)).exists()
    assert AuditEvent.objects.filter(event="facilities.admission_admit", object_id=str(admission.pk)).exists()


def test_a_family_care_bed_keeps_the_elder_at_home(facility, elder, county_admin):
    bed = services.bed_create(actor=county_admin, facility=facility, room="家庭", kind="nursing", location="home",
                              home_address="杨村3组12号")[0]
    services.admission_admit(actor=county_admin, bed=bed, elder=elder, admitted_on=dt.date(2026, 11, 1))
    elder.refresh_from_db()
    assert elder.care_setting == "home"


def test_it_refuses_an_elder_already_admitted_elsewhere(beds, elder, officer):
    services.admission_admit(actor=officer, bed=beds[0], elder=elder, admitted_on=dt.date(2026, 11, 1))
    with pytest.raises(ValidationError, match="该老年人已在杨陵街道敬老院（床位 .*）入住"):
        services.admission_admit(actor=officer, bed=beds[1], elder=elder, admitted_on=dt.date(2026, 11, 2))
    assert Admission.objects.count() == 1
    beds[1].refresh_from_db()
    assert beds[1].status == "vacant"


def test_it_refuses_an_occupied_or_disabled_bed(beds, elder, neighbour_elder, county_admin):
    services.admission_admit(actor=county_admin, bed=beds[0], elder=elder, admitted_on=dt.date(2026, 11, 1))
    with pytest.raises(ValidationError, match="该床位已有人在住"):
        services.admission_admit(actor=county_admin, bed=beds[0], elder=neighbour_elder, admitted_on=dt.date(2026, 11, 2))
    services.bed_set_status(actor=county_admin, bed=beds[1], status="disabled")
    with pytest.raises(ValidationError, match="该床位已停用"):
        services.admission_admit(actor=county_admin, bed=beds[1], elder=neighbour_elder, admitted_on=dt.date(2026, 11, 2))
    assert Admission.objects.count() == 1
    neighbour_elder.refresh_from_db()
    assert neighbour_elder.care_setting == "home"


def test_the_database_refuses_a_second_open_admission_per_bed_and_per_elder(beds, elder, neighbour_elder):
    Admission.objects.create(elder=elder, bed=beds[0], facility=beds[0].facility, admitted_on=dt.date(2026, 1, 1))
    with pytest.raises(IntegrityError), transaction.atomic():
        Admission.objects.create(elder=neighbour_elder, bed=beds[0], facility=beds[0].facility, admitted_on=dt.date(2026, 1, 1))
    with pytest.raises(IntegrityError), transaction.atomic():
        Admission.objects.create(elder=elder, bed=beds[1], facility=beds[1].facility, admitted_on=dt.date(2026, 1, 1))
    # a closed admission does not count
    Admission.objects.filter(bed=beds[0]).update(discharged_on=dt.date(2026, 2, 1), discharge_reason="home")
    Admission.objects.create(elder=neighbour_elder, bed=beds[0], facility=beds[0].facility, admitted_on=dt.date(2026, 2, 1))


def test_an_officer_cannot_admit_an_elder_from_the_township_next_door(beds, neighbour_elder, officer):
    with pytest.raises(ValidationError, match="不在您的管辖范围内"):
        services.admission_admit(actor=officer, bed=beds[0], elder=neighbour_elder, admitted_on=dt.date(2026, 11, 1))
    assert not Admission.objects.exists()


def test_discharge_frees_the_bed_and_returns_the_elder_home(beds, elder, officer):
    admission = services.admission_admit(actor=officer, bed=beds[0], elder=elder, admitted_on=dt.date(2026, 11, 1))
    services.admission_discharge(actor=officer, admission=admission, discharged_on=dt.date(2026, 11, 20), reason="home")
    beds[0].refresh_from_db()
    elder.refresh_from_db()
    assert beds[0].status == "vacant" and elder.care_setting == "home"


def test_a_discharge_date_before_admission_is_refused_and_nothing_changes(beds, elder, officer):
    admission = services.admission_admit(actor=officer, bed=beds[0], elder=elder, admitted_on=dt.date(2026, 11, 1))
    with pytest.raises(ValidationError, match="离开日期不能早于入住日期（2026-11-01）"):
        services.admission_discharge(actor=officer, admission=admission, discharged_on=dt.date(2026, 10, 31), reason="home")
    admission.refresh_from_db()
    beds[0].refresh_from_db()
    assert admission.discharged_on is None and beds[0].status == "occupied"


def test_a_death_frees_the_bed_but_leaves_the_care_setting_for_the_registry(beds, elder, officer):
    admission = services.admission_admit(actor=officer, bed=beds[0], elder=elder, admitted_on=dt.date(2026, 11, 1))
    services.admission_discharge(actor=officer, admission=admission, discharged_on=dt.date(2026, 11, 20), reason="death")
    elder.refresh_from_db()
    beds[0].refresh_from_db()
    assert beds[0].status == "vacant" and elder.care_setting == "institution"
    assert Admission.objects.get().get_discharge_reason_display() == "死亡"


def test_transfer_moves_the_resident_in_one_step(beds, elder, officer):
    first = services.admission_admit(actor=officer, bed=beds[0], elder=elder, admitted_on=dt.date(2026, 11, 1))
    second = services.admission_transfer(actor=officer, admission=first, to_bed=beds[2], on=dt.date(2026, 11, 10))
    first.refresh_from_db()
    assert first.discharged_on == dt.date(2026, 11, 10) and first.discharge_reason == "transfer"
    assert second.transferred_from == first and second.is_open
    assert Bed.objects.get(pk=beds[0].pk).status == "vacant"
    assert Bed.objects.get(pk=beds[2].pk).status == "occupied"
    assert Elder.objects.get(pk=elder.pk).care_setting == "institution"


def test_a_transfer_to_an_occupied_bed_changes_nothing(beds, elder, neighbour_elder, county_admin):
    first = services.admission_admit(actor=county_admin, bed=beds[0], elder=elder, admitted_on=dt.date(2026, 11, 1))
    services.admission_admit(actor=county_admin, bed=beds[1], elder=neighbour_elder, admitted_on=dt.date(2026, 11, 1))
    with pytest.raises(ValidationError, match="该床位已有人在住"):
        services.admission_transfer(actor=county_admin, admission=first, to_bed=beds[1], on=dt.date(2026, 11, 10))
    first.refresh_from_db()
    assert first.is_open and Bed.objects.get(pk=beds[0].pk).status == "occupied"


def test_an_occupied_bed_cannot_be_disabled_by_hand(beds, elder, county_admin):
    services.admission_admit(actor=county_admin, bed=beds[0], elder=elder, admitted_on=dt.date(2026, 11, 1))
    with pytest.raises(ValidationError, match="床位有人在住"):
        services.bed_set_status(actor=county_admin, bed=beds[0], status="disabled")


def test_a_deceased_elder_cannot_be_admitted(beds, county_admin, regions):
    dead = ElderFactory(region=regions[VILLAGE], deceased_on=dt.date(2026, 1, 1))
    with pytest.raises(ValidationError, match="已登记死亡"):
        services.admission_admit(actor=county_admin, bed=beds[0], elder=dead, admitted_on=dt.date(2026, 11, 1))
