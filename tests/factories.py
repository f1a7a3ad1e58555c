"""The suite's object factories, one import point (docs/contributing.md, "Tests"): factory_boy
factories for the registry and facilities, and builder functions for the visit, benefit and
enrolment rows other apps' tests start from. Elders get valid ID numbers that agree with their birth
date and sex.

Helpers that are not object factories stay beside their tests (spreadsheets in
tests/imports/helpers.py, form posts in tests/eligibility/helpers.py, service walks such as
tests/payouts/helpers.py ``paid_out``, the authorization matrix's ``matrix_*`` pairs)."""

from __future__ import annotations

import datetime as dt
import random
import uuid
from decimal import Decimal

import factory
from django.utils import timezone

from eligibility.models import Benefit, BenefitRule, Enrolment, EnrolmentEvent
from facilities.models import Bed, Facility, Rating
from registry import synthetic
from registry.models import Elder, Household
from regions.models import Region
from visits.models import FollowUp, Visit, VisitRecord, VisitRule

# tests/conftest.py's COUNTY and VILLAGE (it imports this module, so they are spelled out here)
_COUNTY = "610403000000"
_VILLAGE = "610403001001"

_rng = random.Random(7)
_taken: set[str] = set()


def village(code: str = _VILLAGE) -> Region:
    return Region.objects.get(code=code)


def valid_id_number(birth_date: dt.date, sex: str, address_code: str = "610403") -> str:
    return synthetic.make_id_number(_rng, address_code, birth_date, sex, _taken)


def forget_taken_id_numbers() -> None:
    """Each test starts from an empty database, so the numbers earlier tests used are free again. Without
    this a long run exhausts the 500 sequence numbers of a popular (area, birth date, sex)."""
    _taken.clear()


class HouseholdFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Household

    household_number = factory.Sequence(lambda n: f"H{n:05d}")
    region = factory.LazyFunction(village)
    region_code = factory.LazyAttribute(lambda o: o.region.code)
    hukou_type = "rural"


class ElderFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Elder

    name = factory.Sequence(lambda n: f"测试老人{n}")
    sex = "M"
    birth_date = dt.date(1950, 3, 15)
    id_number = factory.LazyAttribute(lambda o: valid_id_number(o.birth_date, o.sex, o.region.code[:6]))
    region = factory.LazyFunction(village)
    region_code = factory.LazyAttribute(lambda o: o.region.code)
    phone = "13812341234"
    economic_status = "normal"
    living_arrangement = "other"


# Facilities


class FacilityFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Facility

    name = factory.Sequence(lambda n: f"测试养老院{n}")
    kind = "institution"
    ownership = "public"
    region = factory.LazyFunction(village)
    region_code = factory.LazyAttribute(lambda o: o.region.code)
    fire_approved = True
    fire_approved_on = dt.date(2024, 5, 1)
    filed = True


class BedFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Bed

    facility = factory.SubFactory(FacilityFactory)
    region_code = factory.LazyAttribute(lambda o: o.facility.region_code)
    code = factory.Sequence(lambda n: f"T-{n:05d}")
    room = "101"
    kind = "nursing"


class RatingFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Rating

    facility = factory.SubFactory(FacilityFactory)
    scheme = "grade"
    level = 3
    rated_on = dt.date(2024, 6, 1)
    expires_on = dt.date(2027, 6, 1)
    rating_body = "咸阳市民政局"


# Visits


def make_visit_rule(code: str = "T-ALONE", jurisdiction: str = _COUNTY, **kw) -> VisitRule:
    values = dict(
        name="独居空巢（每月）", criteria={"living_arrangement": ["alone", "empty_nest"]}, frequency="month", times=1,
        risk_tier="key", modes=["home", "phone", "video"], in_person_monthly=False, effective_from=dt.date(2020, 1, 1),
    )
    values.update(kw)
    rule = VisitRule(jurisdiction=Region.objects.get(code=jurisdiction), code=code, **values)
    rule.full_clean()
    rule.save()
    return rule


def make_visit(elder, rule=None, *, due_on=dt.date(2026, 11, 30), starts_on=None, visitor=None, status="pending") -> Visit:
    rule = rule or make_visit_rule(code=f"R-{elder.region_code[:6]}", jurisdiction=elder.region_code[:6] + "000000")
    return Visit.objects.create(
        elder=elder, rule=rule, region_code=elder.region_code, due_on=due_on,
        starts_on=starts_on or due_on.replace(day=1), visitor=visitor, status=status,
    )


def make_follow_up(visit: Visit, user, kind: str = "assessment") -> FollowUp:
    record = VisitRecord.objects.create(
        visit=visit, elder=visit.elder, region_code=visit.region_code, recorded_by=user,
        visited_at=timezone.now() - dt.timedelta(hours=1), mode="home", idempotency_key=uuid.uuid4(),
    )
    return FollowUp.objects.create(record=record, elder=visit.elder, region_code=visit.region_code, kind=kind, created_by=user)


# Benefits and enrolments: one monthly benefit with age tiers, elders with bank accounts, enrolments as
# the sweep leaves them (the payroll tests' world)

_accounts = iter(range(10**6))


def benefit_with_tiers(code: str = "age_pay", *, automatic: bool = True, tiers=((80, 90, "100"), (90, None, "200")),
                       effective_from: dt.date = dt.date(2025, 1, 1), effective_to: dt.date | None = None,
                       county: str = _COUNTY, payment_kind: str = "monthly") -> Benefit:
    """A monthly benefit (高龄津贴 by default) with one rule per (min age, max age, amount) tier."""
    b, _ = Benefit.objects.get_or_create(code=code, defaults={
        "name": "高龄津贴（测试）" if code == "age_pay" else code, "service_type": "material", "payment_kind": payment_kind,
        "enrolment_mode": "automatic" if automatic else "verified",
    })
    add_tier_rules(b, tiers, effective_from=effective_from, effective_to=effective_to, county=county)
    return b


def add_tier_rules(b: Benefit, tiers, *, effective_from: dt.date, effective_to: dt.date | None = None,
                   county: str = _COUNTY) -> list[BenefitRule]:
    return [
        BenefitRule.objects.create(
            benefit=b, jurisdiction=Region.objects.get(code=county), label=f"{lo}周岁档",
            effective_from=effective_from, effective_to=effective_to,
            criteria={"age": {"min": lo, "max": hi}}, amount=Decimal(amount),
        )
        for lo, hi, amount in tiers
    ]


def elder_with_account(region_code: str = _VILLAGE, *, birth: dt.date = dt.date(1940, 3, 10),
                       account: str | None = None, **kw) -> Elder:
    """An elder with a bank account (a fresh valid-looking number unless ``account`` is given)."""
    if account is None:
        account = f"62220202{next(_accounts):011d}"
    return ElderFactory(region=Region.objects.get(code=region_code), birth_date=birth, bank_name="农业银行",
                        bank_account=account, **kw)


def enrol(e, b: Benefit, *, start: dt.date = dt.date(2026, 1, 1), status: str = "active",
          end: dt.date | None = None, amount: str = "100") -> Enrolment:
    """An enrolment of ``e`` in ``b`` under its first rule, with the activation event the sweep writes."""
    rule = b.rules.order_by("effective_from", "amount").first()
    enrolment = Enrolment.objects.create(
        elder=e, benefit=b, rule=rule, region_code=e.region_code, status=status, start_period=start,
        end_period=end, amount=Decimal(amount), reason="测试",
    )
    EnrolmentEvent.objects.create(enrolment=enrolment, at=dt.datetime(2026, 1, 1, tzinfo=dt.UTC), kind="activated",
                                  status="active", amount=Decimal(amount))
    return enrolment
