"""A small payroll world: one monthly benefit with two age tiers, elders with bank accounts,
enrolments as the sweep leaves them, and runs walked through their states."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from eligibility.models import Benefit, BenefitRule, Enrolment, EnrolmentEvent
from payouts import services
from payouts.models import PayrollRun
from regions.models import Region
from tests.conftest import COUNTY, OTHER_COUNTY_VILLAGE, VILLAGE, make_staff
from tests.factories import ElderFactory

PERIOD = dt.date(2026, 12, 1)
ACCOUNT = "6222020200012345678"
_accounts = iter(range(10**6))


def benefit(code: str = "age_pay", *, automatic: bool = True, tiers=((80, 90, "100"), (90, None, "200")),
            effective_from: dt.date = dt.date(2025, 1, 1), effective_to: dt.date | None = None,
            county: str = COUNTY, payment_kind: str = "monthly") -> Benefit:
    b, _ = Benefit.objects.get_or_create(code=code, defaults={
        "name": "高龄津贴（测试）" if code == "age_pay" else code, "service_type": "material", "payment_kind": payment_kind,
        "enrolment_mode": "automatic" if automatic else "verified",
    })
    add_rules(b, tiers, effective_from=effective_from, effective_to=effective_to, county=county)
    return b


def add_rules(b: Benefit, tiers, *, effective_from: dt.date, effective_to: dt.date | None = None,
              county: str = COUNTY) -> list[BenefitRule]:
    return [
        BenefitRule.objects.create(
            benefit=b, jurisdiction=Region.objects.get(code=county), label=f"{lo}周岁档",
            effective_from=effective_from, effective_to=effective_to,
            criteria={"age": {"min": lo, "max": hi}}, amount=Decimal(amount),
        )
        for lo, hi, amount in tiers
    ]


def elder(region_code: str = VILLAGE, *, birth: dt.date = dt.date(1940, 3, 10), account: str | None = None, **kw):
    from regions.models import Region

    if account is None:
        account = f"62220202{next(_accounts):011d}"
    return ElderFactory(region=Region.objects.get(code=region_code), birth_date=birth, bank_name="农业银行",
                        bank_account=account, **kw)


def enrol(e, b: Benefit, *, start: dt.date = dt.date(2026, 1, 1), status: str = "active",
          end: dt.date | None = None, amount: str = "100") -> Enrolment:
    rule = b.rules.order_by("effective_from", "amount").first()
    enrolment = Enrolment.objects.create(
        elder=e, benefit=b, rule=rule, region_code=e.region_code, status=status, start_period=start,
        end_period=end, amount=Decimal(amount), reason="测试",
    )
    EnrolmentEvent.objects.create(enrolment=enrolment, at=dt.datetime(2026, 1, 1, tzinfo=dt.UTC), kind="activated",
                                  status="active", amount=Decimal(amount))
    return enrolment


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
    b = benefit()
    benefit("age_pay_far", county="141002000000")
    enrol(elder(VILLAGE), b)
    enrol(elder(OTHER_COUNTY_VILLAGE), Benefit.objects.get(code="age_pay_far"))
    own = generate()
    other = services.payroll_generate(county_code="141002000000", period=PERIOD)
    return own, other


def matrix_lines(request):
    """(own-county line, other-county line) for the authorization matrix."""
    own, other = matrix_runs(request)
    return own.lines.get(), other.lines.get()
