"""Who is due for an assessment (the sweep's "offer an assessment" and the due lists)."""

from __future__ import annotations

import datetime as dt

import pytest

from assessments import services
from assessments.models import Assessment, Status
from assessments.selectors import elders_due_for_assessment, elders_due_soon, instrument
from registry.models import Elder
from tests.conftest import VILLAGE
from tests.factories import ElderFactory

from .helpers import answers_for_total, approved

pytestmark = pytest.mark.django_db
TODAY = dt.date(2026, 11, 25)


def test_the_migration_loaded_the_instrument():
    gbt = instrument()
    assert len(gbt.items) == 26
    assert [(i.code, i.max_score) for i in gbt.indicators] == [("B.1", 32), ("B.2", 15), ("B.3", 28), ("B.4", 15)]


@pytest.fixture
def people(regions):
    v = regions[VILLAGE]
    return {
        "turns_65_today": ElderFactory(region=v, birth_date=dt.date(1961, 11, 25)),
        "turns_65_tomorrow": ElderFactory(region=v, birth_date=dt.date(1961, 11, 26)),
        "old": ElderFactory(region=v, birth_date=dt.date(1940, 1, 1)),
        "dead": ElderFactory(region=v, birth_date=dt.date(1940, 1, 1), deceased_on=dt.date(2026, 1, 1)),
        "moved": ElderFactory(region=v, birth_date=dt.date(1940, 1, 1), moved_out_on=dt.date(2026, 1, 1)),
    }


def test_elders_65_and_over_without_an_assessment_are_due(people):
    due = set(elders_due_for_assessment(Elder.objects.all(), TODAY).values_list("pk", flat=True))
    assert people["turns_65_today"].pk in due and people["old"].pk in due
    assert people["turns_65_tomorrow"].pk not in due
    assert people["dead"].pk not in due and people["moved"].pk not in due


def test_an_approved_assessment_takes_the_elder_off_until_it_falls_due(
    people, assessor, assessor2, county_admin
):
    old = people["old"]
    a = approved(assessor, county_admin, old, assessor, assessor2, assessed_on=dt.date(2025, 12, 1))
    assert a.next_due_on == dt.date(2026, 12, 1)
    assert not elders_due_for_assessment(Elder.objects.all(), TODAY).filter(pk=old.pk).exists()
    assert elders_due_soon(Elder.objects.all(), TODAY).filter(pk=old.pk).exists()
    assert elders_due_for_assessment(Elder.objects.all(), dt.date(2026, 12, 1)).filter(pk=old.pk).exists()


def test_a_draft_or_an_old_standard_result_does_not_count(people, assessor, assessor2, county_admin):
    old = people["old"]
    services.assessment_create(
        actor=assessor, elder=old, today=TODAY,
        data={"reason": "first", "assessed_on": TODAY, "assessor_1": assessor, "assessor_2": assessor2,
              "answers": answers_for_total(90)},
    )
    Assessment.objects.create(
        elder=old, region_code=old.region_code, standard="MZ/T 039-2013", reason="routine",
        assessed_on=dt.date(2026, 6, 1), final_level=1, status=Status.APPROVED, approved_by=county_admin,
        approved_at=dt.datetime(2026, 6, 2, tzinfo=dt.UTC), next_due_on=dt.date(2027, 6, 1),
    )
    assert elders_due_for_assessment(Elder.objects.all(), TODAY).filter(pk=old.pk).exists()


def test_an_immediate_request_puts_an_assessed_elder_back_on_the_list(people, assessor, assessor2, county_admin, officer):
    old = people["old"]
    approved(assessor, county_admin, old, assessor, assessor2)
    assert not elders_due_for_assessment(officer, TODAY).filter(pk=old.pk).exists()
    services.assessment_request_immediate(actor=officer, elder=old, reason="跌倒骨折")
    row = elders_due_for_assessment(officer, TODAY).get(pk=old.pk)
    assert row.immediate_requested is True


def test_the_list_follows_the_users_area(people, neighbour_officer, officer, unassigned):
    assert elders_due_for_assessment(officer, TODAY).filter(pk=people["old"].pk).exists()
    assert not elders_due_for_assessment(neighbour_officer, TODAY).exists()
    assert not elders_due_for_assessment(unassigned, TODAY).exists()


def test_it_is_one_query(people, django_assert_num_queries):
    with django_assert_num_queries(1):
        list(elders_due_for_assessment(Elder.objects.in_area("610403"), TODAY))


def test_the_instrument_is_reloaded_after_a_flush_emptied_it():
    from assessments.apps import _ensure_instrument
    from assessments.models import Indicator

    Indicator.objects.all().delete()
    _ensure_instrument(sender=None)
    _ensure_instrument(sender=None)  # idempotent
    assert len(instrument().items) == 26
