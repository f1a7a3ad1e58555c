"""Submit, check, approve (four eyes), export: each step recorded; refusals change nothing."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import IntegrityError, transaction

from payouts import services
from payouts.models import PayrollRun
from regions import roles
from tests.conftest import COUNTY, make_staff
from tests.factories import benefit_with_tiers, elder_with_account, enrol

from .helpers import admin_and_reviewer, generate

pytestmark = pytest.mark.django_db


@pytest.fixture
def run(regions):
    b = benefit_with_tiers()
    enrol(elder_with_account(), b)
    enrol(elder_with_account(account=""), b)  # one check item: a missing bank account
    return generate()


def test_a_run_goes_from_draft_to_approved_with_two_people_and_every_step_is_recorded(run):
    admin, reviewer = admin_and_reviewer()
    services.payroll_submit(actor=admin, run=run)
    with pytest.raises(ValidationError, match="未确认"):
        services.payroll_approve(actor=reviewer, run=run)
    assert services.checks_acknowledge(actor=reviewer, run=run, expected=1) == 1
    run = services.payroll_approve(actor=reviewer, run=run)
    assert run.status == "approved" and run.approved_by == reviewer and run.submitted_by == admin
    steps = [(t.from_status, t.to_status, t.user) for t in run.transitions.all()]
    assert steps == [("", "draft", None), ("draft", "submitted", admin), ("submitted", "approved", reviewer)]
    assert all(t.at for t in run.transitions.all())


def test_nobody_approves_their_own_run(run):
    both = make_staff("both_hats", roles.FINANCE_REVIEWER, COUNTY)
    from django.contrib.auth.models import Group

    both.groups.add(Group.objects.get(name=roles.COUNTY_ADMIN))
    both = type(both).objects.get(pk=both.pk)
    services.payroll_submit(actor=both, run=run)
    services.checks_acknowledge(actor=both, run=run)
    with pytest.raises(ValidationError, match="不能审核本人提交的批次"):
        services.payroll_approve(actor=both, run=run)
    assert PayrollRun.objects.get(pk=run.pk).status == "submitted"
    # and the database says the same, whatever the code does
    with pytest.raises(IntegrityError), transaction.atomic():
        PayrollRun.objects.filter(pk=run.pk).update(approved_by=both)


def test_approval_needs_the_finance_reviewer_role(run, officer):
    admin, _ = admin_and_reviewer()
    services.payroll_submit(actor=admin, run=run)
    other_admin = make_staff("admin2", roles.COUNTY_ADMIN, COUNTY)
    with pytest.raises(PermissionDenied):
        services.payroll_approve(actor=other_admin, run=run)
    with pytest.raises(PermissionDenied):
        services.checks_acknowledge(actor=officer, run=run)


def test_an_unapproved_run_cannot_be_exported(run, tmp_path):
    with pytest.raises(ValidationError, match="尚未审核"):
        services.require_exportable(run)
    with pytest.raises(CommandError, match="尚未审核"):
        call_command("payroll", "export", str(run.pk), "--format", "csv", "--out", str(tmp_path / "x.csv"))
    assert not (tmp_path / "x.csv").exists()
    assert PayrollRun.objects.get(pk=run.pk).status == "draft"


def test_the_command_line_keeps_the_four_eyes_rule(run):
    admin, reviewer = admin_and_reviewer()
    out = StringIO()
    call_command("payroll", "submit", str(run.pk), "--user", admin.username, stdout=out)
    with pytest.raises(CommandError, match="没有此操作的权限"):
        call_command("payroll", "approve", str(run.pk), "--user", admin.username, stdout=out)
    with pytest.raises(CommandError, match="未确认"):
        call_command("payroll", "approve", str(run.pk), "--user", reviewer.username, stdout=out)
    call_command("payroll", "approve", str(run.pk), "--user", reviewer.username, "--acknowledge-checks", stdout=out)
    assert PayrollRun.objects.get(pk=run.pk).status == "approved"


def test_a_reviewer_can_send_a_run_back_to_draft_and_it_can_be_regenerated(run):
    admin, reviewer = admin_and_reviewer()
    services.payroll_submit(actor=admin, run=run)
    services.payroll_return(actor=reviewer, run=run, note="金额有误")
    assert generate().pk == run.pk
    assert PayrollRun.objects.get(pk=run.pk).status == "draft"


def test_the_run_history_names_who_submitted_and_who_approved(regions):
    admin, reviewer = admin_and_reviewer()
    enrol(elder_with_account(), benefit_with_tiers())
    run = generate()
    services.payroll_submit(actor=admin, run=run)
    services.checks_acknowledge(actor=reviewer, run=run)
    services.payroll_approve(actor=reviewer, run=run)
    rows = list(run.history.order_by("history_date", "history_id").values_list("status", "history_user__username"))
    assert rows[-2:] == [("submitted", "pay_admin"), ("approved", "pay_reviewer")]
    assert "totals" not in {f.name for f in run.history.model._meta.fields}  # rewritten each generation, not diffed
