"""A village worker's day on the phone: my visits, recording one (with referrals), and the bad
inputs the issue names — a future time, an elder outside the area, a phone visit where the rule
demands one in person, and a double submit."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from tests.conftest import VILLAGE
from tests.factories import ElderFactory, make_visit, make_visit_rule
from visits import services
from visits.models import FollowUp, Visit, VisitRecord


D = dt.date
pytestmark = pytest.mark.usefixtures("frozen")


@pytest.fixture
def visit(regions, village_worker):
    elder = ElderFactory(region=regions[VILLAGE], name="王秀兰", living_arrangement="alone", address="杨村12号")
    return make_visit(elder, make_visit_rule(), due_on=D(2026, 11, 30), visitor=village_worker)


def post_data(**extra):
    data = {
        "idempotency_key": str(uuid.uuid4()), "mode": "home", "visited_at": "2026-11-25T09:30",
        "people_present": ["self", "children"], "area_health": ["ill"], "area_safety": ["gas"],
        "notes": "咳嗽两周，燃气灶老化", "risk_level": "medium", "referrals": [], "referral_note": "",
    }
    data.update(extra)
    return data


def test_my_visits_lists_my_open_visits_by_tab(client, village_worker, visit, regions):
    other = make_visit(ElderFactory(region=regions[VILLAGE], living_arrangement="alone"), visit.rule, due_on=D(2026, 11, 20),
                       status="overdue", visitor=village_worker)
    not_mine = make_visit(ElderFactory(region=regions[VILLAGE], name="别人的", living_arrangement="alone"), visit.rule)
    client.force_login(village_worker)
    html = client.get(reverse("visits:my_visits")).content.decode()
    assert "王秀兰" in html and "别人的" not in html
    overdue = client.get(reverse("visits:my_visits") + "?tab=overdue").content.decode()
    assert f"visit-{other.pk}" in overdue and f"visit-{visit.pk}" not in overdue
    this_week = make_visit(ElderFactory(region=regions[VILLAGE], living_arrangement="alone"), visit.rule,
                           due_on=D(2026, 11, 29), visitor=village_worker)  # TODAY is a Wednesday
    week = client.get(reverse("visits:my_visits") + "?tab=week").content.decode()
    assert f"visit-{this_week.pk}" in week and f"visit-{visit.pk}" not in week  # due next Monday
    assert f"visit-{not_mine.pk}" not in client.get(reverse("visits:my_visits") + "?tab=open").content.decode()


def test_the_form_carries_a_fresh_idempotency_key_and_the_phone_layout(client, village_worker, visit):
    client.force_login(village_worker)
    html = client.get(reverse("visits:record", args=[visit.pk])).content.decode()
    assert 'name="idempotency_key"' in html and 'type="hidden"' in html
    assert "身体健康" in html and "经济状况" in html and "家庭赡养" in html and "居家安全" in html and "服务需求" in html
    assert 'name="viewport"' in html and "visits.css" in html
    key1 = client.get(reverse("visits:record", args=[visit.pk])).context["form"].initial["idempotency_key"]
    key2 = client.get(reverse("visits:record", args=[visit.pk])).context["form"].initial["idempotency_key"]
    assert key1 != key2


def test_recording_a_visit_with_a_referral_opens_a_follow_up_for_the_township(client, village_worker, officer, visit):
    client.force_login(village_worker)
    response = client.post(reverse("visits:record", args=[visit.pk]),
                           post_data(referrals=["assessment", "home_adaptation"], referral_note="需要扶手"))
    assert response.status_code == 302
    record = VisitRecord.objects.get()
    assert record.mode == "home" and record.people_present == ["self", "children"]
    assert record.checklists["health"] == ["ill"] and record.checklists["safety"] == ["gas"]
    assert record.recorded_by == village_worker and record.region_code == VILLAGE
    visit.refresh_from_db()
    assert visit.status == Visit.Status.DONE
    assert sorted(FollowUp.objects.values_list("kind", "status")) == [("assessment", "open"), ("home_adaptation", "open")]

    client.force_login(officer)
    page = client.get(reverse("visits:follow_ups")).content.decode()
    assert "<td>申请能力评估</td>" in page and "适老化改造" in page and "需要扶手" in page
    fu = FollowUp.objects.get(kind="assessment")
    assert client.post(reverse("visits:follow_up_close", args=[fu.pk]), {"note": "已安排评估"}).status_code == 302
    fu.refresh_from_db()
    assert fu.status == "closed" and fu.closed_by == officer and fu.closing_note == "已安排评估"
    assert "<td>申请能力评估</td>" not in client.get(reverse("visits:follow_ups")).content.decode()
    with pytest.raises(ValidationError, match="已办结"):
        services.follow_up_close(actor=officer, follow_up=fu)


def test_a_double_submit_creates_one_record(client, village_worker, visit):
    client.force_login(village_worker)
    data = post_data(referrals=["urgent_help"])
    first = client.post(reverse("visits:record", args=[visit.pk]), data)
    second = client.post(reverse("visits:record", args=[visit.pk]), data, follow=True)
    assert first.status_code == 302 and second.status_code == 200
    assert "重复提交只保存一次" in second.content.decode()
    assert VisitRecord.objects.count() == 1 and FollowUp.objects.count() == 1


def test_the_service_returns_the_first_record_for_a_repeated_key(village_worker, visit):
    key = uuid.uuid4()
    kwargs = dict(actor=village_worker, visit=visit, idempotency_key=key, visited_at=timezone.now(), mode="phone")
    first = services.visit_record_create(**kwargs)
    again = services.visit_record_create(**kwargs)
    assert first.created and not again.created and again.record.pk == first.record.pk


def test_a_visit_dated_in_the_future_is_refused(client, village_worker, visit):
    client.force_login(village_worker)
    response = client.post(reverse("visits:record", args=[visit.pk]), post_data(visited_at="2026-11-26T09:00"))
    assert response.status_code == 200
    assert "探访时间不能晚于当前时间" in response.content.decode()
    assert not VisitRecord.objects.exists()


def test_a_visit_of_an_elder_outside_the_area_is_not_found_and_refused(client, village_worker, regions):
    from tests.conftest import NEIGHBOUR_VILLAGE

    elder = ElderFactory(region=regions[NEIGHBOUR_VILLAGE], living_arrangement="alone")
    visit = make_visit(elder, make_visit_rule())
    client.force_login(village_worker)
    assert client.get(reverse("visits:record", args=[visit.pk])).status_code == 404
    assert client.post(reverse("visits:record", args=[visit.pk]), post_data()).status_code == 404
    with pytest.raises(ValidationError, match="不在您的管辖区域内"):
        services.visit_record_create(actor=village_worker, visit=visit, idempotency_key=uuid.uuid4(),
                                     visited_at=timezone.now(), mode="home")
    assert not VisitRecord.objects.exists()


def test_a_phone_visit_is_refused_when_the_monthly_in_person_visit_could_no_longer_be_made(client, village_worker, regions):
    elder = ElderFactory(region=regions[VILLAGE], living_arrangement="alone", ability_level=3)
    rule = make_visit_rule(code="DISABLED", in_person_monthly=True, criteria={"ability_level": {"min": 2}})
    visit = make_visit(elder, rule, due_on=D(2026, 11, 30), visitor=village_worker)
    client.force_login(village_worker)
    response = client.post(reverse("visits:record", args=[visit.pk]), post_data(mode="phone"))
    assert "要求每月至少一次上门探访" in response.content.decode()
    assert not VisitRecord.objects.exists()


def test_a_phone_visit_is_flagged_when_an_in_person_visit_is_still_possible_this_month(village_worker, regions):
    elder = ElderFactory(region=regions[VILLAGE], ability_level=3)
    rule = make_visit_rule(code="DISABLED", in_person_monthly=True, criteria={"ability_level": {"min": 2}}, times=2)
    early = make_visit(elder, rule, due_on=D(2026, 11, 25), starts_on=D(2026, 11, 16), visitor=village_worker)
    make_visit(elder, rule, due_on=D(2026, 11, 30), starts_on=D(2026, 11, 26), visitor=village_worker)
    outcome = services.visit_record_create(actor=village_worker, visit=early, idempotency_key=uuid.uuid4(),
                                           visited_at=timezone.now(), mode="phone")
    assert outcome.created and any("上门" in f for f in outcome.record.flags)


def test_a_mode_the_rule_does_not_allow_is_refused(village_worker, regions):
    elder = ElderFactory(region=regions[VILLAGE], living_arrangement="alone")
    visit = make_visit(elder, make_visit_rule(code="HOME-ONLY", modes=["home"]))
    with pytest.raises(ValidationError, match="只允许"):
        services.visit_record_create(actor=village_worker, visit=visit, idempotency_key=uuid.uuid4(),
                                     visited_at=timezone.now(), mode="video")


def test_a_cancelled_visit_cannot_be_recorded(village_worker, visit):
    Visit.objects.filter(pk=visit.pk).update(status="cancelled", cancelled_reason=services.REASON_DECEASED)
    with pytest.raises(ValidationError, match="已取消"):
        services.visit_record_create(actor=village_worker, visit=visit, idempotency_key=uuid.uuid4(),
                                     visited_at=timezone.now(), mode="home")


def test_recording_is_audited(village_worker, visit):
    from audit.models import AuditEvent

    services.visit_record_create(actor=village_worker, visit=visit, idempotency_key=uuid.uuid4(),
                                 visited_at=timezone.now(), mode="home", referrals=[("eligibility", "")])
    event = AuditEvent.objects.get(event="visits.record")
    assert event.user == village_worker and event.region_code == VILLAGE and event.detail["referrals"] == ["eligibility"]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_simultaneous_submits_with_one_key_store_one_record(regions, village_worker):
    from django.db import connection

    if connection.vendor != "postgresql":
        print("SKIP: concurrent submits need PostgreSQL")
        pytest.skip("concurrent submits need PostgreSQL")
    import threading

    from django.db import connections

    elder = ElderFactory(region=regions[VILLAGE], living_arrangement="alone")
    visit = make_visit(elder, make_visit_rule())
    key = uuid.uuid4()
    results, errors = [], []

    def submit():
        try:
            results.append(services.visit_record_create(actor=village_worker, visit=visit, idempotency_key=key,
                                                        visited_at=timezone.now(), mode="home"))
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=submit) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert VisitRecord.objects.count() == 1
    # the loser either saw the record (created=False) or found the visit already done
    assert sum(r.created for r in results) == 1
    assert all("已经登记过" in str(e) for e in errors)
