"""服务找人 for reassessments: an elder whose ability assessment is past due is offered a new one."""

from __future__ import annotations

import datetime as dt
from io import StringIO

import pytest
from django.core.management import call_command
from django.urls import reverse

from eligibility.models import Enrolment, EnrolmentEvent, SweepRun
from registry.models import Elder
from eligibility.policy.sweep import sweep
from tests.conftest import COUNTY, VILLAGE
from tests.factories import ElderFactory

NOV_25 = dt.date(2026, 11, 25)  # decides December 2026
DUE = "（65周岁以上，上次评估已到期，应重新评估）"


@pytest.fixture
def yangling(regions):
    call_command("load_policy", "yangling", stdout=StringIO())


def run_once(as_of=NOV_25):
    (run,) = sweep(as_of, COUNTY)
    assert run.status == SweepRun.Status.DONE, run.errors
    return run


def offers(elder):
    return list(Enrolment.objects.filter(elder=elder, benefit__code="ability_assessment").order_by("pk"))


def assessed(regions, due_on, *, level=1, birth_date=dt.date(1950, 3, 15), name="张秀英"):
    return ElderFactory(region=regions[VILLAGE], name=name, birth_date=birth_date, ability_level=level,
                        assessment_due_on=due_on)


def test_a_past_due_assessment_puts_the_elder_on_the_worklist_with_a_readable_reason(yangling, regions, client, officer):
    elder = assessed(regions, dt.date(2026, 11, 20))
    run_once()
    (offer,) = offers(elder)
    assert (offer.status, offer.start_period, offer.source) == ("candidate", dt.date(2026, 12, 1), "sweep")
    assert offer.reason == (
        "年满65周岁（1950-03-15出生），已做能力评估，符合老年人能力综合评估（65周岁以上，上次评估已到期，应重新评估），"
        "自2026年12月起"
    )
    client.force_login(officer)
    html = client.get(reverse("eligibility:worklist"), {"benefit": "ability_assessment"}).content.decode()
    assert "张秀英" in html and "上次评估已到期，应重新评估" in html


def test_an_elder_with_a_current_assessment_is_not_offered_one(yangling, regions):
    elder = assessed(regions, dt.date(2027, 11, 20))
    run_once()
    assert offers(elder) == []


def test_the_due_date_is_judged_on_the_first_day_of_the_month_being_decided(yangling, regions):
    on_the_first = assessed(regions, dt.date(2026, 12, 1), name="一号到期")
    a_day_later = assessed(regions, dt.date(2026, 12, 2), name="二号到期")
    run_once(NOV_25)
    assert [o.status for o in offers(on_the_first)] == ["candidate"]
    assert offers(a_day_later) == []
    run_once(dt.date(2026, 12, 1))  # decides January: now due
    assert [o.status for o in offers(a_day_later)] == ["candidate"]


def test_under_65_a_past_due_assessment_is_not_offered_by_the_yangling_list(yangling, regions):
    young = assessed(regions, dt.date(2026, 1, 1), birth_date=dt.date(1965, 3, 15))  # 61
    run_once()
    assert offers(young) == []


def test_never_assessed_elders_keep_their_own_reason(yangling, regions):
    never = ElderFactory(region=regions[VILLAGE], birth_date=dt.date(1950, 3, 15))
    run_once()
    (offer,) = offers(never)
    assert "65周岁以上尚未评估" in offer.reason and "已到期" not in offer.reason


def test_rerunning_the_sweep_writes_nothing(yangling, regions):
    assessed(regions, dt.date(2026, 11, 20))
    run_once()
    before = (Enrolment.objects.count(), EnrolmentEvent.objects.count(),
              list(Enrolment.objects.values_list("pk", "updated_at", "status", "reason").order_by("pk")))
    second = run_once()
    assert second.counts["totals"] == {}
    assert before == (Enrolment.objects.count(), EnrolmentEvent.objects.count(),
                      list(Enrolment.objects.values_list("pk", "updated_at", "status", "reason").order_by("pk")))


def test_the_offer_closes_once_the_elder_is_reassessed(yangling, regions):
    elder = assessed(regions, dt.date(2026, 11, 20))
    run_once()
    Elder.objects.filter(pk=elder.pk).update(assessment_due_on=dt.date(2027, 11, 24))  # approved reassessment
    run_once()
    (offer,) = offers(elder)
    assert offer.status == "ended" and "不再符合老年人能力综合评估的条件" in offer.decision_note
