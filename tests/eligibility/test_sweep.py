"""The nightly sweep (服务找人) on the Yangling list: who is found, from which month, for how much."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import call_command

from eligibility.models import Enrolment, EnrolmentEvent, SweepRun
from registry.models import Elder
import eligibility.policy.sweep as sweep_module
from eligibility.policy.sweep import sweep
from tests.conftest import COUNTY, NEIGHBOUR_VILLAGE, OTHER_COUNTY_VILLAGE, VILLAGE
from tests.factories import ElderFactory

NOV_25 = dt.date(2026, 11, 25)  # decides December 2026
DEC_25 = dt.date(2026, 12, 25)  # decides January 2027
DEC, JAN = dt.date(2026, 12, 1), dt.date(2027, 1, 1)


@pytest.fixture
def yangling(regions):
    call_command("load_policy", "yangling", stdout=StringIO())


def enrolment(elder, code):
    return Enrolment.objects.get(elder=elder, benefit__code=code)


def run_once(as_of=NOV_25):
    (run,) = sweep(as_of, COUNTY)
    assert run.status == SweepRun.Status.DONE, run.errors
    return run


def test_an_82_year_old_local_elder_gets_the_age_allowance_automatically_from_next_month(yangling, regions):
    elder = ElderFactory(region=regions[VILLAGE], birth_date=dt.date(1944, 5, 20))
    run_once()
    e = enrolment(elder, "age_allowance")
    assert (e.status, e.amount, e.start_period, e.source) == ("active", Decimal("100.00"), DEC, "sweep")
    assert e.reason == "年满80周岁（1944-05-20出生），符合高龄津贴80–89周岁档，每月100元，自2026年12月起"
    assert e.decided_at is not None and e.decided_by is None


def test_an_elder_without_local_hukou_gets_no_age_allowance(yangling, regions):
    elder = ElderFactory(region=regions[VILLAGE], birth_date=dt.date(1944, 5, 20), local_hukou=False)
    run_once()
    assert not Enrolment.objects.filter(elder=elder, benefit__code="age_allowance").exists()


def test_turning_80_moves_the_amount_from_the_month_after_the_birthday_with_the_published_sentence(yangling, elder):
    """王秀兰, born 1946-12-03: 79 on 1 December (50 yuan), 80 on 1 January (100 yuan)."""
    run_once(NOV_25)
    e = enrolment(elder, "age_allowance")
    assert (e.amount, e.start_period) == (Decimal("50.00"), DEC)
    run_once(DEC_25)
    e2 = enrolment(elder, "age_allowance")
    assert e2.pk == e.pk and e2.start_period == DEC
    assert e2.amount == Decimal("100.00")
    assert e2.reason == "年满80周岁（1946-12-03出生），符合高龄津贴80–89周岁档，每月100元，自2027年1月起"


def test_a_birthday_on_the_first_counts_from_that_same_month(yangling, regions):
    elder = ElderFactory(region=regions[VILLAGE], birth_date=dt.date(1946, 12, 1))
    run_once(NOV_25)
    assert enrolment(elder, "age_allowance").amount == Decimal("100.00")


def test_turning_90_changes_the_amount_not_the_enrolment_and_leaves_a_history_line(yangling, regions):
    elder = ElderFactory(region=regions[VILLAGE], birth_date=dt.date(1936, 12, 10))
    run_once(NOV_25)
    first = enrolment(elder, "age_allowance")
    assert first.amount == Decimal("100.00")
    run_once(DEC_25)
    again = enrolment(elder, "age_allowance")
    assert (again.pk, again.amount, again.status, again.start_period) == (first.pk, Decimal("200.00"), "active", DEC)
    assert "90–99周岁档" in again.reason
    assert list(again.events.values_list("kind", flat=True)) == ["activated", "tier"]


def test_a_dibao_65_year_old_with_severe_disability_is_a_candidate_for_the_service_subsidy(yangling, regions):
    elder = ElderFactory(region=regions[VILLAGE], birth_date=dt.date(1961, 3, 15), economic_status="dibao", ability_level=3)
    run_once()
    e = enrolment(elder, "service_subsidy")
    assert (e.status, e.amount, e.start_period) == ("candidate", Decimal("200.00"), DEC)
    assert "经济状况为低保" in e.reason and "每月200元" in e.reason


@pytest.mark.parametrize(("level", "amount"), [(0, "216.00"), (2, "324.00"), (4, "540.00")])
def test_tekun_elders_at_home_get_the_care_fee_by_self_care_tier_and_the_basic_living_allowance(yangling, regions, level, amount):
    elder = ElderFactory(region=regions[VILLAGE], birth_date=dt.date(1950, 3, 15), economic_status="tekun_home", ability_level=level)
    run_once()
    assert (enrolment(elder, "care_fee").status, enrolment(elder, "care_fee").amount) == ("active", Decimal(amount))
    assert enrolment(elder, "tekun_basic").amount == Decimal("884.00")


def test_the_dibao_top_up_is_30_percent_of_the_local_dibao_standard_parameter(yangling, regions):
    elder = ElderFactory(region=regions[VILLAGE], birth_date=dt.date(1950, 3, 15), economic_status="dibao")
    run_once()
    e = enrolment(elder, "dibao_topup")
    assert (e.status, e.amount) == ("active", Decimal("192.00"))  # 30 % of the example value 640
    assert "城乡低保标准的30%" in e.reason


def test_the_sex_specific_bands_of_the_family_planning_grant(yangling, regions):
    woman = ElderFactory(region=regions[VILLAGE], sex="F", birth_date=dt.date(1970, 3, 15), special_family="only_child_deceased")
    man = ElderFactory(region=regions[VILLAGE], sex="M", birth_date=dt.date(1970, 3, 15), special_family="only_child_deceased")
    run_once()
    assert enrolment(woman, "family_planning").amount == Decimal("1200.00")  # 56: women from 55
    assert enrolment(man, "family_planning").amount == Decimal("590.00")  # 56: men 49–59


def test_65_plus_without_an_assessment_are_offered_one_and_the_offer_closes_once_assessed(yangling, regions):
    elder = ElderFactory(region=regions[VILLAGE], birth_date=dt.date(1958, 3, 15))
    run_once()
    assert enrolment(elder, "ability_assessment").status == "candidate"
    Elder.objects.filter(pk=elder.pk).update(ability_level=0)
    run_once(DEC_25)
    assert enrolment(elder, "ability_assessment").status == "ended"


@pytest.mark.parametrize("full", [False, True], ids=["incremental", "full"])
def test_a_second_run_the_same_day_writes_nothing(yangling, regions, elder, full):
    ElderFactory(region=regions[VILLAGE], birth_date=dt.date(1950, 3, 15), economic_status="dibao", ability_level=3)
    first = run_once()
    assert first.counts["totals"] and first.counts["mode"] == "full"
    before = list(Enrolment.objects.order_by("pk").values_list("pk", "status", "amount", "updated_at"))
    events = EnrolmentEvent.objects.count()
    (second,) = sweep(NOV_25, COUNTY, full=full)
    assert second.counts == {"mode": "full" if full else "incremental", "totals": {}, "by_benefit": {}, "by_township": {}}
    # Incremental: both elders were written within the last hour (INCREMENTAL_MARGIN), so both are looked at again.
    assert second.evaluated == 2
    assert list(Enrolment.objects.order_by("pk").values_list("pk", "status", "amount", "updated_at")) == before
    assert EnrolmentEvent.objects.count() == events


def test_the_run_counts_changes_per_township_and_per_benefit(yangling, regions, elder):
    ElderFactory(region=regions[NEIGHBOUR_VILLAGE], birth_date=dt.date(1944, 5, 20))
    run = run_once()
    assert run.counts["by_benefit"]["age_allowance"] == {"activated": 2}
    assert set(run.counts["by_township"]) == {"610403001000", "610403002000"}
    assert run.finished_at >= run.started_at


def test_death_ends_the_enrolment_at_the_month_of_death(yangling, elder):
    run_once(NOV_25)
    Elder.objects.filter(pk=elder.pk).update(deceased_on=dt.date(2026, 12, 15))
    run_once(DEC_25)
    e = enrolment(elder, "age_allowance")
    assert (e.status, e.end_period) == ("ended", DEC)
    assert "2026-12-15去世" in e.decision_note


def test_moving_out_ends_the_enrolment(yangling, elder):
    run_once(NOV_25)
    Elder.objects.filter(pk=elder.pk).update(moved_out_on=dt.date(2026, 12, 2))
    run_once(DEC_25)
    e = enrolment(elder, "age_allowance")
    assert (e.status, e.end_period) == ("ended", DEC)
    assert "迁出" in e.decision_note


def test_lost_status_ends_automatic_benefits_and_puts_verified_ones_up_for_review(yangling, regions):
    elder = ElderFactory(region=regions[VILLAGE], birth_date=dt.date(1950, 3, 15), economic_status="dibao", ability_level=3)
    run_once(NOV_25)
    Enrolment.objects.filter(elder=elder, benefit__code="service_subsidy").update(status="active")
    Elder.objects.filter(pk=elder.pk).update(economic_status="normal")
    run_once(DEC_25)
    topup = enrolment(elder, "dibao_topup")
    assert (topup.status, topup.end_period) == ("ended", DEC)  # paid through December, stops in January
    subsidy = enrolment(elder, "service_subsidy")
    assert subsidy.status == "active" and "2027年1月起不再符合养老服务补贴的条件" in subsidy.review_reason


def test_a_review_item_is_withdrawn_when_the_elder_qualifies_again(yangling, regions):
    elder = ElderFactory(region=regions[VILLAGE], birth_date=dt.date(1950, 3, 15), economic_status="dibao", ability_level=3)
    run_once(NOV_25)
    Enrolment.objects.filter(elder=elder, benefit__code="service_subsidy").update(status="active")
    Elder.objects.filter(pk=elder.pk).update(economic_status="normal")
    run_once(DEC_25)
    Elder.objects.filter(pk=elder.pk).update(economic_status="dibao")
    run_once(dt.date(2027, 1, 25))
    assert enrolment(elder, "service_subsidy").review_reason == ""


def test_an_impossible_birth_date_is_reported_in_the_run_not_silently_skipped(yangling, regions, elder):
    run_once(NOV_25)
    Elder.objects.filter(pk=elder.pk).update(birth_date=dt.date(2031, 1, 1))
    bogus = ElderFactory(region=regions[VILLAGE], birth_date=dt.date(1950, 3, 15))
    Elder.objects.filter(pk=bogus.pk).update(birth_date=dt.date(1870, 1, 1))
    run = run_once(DEC_25)
    (problem,) = [e for e in run.errors if e["kind"] == "invalid_birth_date"]
    assert problem["count"] == 2 and {row["id"] for row in problem["elders"]} == {elder.pk, bogus.pk}
    assert enrolment(elder, "age_allowance").status == "active"  # reported, not ended
    assert not Enrolment.objects.filter(elder=bogus).exists()


def test_a_county_that_fails_halfway_keeps_nothing_and_records_the_failure(yangling, elder, monkeypatch):
    def boom(run, now):
        raise RuntimeError("disk full")

    monkeypatch.setattr(sweep_module, "_record_events", boom)
    (run,) = sweep(NOV_25, COUNTY)
    assert run.status == "failed" and "disk full" in run.errors[0]["message"]
    assert not Enrolment.objects.exists()
    monkeypatch.undo()
    assert run_once().counts["totals"]["activated"] >= 1


def test_only_the_swept_county_is_touched(yangling, regions, elder, far_elder):
    run_once()
    assert not Enrolment.objects.filter(elder=far_elder).exists()


def test_the_linfen_list_pays_the_county_parameter_for_the_age_allowance(regions):
    call_command("load_policy", "linfen", stdout=StringIO())
    elder = ElderFactory(region=regions[OTHER_COUNTY_VILLAGE], birth_date=dt.date(1940, 6, 1))
    (run,) = sweep(NOV_25, "141002")
    e = enrolment(elder, "age_allowance")
    assert (e.status, e.amount) == ("active", Decimal("120.00"))
    assert "高龄津贴标准的1倍" in e.reason


def test_the_sweep_command_prints_json_for_one_county(yangling, elder):
    out = StringIO()
    call_command("sweep", "--as-of", "2026-11-25", "--county", "610403", "--json", stdout=out)
    (row,) = json.loads(out.getvalue())
    assert row["county"] == COUNTY and row["period"] == "2026-12" and row["counts"]["totals"]["activated"] >= 1


def test_the_sweep_command_without_a_county_sweeps_every_county_with_elders(yangling, elder, far_elder):
    out = StringIO()
    call_command("sweep", "--as-of", "2026-11-25", stdout=out)
    assert "610403000000 2026-12：已完成" in out.getvalue() and "141002000000" in out.getvalue()


def test_the_database_allows_one_open_enrolment_per_elder_and_benefit(yangling, elder):
    from django.db import IntegrityError, transaction

    run_once()
    e = enrolment(elder, "age_allowance")
    with pytest.raises(IntegrityError), transaction.atomic():
        Enrolment.objects.create(elder=elder, benefit=e.benefit, region_code=e.region_code, status="candidate", reason="重复")
    Enrolment.objects.create(elder=elder, benefit=e.benefit, region_code=e.region_code, status="ended", reason="历史")


def test_a_benefit_or_rule_with_enrolments_cannot_be_deleted(yangling, elder):
    """The enrolment's benefit and rule have no database foreign key (models/enrolment.py): the ORM's
    PROTECT is what keeps the history's rule from disappearing."""
    from django.db.models import ProtectedError

    run_once()
    e = enrolment(elder, "age_allowance")
    with pytest.raises(ProtectedError):
        e.rule.delete()
    with pytest.raises(ProtectedError):
        e.benefit.delete()
    assert Enrolment.objects.filter(pk=e.pk, rule=e.rule_id).exists()
