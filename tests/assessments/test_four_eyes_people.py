"""Four eyes that one person cannot satisfy, in ability assessments: the reviewer must differ from
everyone who entered, edited or submitted the assessment (regions.governance)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.urls import reverse

from assessments import services
from assessments.models import Assessment, Status
from regions import roles
from regions import services as region_services
from regions.models import Region
from tests.conftest import COUNTY, make_staff

from .helpers import answers_for_total, create

pytestmark = pytest.mark.django_db
TODAY = dt.date(2026, 11, 25)


@pytest.fixture
def second_admin(regions):
    return make_staff("county_admin_2", roles.COUNTY_ADMIN, COUNTY, is_staff=True)


def test_attack_admin_rewrites_draft_and_approves(assessor, assessor2, county_admin, second_admin, superuser, elder):
    draft = create(assessor, elder, assessor, assessor2, total=71)
    # He cannot give himself the assessor role…
    with pytest.raises(ValidationError, match="不能给自己授予角色"):
        region_services.staff_assignment_create(
            actor=county_admin, user=county_admin, region=Region.objects.get(code=COUNTY),
            role=Group.objects.get(name=roles.ASSESSOR),
        )
    # …and even holding it (granted by the operator), rewriting and submitting makes him a participant.
    region_services.staff_assignment_create(
        actor=superuser, user=county_admin, region=Region.objects.get(code=COUNTY),
        role=Group.objects.get(name=roles.ASSESSOR),
    )
    services.assessment_update(actor=county_admin, assessment=draft, data={"answers": answers_for_total(0)}, today=TODAY)
    services.assessment_submit(actor=county_admin, assessment=draft, today=TODAY)
    with pytest.raises(ValidationError, match="录入、修改或提交人"):
        services.assessment_approve(actor=county_admin, assessment=draft)
    draft.refresh_from_db()
    elder.refresh_from_db()
    assert draft.status == Status.SUBMITTED and draft.approved_by is None
    assert elder.ability_level is None  # the rewritten level 4 never reached the elder
    assert services.assessment_participants(draft) == {assessor.pk, assessor2.pk, county_admin.pk}
    # A second administrator who took no part may approve.
    services.assessment_approve(actor=second_admin, assessment=draft)
    assert Assessment.objects.get(pk=draft.pk).approved_by == second_admin


def test_the_submitter_alone_is_a_participant(assessor, assessor2, county_admin, second_admin, elder):
    """Submitting someone else's draft is enough to be refused as its reviewer."""
    draft = create(assessor, elder, assessor, assessor2, total=71)
    services.assessment_submit(actor=county_admin, assessment=draft, today=TODAY)
    with pytest.raises(ValidationError, match="录入、修改或提交人"):
        services.assessment_approve(actor=county_admin, assessment=draft)
    services.assessment_approve(actor=second_admin, assessment=draft)


def test_a_reviewer_who_returned_an_assessment_may_still_approve_it(assessor, assessor2, county_admin, elder):
    draft = create(assessor, elder, assessor, assessor2, total=71)
    services.assessment_submit(actor=assessor, assessment=draft, today=TODAY)
    services.assessment_return(actor=county_admin, assessment=draft, reason="请核对B.1.1")
    services.assessment_update(actor=assessor, assessment=draft, data={"answers": answers_for_total(70)}, today=TODAY)
    services.assessment_submit(actor=assessor, assessment=draft, today=TODAY)
    assert county_admin.pk not in services.assessment_participants(draft)
    approved = services.assessment_approve(actor=county_admin, assessment=draft)
    assert approved.status == Status.APPROVED


def test_a_reviewer_whose_account_a_participant_created_is_refused(
    client, assessor, assessor2, county_admin, superuser, elder
):
    """The county administrator creates an account in the admin and the operator makes it a county
    administrator: it may not review the creator's work for 30 days."""
    client.force_login(county_admin)
    response = client.post(reverse("admin:auth_user_add"), {
        "username": "puppet_reviewer", "password1": "puppet-pass-2026-x", "password2": "puppet-pass-2026-x",
        "usable_password": "true",
    })
    assert response.status_code == 302
    puppet = get_user_model().objects.get(username="puppet_reviewer")
    region_services.staff_assignment_create(
        actor=superuser, user=puppet, region=Region.objects.get(code=COUNTY), role=Group.objects.get(name=roles.COUNTY_ADMIN)
    )
    draft = create(county_admin, elder, assessor, assessor2, total=71)
    services.assessment_submit(actor=county_admin, assessment=draft, today=TODAY)
    puppet = get_user_model().objects.get(pk=puppet.pk)
    with pytest.raises(ValidationError, match="账号是本记录的经办人在30天内创建的"):
        services.assessment_approve(actor=puppet, assessment=draft)
    assert Assessment.objects.get(pk=draft.pk).status == Status.SUBMITTED
