"""The nightly schedule: visits laid out from the rules, idempotent, overdue marking, and scope
changes (death, move, institution, rule change) cancelling visits with the reason."""

from __future__ import annotations

import datetime as dt
import json
from io import StringIO

import pytest
from django.core.management import call_command

from tests.celery_helpers import real_worker_if_broker
from tests.conftest import NEIGHBOUR_VILLAGE, OTHER_COUNTY_VILLAGE, TODAY, VILLAGE
from tests.factories import ElderFactory, make_visit_rule
from visits import services
from visits.models import Visit, VisitorAssignment, VisitRule

from .helpers import YANGLING

D = dt.date
S = Visit.Status


@pytest.fixture
def alone(regions):
    return ElderFactory(region=regions[VILLAGE], name="独居老人", living_arrangement="alone")


@pytest.fixture
def neighbour_alone(regions):
    return ElderFactory(region=regions[NEIGHBOUR_VILLAGE], name="邻镇独居", living_arrangement="alone")


def due_dates(elder, status=None):
    qs = Visit.objects.filter(elder=elder)
    if status:
        qs = qs.filter(status=status)
    return sorted(qs.values_list("due_on", flat=True))


def test_it_lays_out_this_and_next_months_visits_for_matching_elders_only(regions, alone, neighbour_alone, elder):
    make_visit_rule()
    result = services.schedule_county(as_of=TODAY, county_code=YANGLING)
    assert result.elders == 2 and result.created == 4
    assert due_dates(alone) == [D(2026, 11, 30), D(2026, 12, 31)]
    assert due_dates(neighbour_alone) == [D(2026, 11, 30), D(2026, 12, 31)]
    assert due_dates(elder) == []  # lives with family: not a target
    v = Visit.objects.get(elder=alone, due_on=D(2026, 11, 30))
    assert v.starts_on == D(2026, 11, 1) and v.region_code == VILLAGE and v.status == S.PENDING


def test_running_the_nightly_schedule_twice_gives_the_same_visits(regions, alone):
    make_visit_rule(code="W", frequency="week", criteria={"living_arrangement": ["alone"]})
    first = services.schedule_county(as_of=TODAY, county_code=YANGLING)
    snapshot = sorted(Visit.objects.values_list("elder_id", "rule_id", "due_on", "status"))
    second = services.schedule_county(as_of=TODAY, county_code=YANGLING)
    assert first.created == len(snapshot) > 0
    assert second.created == 0 and not second.cancelled and second.overdue == 0
    assert sorted(Visit.objects.values_list("elder_id", "rule_id", "due_on", "status")) == snapshot


@pytest.mark.parametrize(
    ("frequency", "times", "as_of", "expected"),
    [
        # weekly across the month end and the year end
        ("week", 1, D(2026, 12, 24), [D(2026, 12, 27), D(2027, 1, 3), D(2027, 1, 10), D(2027, 1, 17), D(2027, 1, 24), D(2027, 1, 31)]),
        # twice a month into February of a leap year
        ("month", 2, D(2028, 1, 20), [D(2028, 1, 31), D(2028, 2, 14), D(2028, 2, 29)]),
        # monthly from the last day of a month
        ("month", 1, D(2027, 1, 31), [D(2027, 1, 31), D(2027, 2, 28)]),
        # quarterly: this quarter's end, and the next quarter (its window starts inside the horizon)
        ("quarter", 1, D(2026, 12, 5), [D(2026, 12, 31), D(2027, 3, 31)]),
    ],
)
def test_due_dates_for_each_frequency(regions, alone, frequency, times, as_of, expected):
    make_visit_rule(code="F", frequency=frequency, times=times, criteria={"living_arrangement": ["alone"]})
    services.schedule_county(as_of=as_of, county_code=YANGLING)
    assert due_dates(alone) == expected


def test_the_most_frequent_rule_decides_an_elder_matched_twice(regions):
    both = ElderFactory(region=regions[VILLAGE], living_arrangement="alone", ability_level=3)
    make_visit_rule(code="MONTHLY")
    weekly = make_visit_rule(code="DISABLED", frequency="week", criteria={"ability_level": {"min": 2}}, risk_tier="high")
    services.schedule_county(as_of=TODAY, county_code=YANGLING)
    assert set(Visit.objects.filter(elder=both).values_list("rule_id", flat=True)) == {weekly.pk}


def test_missed_visits_become_overdue_the_next_night(regions, alone):
    make_visit_rule()
    services.schedule_county(as_of=TODAY, county_code=YANGLING)
    result = services.schedule_county(as_of=D(2026, 12, 1), county_code=YANGLING)
    assert result.overdue == 1
    assert due_dates(alone, S.OVERDUE) == [D(2026, 11, 30)]
    assert due_dates(alone, S.PENDING) == [D(2026, 12, 31), D(2027, 1, 31)]


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"deceased_on": D(2026, 11, 26)}, services.REASON_DECEASED),
        ({"moved_out_on": D(2026, 11, 26)}, services.REASON_MOVED),
        ({"care_setting": "institution"}, services.REASON_INSTITUTION),
    ],
)
def test_an_elder_who_leaves_scope_has_open_visits_cancelled_with_the_reason(regions, alone, change, reason):
    make_visit_rule()
    services.schedule_county(as_of=TODAY, county_code=YANGLING)
    for key, value in change.items():
        setattr(alone, key, value)
    alone.save()
    result = services.schedule_county(as_of=D(2026, 11, 27), county_code=YANGLING)
    assert result.cancelled == {reason: 2}
    assert set(Visit.objects.filter(elder=alone).values_list("status", "cancelled_reason")) == {(S.CANCELLED, reason)}
    assert services.schedule_county(as_of=D(2026, 11, 27), county_code=YANGLING).cancelled == {}


def test_completed_visits_are_never_cancelled(regions, alone, village_worker):
    make_visit_rule()
    services.schedule_county(as_of=TODAY, county_code=YANGLING)
    Visit.objects.filter(elder=alone, due_on=D(2026, 11, 30)).update(status=S.DONE)
    alone.deceased_on = D(2026, 11, 28)
    alone.save()
    services.schedule_county(as_of=D(2026, 11, 29), county_code=YANGLING)
    assert Visit.objects.get(elder=alone, due_on=D(2026, 11, 30)).status == S.DONE


def test_an_elder_who_no_longer_matches_loses_future_visits_only(regions, alone):
    make_visit_rule()
    services.schedule_county(as_of=TODAY, county_code=YANGLING)
    alone.living_arrangement = "with_children"
    alone.save()
    result = services.schedule_county(as_of=D(2026, 12, 1), county_code=YANGLING)
    assert result.cancelled == {services.REASON_RULE: 1}
    assert due_dates(alone, S.OVERDUE) == [D(2026, 11, 30)]  # the missed one stays on record
    assert due_dates(alone, S.CANCELLED) == [D(2026, 12, 31)]


def test_a_rule_changed_from_monthly_to_weekly_replaces_the_future_visits(regions, alone):
    rule = make_visit_rule()
    services.schedule_county(as_of=TODAY, county_code=YANGLING)
    rule.frequency = "week"
    rule.save()
    services.schedule_county(as_of=TODAY, county_code=YANGLING)
    pending = due_dates(alone, S.PENDING)
    assert D(2026, 11, 29) in pending and D(2027, 1, 3) in pending
    assert D(2026, 11, 30) not in pending and D(2026, 11, 30) in due_dates(alone, S.CANCELLED)


def test_an_expired_rule_schedules_nothing(regions, alone):
    make_visit_rule(effective_to=D(2026, 10, 31))
    assert services.schedule_county(as_of=TODAY, county_code=YANGLING).created == 0


def test_other_counties_are_left_alone(regions, alone, far_elder):
    far_elder.living_arrangement = "alone"
    far_elder.save()
    make_visit_rule()
    make_visit_rule(code="LF", jurisdiction="141000000000")
    services.schedule_county(as_of=TODAY, county_code=YANGLING)
    assert not Visit.objects.filter(elder=far_elder).exists()
    services.schedule_county(as_of=TODAY, county_code="141002")
    assert due_dates(far_elder) == [D(2026, 11, 30), D(2026, 12, 31)]
    assert Visit.objects.get(elder=far_elder, due_on=D(2026, 11, 30)).region_code == OTHER_COUNTY_VILLAGE


def test_new_visits_go_to_the_elders_visitor(regions, alone, village_worker):
    make_visit_rule()
    VisitorAssignment.objects.create(elder=alone, visitor=village_worker, region_code=alone.region_code)
    services.schedule_county(as_of=TODAY, county_code=YANGLING)
    assert set(Visit.objects.filter(elder=alone).values_list("visitor_id", flat=True)) == {village_worker.pk}


def test_the_default_rules_load_and_reload_without_duplicates(regions):
    out = StringIO()
    call_command("load_visit_rules", stdout=out)
    assert "新增 17" in out.getvalue()
    call_command("load_visit_rules", stdout=out)
    assert VisitRule.objects.count() == 17
    nantong = VisitRule.objects.filter(region_code="320600000000")
    assert nantong.filter(frequency="week").count() == 6
    linfen = VisitRule.objects.get(code="LF-DISABLED")
    assert (linfen.frequency, linfen.times, linfen.in_person_monthly) == ("month", 2, True)


def test_a_rule_with_criteria_outside_the_vocabulary_is_refused(regions):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError, match="未知的条件项"):
        make_visit_rule(criteria={"lives_alone": True})
    with pytest.raises(ValidationError, match="允许方式"):
        make_visit_rule(modes=["letter"])


def test_schedule_visits_command_prints_json(regions, alone):
    make_visit_rule()
    out = StringIO()
    call_command("schedule_visits", "--as-of", "2026-11-25", "--county", "610403", "--json", stdout=out)
    data = json.loads(out.getvalue())
    assert data[0]["county"] == YANGLING and data[0]["created"] == 2
    out = StringIO()
    call_command("schedule_visits", "--as-of", "2026-11-25", stdout=out)
    assert "新增探访 0" in out.getvalue()


def test_schedule_visits_command_refuses_a_bad_county_code(db):
    from django.core.management.base import CommandError

    with pytest.raises(CommandError):
        call_command("schedule_visits", "--county", "61x")


def test_the_nightly_task_is_scheduled_at_half_past_two_shanghai(db):
    from django_celery_beat.models import PeriodicTask

    task = PeriodicTask.objects.get(task="visits.schedule_visits")
    assert (task.crontab.hour, task.crontab.minute, str(task.crontab.timezone)) == ("2", "30", "Asia/Shanghai")


@pytest.mark.django_db(transaction=True)
@pytest.mark.celery_worker
def test_schedule_tasks_lay_out_visits_through_celery(regions, alone):
    """visits.schedule_visits fans out visits.schedule_county per county (a real worker when a broker is set)."""
    from visits.tasks import schedule_county, schedule_visits

    make_visit_rule()
    with real_worker_if_broker():
        counties = schedule_visits.delay("2026-11-25").get(timeout=60)
        assert YANGLING in counties
        # the group was sent by the first task; one direct run makes sure it has been applied
        result = schedule_county.delay(YANGLING, "2026-11-25").get(timeout=60)
    assert result["county"] == YANGLING and result["created"] == 0  # already laid out by the group
    assert due_dates(alone) == [D(2026, 11, 30), D(2026, 12, 31)]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_schedules_of_one_county_at_once_do_not_both_run(regions, alone):
    from django.db import connection, transaction

    if connection.vendor != "postgresql":
        print("SKIP: advisory locks need PostgreSQL")
        pytest.skip("advisory locks need PostgreSQL")
    import threading

    from core.locks import lock_key

    make_visit_rule()
    held, release = threading.Event(), threading.Event()

    def hold():
        from django.db import connections

        with transaction.atomic(using="default"):
            with connections["default"].cursor() as c:
                c.execute("SELECT pg_advisory_xact_lock(%s)", [lock_key(f"visits.schedule:{YANGLING}")])
            held.set()
            release.wait(10)
        connections.close_all()

    t = threading.Thread(target=hold)
    t.start()
    held.wait(10)
    try:
        with pytest.raises(services.ScheduleBusy):
            services.schedule_county(as_of=TODAY, county_code=YANGLING)
    finally:
        release.set()
        t.join()
    assert not Visit.objects.exists()


def test_open_visits_follow_an_elder_who_moves_to_another_village_of_the_county(regions, alone, village_worker, neighbour_officer):
    make_visit_rule()
    services.schedule_county(as_of=TODAY, county_code=YANGLING)
    alone.region = regions[NEIGHBOUR_VILLAGE]
    alone.save()
    services.schedule_county(as_of=TODAY, county_code=YANGLING)
    assert set(Visit.objects.filter(elder=alone).values_list("region_code", flat=True)) == {NEIGHBOUR_VILLAGE}
    assert Visit.objects.visible_to(neighbour_officer).filter(elder=alone).count() == 2
    assert not Visit.objects.visible_to(village_worker).filter(elder=alone).exists()


@pytest.mark.parametrize("as_of", [D(2028, 2, 28), D(2028, 2, 29), D(2027, 12, 31), D(2026, 3, 31)])
def test_every_frequency_is_idempotent_on_month_ends_and_leap_days(regions, alone, as_of):
    for code, freq, times in (("W", "week", 1), ("M2", "month", 2), ("Q", "quarter", 1)):
        make_visit_rule(code=code, frequency=freq, times=times, criteria={"living_arrangement": ["alone"]},
                  jurisdiction="610403000000" if code != "W" else "610000000000")
    first = services.schedule_county(as_of=as_of, county_code=YANGLING)
    rows = sorted(Visit.objects.values_list("elder_id", "rule_id", "starts_on", "due_on", "status"))
    assert first.created == len(rows) > 0
    assert services.schedule_county(as_of=as_of, county_code=YANGLING).created == 0
    assert sorted(Visit.objects.values_list("elder_id", "rule_id", "starts_on", "due_on", "status")) == rows
    # the province's weekly rule is the most frequent, so it wins over the county's: never fewer visits
    assert {r[1] for r in rows} == {VisitRule.objects.get(code="W").pk}


def test_a_county_rule_cannot_lower_the_frequency_the_province_asks_for(regions, alone):
    province = make_visit_rule(code="PROVINCE_WEEKLY", frequency="week", jurisdiction="610000000000",
                         criteria={"living_arrangement": ["alone"]})
    make_visit_rule(code="COUNTY_MONTHLY", frequency="month", jurisdiction="610403000000",
              criteria={"living_arrangement": ["alone"]})
    services.schedule_county(as_of=TODAY, county_code=YANGLING)
    assert set(Visit.objects.filter(elder=alone).values_list("rule_id", flat=True)) == {province.pk}
