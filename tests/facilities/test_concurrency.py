"""Two clerks admitting at the same moment: the database decides, exactly one wins (PostgreSQL)."""

from __future__ import annotations

import datetime as dt

import pytest

from facilities import services
from facilities.models import Admission, Bed
from tests.concurrency import race, require_postgres
from tests.conftest import VILLAGE
from tests.factories import BedFactory, ElderFactory, FacilityFactory


pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def _require_postgres():
    require_postgres("needs PostgreSQL row locks and concurrent transactions; SQLite serialises writers")


def _race(jobs):
    """Run the jobs in threads released together by a barrier; each on its own connection."""
    return race(jobs, timeout=60)


def test_two_admissions_to_one_bed_at_once_exactly_one_wins(regions, county_admin):
    _require_postgres()
    bed = BedFactory(facility=FacilityFactory(region=regions[VILLAGE]))
    a, b = ElderFactory(region=regions[VILLAGE]), ElderFactory(region=regions[VILLAGE])
    outcomes = _race([
        lambda: services.admission_admit(actor=county_admin, bed=bed, elder=a, admitted_on=dt.date(2026, 11, 1)),
        lambda: services.admission_admit(actor=county_admin, bed=bed, elder=b, admitted_on=dt.date(2026, 11, 1)),
    ])
    assert outcomes[0] == "ValidationError: 该床位已有人在住，不能重复安排入住" and outcomes[1] == "ok", outcomes
    assert Admission.objects.filter(bed=bed, discharged_on__isnull=True).count() == 1
    assert Bed.objects.get(pk=bed.pk).status == "occupied"


def test_one_elder_admitted_to_two_beds_at_once_exactly_one_wins(regions, county_admin):
    """Different beds lock different rows; the partial unique index on the elder decides."""
    _require_postgres()
    facility = FacilityFactory(region=regions[VILLAGE])
    bed1, bed2 = BedFactory(facility=facility), BedFactory(facility=facility)
    elder = ElderFactory(region=regions[VILLAGE])
    outcomes = _race([
        lambda: services.admission_admit(actor=county_admin, bed=bed1, elder=elder, admitted_on=dt.date(2026, 11, 1)),
        lambda: services.admission_admit(actor=county_admin, bed=bed2, elder=elder, admitted_on=dt.date(2026, 11, 1)),
    ])
    assert outcomes[1] == "ok" and outcomes[0].startswith("ValidationError: 该老年人已"), outcomes
    assert Admission.objects.filter(elder=elder, discharged_on__isnull=True).count() == 1
    assert sorted(Bed.objects.filter(facility=facility).values_list("status", flat=True)) == ["occupied", "vacant"]
