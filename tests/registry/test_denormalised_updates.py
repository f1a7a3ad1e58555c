"""Services other apps call to keep Elder's denormalised fields current (docs/architecture.md, Layering)."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError

from audit.models import AuditEvent
from registry import services


def test_an_approved_assessment_level_lands_on_the_elder_with_history(assessor, elder):
    services.elder_set_ability_level(actor=assessor, elder=elder, level=3, reason="评估审核通过")
    elder.refresh_from_db()
    assert elder.ability_level == 3
    latest = elder.history.first()
    assert latest.history_user == assessor and latest.ability_level == 3
    assert AuditEvent.objects.filter(event="eligibility.elder_ability_level", object_id=str(elder.pk)).exists()


def test_setting_the_same_level_again_writes_nothing(assessor, elder):
    services.elder_set_ability_level(actor=assessor, elder=elder, level=2)
    count = elder.history.count()
    services.elder_set_ability_level(actor=assessor, elder=elder, level=2)
    assert elder.history.count() == count


def test_an_impossible_level_is_refused(assessor, elder):
    with pytest.raises(ValidationError):
        services.elder_set_ability_level(actor=assessor, elder=elder, level=7)


def test_admission_moves_the_elder_into_institution_care(county_admin, elder):
    services.elder_set_care_setting(actor=county_admin, elder=elder, care_setting="institution", reason="入住")
    elder.refresh_from_db()
    assert elder.care_setting == "institution"
    with pytest.raises(ValidationError):
        services.elder_set_care_setting(actor=county_admin, elder=elder, care_setting="hospital")


def test_an_approved_assessment_also_sets_the_due_date_with_history_and_audit(assessor, elder):
    services.elder_set_ability_level(actor=assessor, elder=elder, level=1, due_on=dt.date(2027, 11, 20), reason="评估审核通过")
    elder.refresh_from_db()
    assert (elder.ability_level, elder.assessment_due_on) == (1, dt.date(2027, 11, 20))
    assert elder.history.first().assessment_due_on == dt.date(2027, 11, 20)
    event = AuditEvent.objects.filter(event="eligibility.elder_ability_level", object_id=str(elder.pk)).latest("pk")
    assert event.detail["new_due_on"] == "2027-11-20" and event.detail["old_due_on"] is None


def test_a_new_due_date_alone_is_written_and_the_same_one_again_writes_nothing(assessor, elder):
    services.elder_set_ability_level(actor=assessor, elder=elder, level=1, due_on=dt.date(2027, 11, 20))
    count = elder.history.count()
    services.elder_set_ability_level(actor=assessor, elder=elder, level=1, due_on=dt.date(2028, 5, 1))
    assert elder.history.count() == count + 1
    services.elder_set_ability_level(actor=assessor, elder=elder, level=1, due_on=dt.date(2028, 5, 1))
    assert elder.history.count() == count + 1
    elder.refresh_from_db()
    assert elder.assessment_due_on == dt.date(2028, 5, 1)


def test_without_due_on_the_due_date_is_kept(assessor, elder):
    services.elder_set_ability_level(actor=assessor, elder=elder, level=1, due_on=dt.date(2027, 11, 20))
    services.elder_set_ability_level(actor=assessor, elder=elder, level=2)
    elder.refresh_from_db()
    assert (elder.ability_level, elder.assessment_due_on) == (2, dt.date(2027, 11, 20))


def test_a_due_date_that_is_not_a_date_is_refused(assessor, elder):
    with pytest.raises(ValidationError, match="能力评估到期日应为日期"):
        services.elder_set_ability_level(actor=assessor, elder=elder, level=1, due_on="2027-11-20")
