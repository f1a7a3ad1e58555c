"""Services other apps call to keep Elder's denormalised fields current (ARCHITECTURE.md layering)."""

import pytest
from django.core.exceptions import ValidationError

from audit.models import AuditEvent
from eligibility import services


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
