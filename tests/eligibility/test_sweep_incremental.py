"""The next night within the same month: only the elders that changed are evaluated again, and the
result is exactly what a full evaluation would give (a full run afterwards finds nothing to do)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import call_command
from django.db.models import F

from eligibility.models import Enrolment, PolicyParameter, SweepRun
from eligibility.policy import incremental
from registry.models import Elder
from eligibility.policy.services import enrolments_decide
from eligibility.policy.sweep import sweep
from tests.conftest import COUNTY, OTHER_COUNTY, OTHER_COUNTY_VILLAGE, VILLAGE
from tests.factories import ElderFactory

NOV_25, NOV_26 = dt.date(2026, 11, 25), dt.date(2026, 11, 26)
DEC_1 = dt.date(2026, 12, 1)


@pytest.fixture
def yangling(regions):
    call_command("load_policy", "yangling", stdout=StringIO())


@pytest.fixture
def swept(yangling, regions):
    """Three elders swept on 25 November, then a day passes (everything older than the margin)."""
    elders = {
        "old": ElderFactory(region=regions[VILLAGE], birth_date=dt.date(1944, 5, 20)),
        "poor": ElderFactory(region=regions[VILLAGE], birth_date=dt.date(1950, 3, 15), economic_status="dibao"),
        "plain": ElderFactory(region=regions[VILLAGE], birth_date=dt.date(1950, 3, 16)),
    }
    run(NOV_25)
    settle()
    return elders


def settle() -> None:
    """Move every timestamp back, as if the last run was last night and the elders were written well
    before it (rows written within ``INCREMENTAL_MARGIN`` before a run are looked at again)."""
    back = dt.timedelta(days=2)
    Elder.objects.update(updated_at=F("updated_at") - back - dt.timedelta(days=1))
    Enrolment.objects.update(updated_at=F("updated_at") - back)
    SweepRun.objects.update(started_at=F("started_at") - back)


def run(as_of=NOV_26, county=COUNTY, **kwargs) -> SweepRun:
    (r,) = sweep(as_of, county, **kwargs)
    assert r.status == SweepRun.Status.DONE, r.errors
    return r


def assert_nothing_left_for_a_full_run(as_of=NOV_26, county=COUNTY):
    again = run(as_of, county, full=True)
    assert again.counts["mode"] == "full"
    assert again.counts["totals"] == {}, "the incremental run missed changes a full run makes"


def open_codes(elder) -> set[str]:
    return set(Enrolment.objects.open().filter(elder=elder).values_list("benefit__code", flat=True))


def test_nothing_changed_evaluates_nobody_and_writes_nothing(swept):
    second = run()
    assert (second.counts["mode"], second.evaluated, second.counts["totals"]) == ("incremental", 0, {})
    assert_nothing_left_for_a_full_run()


def test_an_elder_who_became_dibao_is_found_the_next_night(swept):
    plain = swept["plain"]
    before = open_codes(plain)
    assert before != open_codes(swept["poor"])
    plain.economic_status = "dibao"
    plain.save()
    second = run()
    assert (second.counts["mode"], second.evaluated) == ("incremental", 1)
    assert open_codes(plain) == open_codes(swept["poor"]) != before
    assert second.counts["totals"]
    assert_nothing_left_for_a_full_run()


def test_an_elder_who_died_is_ended_the_next_night(swept):
    old = swept["old"]
    assert "age_allowance" in open_codes(old)
    old.deceased_on = dt.date(2026, 11, 20)
    old.save()
    second = run()
    assert second.evaluated == 1
    ended = Enrolment.objects.get(elder=old, benefit__code="age_allowance")
    assert (ended.status, ended.end_period) == ("ended", dt.date(2026, 11, 1))
    assert_nothing_left_for_a_full_run()


def test_a_changed_parameter_makes_the_next_run_evaluate_everyone(swept):
    poor = swept["poor"]
    before = {e.benefit.code: e.amount for e in Enrolment.objects.open().filter(elder=poor).select_related("benefit")}
    PolicyParameter.objects.filter(jurisdiction__code=COUNTY).update(value=F("value") + 10)
    second = run()
    assert second.counts["mode"] == "full" and second.evaluated == 3
    after = {e.benefit.code: e.amount for e in Enrolment.objects.open().filter(elder=poor).select_related("benefit")}
    changed = {code for code in before if before[code] != after[code]}
    assert changed, "a parameter of the county changed: some amount of the 低保 elder must follow"
    assert second.counts["totals"].get("tier") == len(changed)
    assert_nothing_left_for_a_full_run()


def test_a_new_month_is_always_a_full_evaluation(swept):
    december = run(dt.date(2026, 12, 25))
    assert december.period == dt.date(2027, 1, 1)
    assert (december.counts["mode"], december.evaluated) == ("full", 3)


def test_a_rejected_candidate_brings_the_elder_back_but_is_not_proposed_again(swept, officer):
    candidate = Enrolment.objects.filter(elder=swept["poor"], status="candidate").first()
    assert candidate is not None
    enrolments_decide(actor=officer, enrolments=Enrolment.objects.filter(pk=candidate.pk), decision="reject",
                      note="已在外地享受")
    second = run()
    assert (second.counts["mode"], second.evaluated, second.counts["totals"]) == ("incremental", 1, {})
    assert Enrolment.objects.get(pk=candidate.pk).status == "rejected"
    assert_nothing_left_for_a_full_run()


def test_an_elder_who_moved_to_another_county_is_seen_by_the_county_they_left(swept, regions):
    old = swept["old"]
    allowance = Enrolment.objects.get(elder=old, benefit__code="age_allowance", status="active")
    old.region = regions[OTHER_COUNTY_VILLAGE]
    old.save()
    second = run()
    assert (second.counts["mode"], second.evaluated) == ("incremental", 1)
    allowance.refresh_from_db()
    assert allowance.status == "ended"
    assert_nothing_left_for_a_full_run()
    call_command("load_policy", "linfen", stdout=StringIO())
    there = run(county=OTHER_COUNTY)
    assert Enrolment.objects.get(elder=old, benefit__code="age_allowance", status="active").amount > Decimal("0")
    assert there.counts["mode"] == "full"


def test_too_many_changes_fall_back_to_a_full_evaluation(swept, monkeypatch):
    monkeypatch.setattr(incremental, "INCREMENTAL_LIMIT", 1)
    for elder in (swept["plain"], swept["old"]):
        elder.phone = "13900000000"
        elder.save()
    second = run()
    assert (second.counts["mode"], second.evaluated, second.counts["totals"]) == ("full", 3, {})


def test_the_run_is_shown_as_incremental_in_the_command_output(swept):
    out = StringIO()
    call_command("sweep", "--as-of", NOV_26.isoformat(), "--county", COUNTY, stdout=out)
    assert "增量测算0人" in out.getvalue() and "无变化" in out.getvalue()
