"""The nightly snapshot reads the visit rate over the whole register through the visits app's named
unscoped access (``visit_rate_by_village_in_area``), with no stand-in user, and stores exactly the
figures the visits app reports to someone who sees everything."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
from django.utils import timezone

from tests.conftest import NEIGHBOUR_VILLAGE, OTHER_COUNTY_VILLAGE, OTHER_VILLAGE_SAME_TOWNSHIP, TODAY, VILLAGE

pytestmark = pytest.mark.django_db

NOV = TODAY.replace(day=1)


@pytest.fixture
def visits_scene(regions, village_worker, frozen):
    """In scope this month: two elders of our village (one visited), one of the other village of our
    township (not visited), one next door (visited) and one in another county (visited); a
    cancelled visit that is no one's scope."""
    from tests.factories import ElderFactory, make_visit, make_visit_rule
    from visits.models import Visit, VisitRecord

    rule, far_rule = make_visit_rule(), make_visit_rule(code="LF", jurisdiction="141000000000")
    at = timezone.make_aware(dt.datetime(2026, 11, 10, 9, 0))
    for code, visited, status in [
        (VILLAGE, True, "pending"), (VILLAGE, False, "pending"), (OTHER_VILLAGE_SAME_TOWNSHIP, False, "pending"),
        (NEIGHBOUR_VILLAGE, True, "pending"), (OTHER_COUNTY_VILLAGE, True, "pending"), (VILLAGE, False, "cancelled"),
    ]:
        elder = ElderFactory(region=regions[code], living_arrangement="alone")
        visit = make_visit(elder, far_rule if code == OTHER_COUNTY_VILLAGE else rule, due_on=dt.date(2026, 11, 30),
                           status=status)
        if visited:
            VisitRecord.objects.create(visit=visit, elder=elder, region_code=elder.region_code, recorded_by=village_worker,
                                       visited_at=at, mode="home", idempotency_key=uuid.uuid4())
            Visit.objects.filter(pk=visit.pk).update(status="done")


EXPECTED = {
    VILLAGE: (2, 1), OTHER_VILLAGE_SAME_TOWNSHIP: (1, 0), NEIGHBOUR_VILLAGE: (1, 1), OTHER_COUNTY_VILLAGE: (1, 1),
}


def test_the_unscoped_rate_of_the_whole_register_is_what_a_superuser_sees(superuser, visits_scene):
    from visits import selectors

    assert selectors.visit_rate_by_village_in_area("", NOV) == selectors.visit_rate_by_village(superuser, NOV) == EXPECTED


def test_the_unscoped_rate_of_an_area_is_limited_to_its_prefix(visits_scene):
    from visits import selectors

    assert selectors.visit_rate_by_village_in_area("610403001", NOV) == {
        VILLAGE: (2, 1), OTHER_VILLAGE_SAME_TOWNSHIP: (1, 0),
    }


def test_the_snapshot_stores_the_visit_figures_of_every_village(visits_scene, snapshot):
    from dashboard.models import MonthlyFigure

    snapshot()
    stored = {
        (code, metric): int(value)
        for code, metric, value in MonthlyFigure.objects.filter(period=NOV, metric__in=["visit_scope", "visit_done"])
        .values_list("region_code", "metric", "value")
    }
    expected = {}
    for code, (in_scope, visited) in EXPECTED.items():
        expected[(code, "visit_scope")] = in_scope
        if visited:  # zero counts are not stored
            expected[(code, "visit_done")] = visited
    assert stored == expected

