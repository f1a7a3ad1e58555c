"""An enrolment follows its elder to another village of the county (sweep._follow_moves)."""

from __future__ import annotations

import datetime as dt
from io import StringIO

import pytest
from django.core.management import call_command

from eligibility.models import Enrolment, EnrolmentEvent
from registry.models import Elder
from eligibility.policy.sweep import sweep
from tests.conftest import COUNTY, NEIGHBOUR_VILLAGE, VILLAGE
from tests.factories import ElderFactory

pytestmark = pytest.mark.django_db
NOV_25 = dt.date(2026, 11, 25)


def test_a_move_within_the_county_moves_the_open_enrolments_and_writes_no_event(regions):
    call_command("load_policy", "yangling", stdout=StringIO())
    elder = ElderFactory(region=regions[VILLAGE], birth_date=dt.date(1944, 5, 20))
    sweep(NOV_25, COUNTY)
    assert set(Enrolment.objects.filter(elder=elder).values_list("region_code", flat=True)) == {VILLAGE}
    events = EnrolmentEvent.objects.count()

    Elder.objects.filter(pk=elder.pk).update(region=regions[NEIGHBOUR_VILLAGE], region_code=NEIGHBOUR_VILLAGE)
    (run,) = sweep(NOV_25, COUNTY)

    assert set(Enrolment.objects.filter(elder=elder).values_list("region_code", flat=True)) == {NEIGHBOUR_VILLAGE}
    assert run.total_changes == 0 and EnrolmentEvent.objects.count() == events
    (again,) = sweep(NOV_25, COUNTY)
    assert again.total_changes == 0
