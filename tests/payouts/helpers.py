"""Payroll runs walked through their states, and the authorization matrix's run and line pairs; the
benefits, elders with bank accounts and enrolments they pay are built by tests/factories.py."""

from __future__ import annotations

import datetime as dt

from eligibility.models import Benefit
from payouts import services
from payouts.models import PayrollRun
from tests.conftest import COUNTY, OTHER_COUNTY_VILLAGE, VILLAGE, make_staff
from tests.factories import benefit_with_tiers, elder_with_account, enrol

PERIOD = dt.date(2026, 12, 1)
ACCOUNT = "6222020200012345678"


def admin_and_reviewer():
    from regions import roles

    admin = make_staff("pay_admin", roles.COUNTY_ADMIN, COUNTY, is_staff=True)
    reviewer = make_staff("pay_reviewer", roles.FINANCE_REVIEWER, COUNTY)
    return admin, reviewer


def paid_out(run: PayrollRun, admin, reviewer, *, to: str = "exported") -> PayrollRun:
    """Walk a draft through submit → approve → exported (→ reconciled all paid)."""
    run = services.payroll_submit(actor=admin, run=run)
    services.checks_acknowledge(actor=reviewer, run=run)
    run = services.payroll_approve(actor=reviewer, run=run)
    run = services.payroll_mark_exported(actor=reviewer, run=run, file_format="csv")
    if to in ("reconciled", "closed"):
        run.lines.update(status="paid")
        services.transition(run, "reconciled", reviewer, "test")
    if to == "closed":
        run = services.payroll_close(actor=reviewer, run=run)
    return run


def generate(period: dt.date = PERIOD, **kw) -> PayrollRun:
    return services.payroll_generate(county_code=COUNTY, period=period, **kw)


def matrix_runs(request):
    """(own-county run, other-county run) for the authorization matrix: drafts with one line each."""
    request.getfixturevalue("regions")
    b = benefit_with_tiers()
    benefit_with_tiers("age_pay_far", county="141002000000")
    enrol(elder_with_account(VILLAGE), b)
    enrol(elder_with_account(OTHER_COUNTY_VILLAGE), Benefit.objects.get(code="age_pay_far"))
    own = generate()
    other = services.payroll_generate(county_code="141002000000", period=PERIOD)
    return own, other


def matrix_lines(request):
    """(own-county line, other-county line) for the authorization matrix."""
    own, other = matrix_runs(request)
    return own.lines.get(), other.lines.get()
