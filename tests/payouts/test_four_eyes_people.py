"""Four eyes that one person cannot satisfy, in the monthly payroll: the finance reviewer must
differ from whoever generated or submitted the run, and from anyone a participant made a reviewer
(granted or approved the role, or created the account) in the last 30 days (regions.governance)."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone

from payouts import services
from payouts.models import PayrollRun
from regions import roles
from regions import services as region_services
from regions.models import Region
from tests.conftest import COUNTY, make_staff
from tests.factories import benefit_with_tiers, elder_with_account, enrol

from .helpers import admin_and_reviewer, generate

pytestmark = pytest.mark.django_db


@pytest.fixture
def run(regions):
    b = benefit_with_tiers()
    enrol(elder_with_account(), b)
    return generate()


def _fresh(user):
    return get_user_model().objects.get(pk=user.pk)  # permissions cache


def test_attack_puppet_finance_reviewer_cannot_approve_own_submission(client, run):
    admin, _ = admin_and_reviewer()
    second_admin = make_staff("pay_admin_2", roles.COUNTY_ADMIN, COUNTY, is_staff=True)
    services.payroll_submit(actor=admin, run=run)
    # The administrator creates puppet_fin in the admin and gives it the 财务审核 role…
    client.force_login(admin)
    response = client.post(reverse("admin:auth_user_add"), {
        "username": "puppet_fin", "password1": "puppet-fin-pass-2026", "password2": "puppet-fin-pass-2026",
        "usable_password": "true",
    })
    assert response.status_code == 302
    puppet = get_user_model().objects.get(username="puppet_fin")
    county = Region.objects.get(code=COUNTY)
    response = client.post(reverse("admin:regions_staffassignment_add"), {
        "user": puppet.pk, "region": county.pk, "role": Group.objects.get(name=roles.FINANCE_REVIEWER).pk,
    })
    assert response.status_code == 302
    # …which is only pending: the puppet has no approve permission yet.
    with pytest.raises(PermissionDenied):
        services.payroll_approve(actor=_fresh(puppet), run=run)
    # Even once a second administrator approves the grant, the puppet may not review its maker's run.
    grant = puppet.assignments.get()
    region_services.staff_assignment_approve(actor=second_admin, assignment=grant)
    puppet = _fresh(puppet)
    services.checks_acknowledge(actor=puppet, run=run)
    with pytest.raises(ValidationError, match="30天内授予或批准"):
        services.payroll_approve(actor=puppet, run=run)
    assert PayrollRun.objects.get(pk=run.pk).status == "submitted"


def test_a_reviewer_whose_account_or_password_the_submitter_made_is_refused(client, run, superuser):
    admin, _ = admin_and_reviewer()
    services.payroll_submit(actor=admin, run=run)
    client.force_login(admin)
    client.post(reverse("admin:auth_user_add"), {
        "username": "puppet_fin", "password1": "puppet-fin-pass-2026", "password2": "puppet-fin-pass-2026",
        "usable_password": "true",
    })
    puppet = get_user_model().objects.get(username="puppet_fin")
    region_services.staff_assignment_create(  # the system operator, unaware, grants the role at once
        actor=superuser, user=puppet, region=Region.objects.get(code=COUNTY),
        role=Group.objects.get(name=roles.FINANCE_REVIEWER),
    )
    puppet = _fresh(puppet)
    services.checks_acknowledge(actor=puppet, run=run)
    with pytest.raises(ValidationError, match="账号是本记录的经办人在30天内创建的"):
        services.payroll_approve(actor=puppet, run=run)
    later = timezone.now() + dt.timedelta(days=31)
    with time_machine.travel(later, tick=False):
        # After 30 days the creation no longer counts, but the password the creator set still does…
        with pytest.raises(ValidationError, match="当前密码是本记录的经办人设置的"):
            services.payroll_approve(actor=puppet, run=run)
    # …until the reviewer sets their own; then the account is an ordinary colleague's.
    with time_machine.travel(later + dt.timedelta(minutes=1), tick=False):
        client.force_login(puppet)
        response = client.post(reverse("password_change"), {
            "old_password": "puppet-fin-pass-2026", "new_password1": "my-own-secret-2027",
            "new_password2": "my-own-secret-2027",
        })
        assert response.status_code == 302 and response["Location"] == reverse("password_change_done")
        approved = services.payroll_approve(actor=_fresh(puppet), run=run)
    assert approved.status == "approved" and approved.approved_by == puppet


def test_the_person_who_generated_the_run_cannot_approve_it(run, regions):
    both = make_staff("generator_and_reviewer", roles.COUNTY_ADMIN, COUNTY, is_staff=True)
    region_services.staff_assignment_create(
        actor=None, user=both, region=Region.objects.get(code=COUNTY), role=Group.objects.get(name=roles.FINANCE_REVIEWER)
    )
    both = _fresh(both)
    regenerated = generate(actor=both)  # regenerating a draft makes one a participant
    submitter = make_staff("submitter", roles.COUNTY_ADMIN, COUNTY, is_staff=True)
    services.payroll_submit(actor=submitter, run=regenerated)
    services.checks_acknowledge(actor=both, run=regenerated)
    with pytest.raises(ValidationError, match="录入、修改或提交人"):
        services.payroll_approve(actor=both, run=regenerated)


def test_a_reviewer_who_returned_the_run_may_approve_it_after_resubmission(run):
    admin, reviewer = admin_and_reviewer()
    services.payroll_submit(actor=admin, run=run)
    services.payroll_return(actor=reviewer, run=run, note="请核对")
    services.payroll_submit(actor=admin, run=run)
    services.checks_acknowledge(actor=reviewer, run=run)
    assert services.payroll_approve(actor=reviewer, run=run).approved_by == reviewer
