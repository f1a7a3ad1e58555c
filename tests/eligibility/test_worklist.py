"""The township worklist (服务找人): scoped, filtered, decided in bulk, exported."""

from __future__ import annotations

import csv
import datetime as dt
import io
from io import StringIO

import pytest
from django.core.management import call_command
from django.urls import reverse

from eligibility.models import Enrolment
from registry.models import Elder
from eligibility.policy.sweep import sweep
from tests.conftest import COUNTY, NEIGHBOUR_VILLAGE, VILLAGE
from tests.factories import ElderFactory

NOV_25 = dt.date(2026, 11, 25)
URL = "/eligibility/worklist/"


@pytest.fixture
def swept(regions):
    call_command("load_policy", "yangling", stdout=StringIO())
    ours = ElderFactory(region=regions[VILLAGE], name="张桂英", birth_date=dt.date(1950, 3, 15), economic_status="dibao", ability_level=3)
    theirs = ElderFactory(region=regions[NEIGHBOUR_VILLAGE], name="刘福来", birth_date=dt.date(1950, 3, 15),
                          economic_status="dibao", ability_level=3)
    sweep(NOV_25, COUNTY)
    return ours, theirs


def candidate(elder, code="service_subsidy"):
    return Enrolment.objects.get(elder=elder, benefit__code=code, status__in=["candidate", "active", "rejected"])


def test_the_officer_sees_our_candidates_with_their_reason_and_not_the_neighbours(client, officer, swept):
    ours, theirs = swept
    client.force_login(officer)
    html = client.get(reverse("eligibility:worklist")).content.decode()
    assert "张桂英" in html and "刘福来" not in html
    assert "符合养老服务补贴" in html and "每月200元" in html


def test_the_navigation_shows_the_worklist_count(client, officer, swept):
    client.force_login(officer)
    html = client.get(reverse("eligibility:elder_list")).content.decode()
    n = Enrolment.objects.visible_to(officer).filter(status="candidate").count()
    assert 'data-testid="nav-worklist"' in html and f">{n}</span>" in html


def test_the_worklist_filters_by_benefit_and_village(client, officer, swept):
    client.force_login(officer)
    html = client.get(reverse("eligibility:worklist"), {"benefit": "home_adaptation"}).content.decode()
    assert "家庭适老化改造补助" in html and "养老服务补贴</td>" not in html
    html = client.get(reverse("eligibility:worklist"), {"village": "610403001003"}).content.decode()
    assert "张桂英" not in html


def test_bulk_approve_makes_candidates_active_and_records_who_decided(client, officer, swept):
    ours, _ = swept
    e = candidate(ours)
    client.force_login(officer)
    response = client.post(reverse("eligibility:worklist_decide"), {"action": "approve", "ids": [e.pk]})
    assert response.status_code == 302
    e.refresh_from_db()
    assert (e.status, e.decided_by) == ("active", officer)
    assert list(e.events.values_list("kind", flat=True)) == ["created", "approved"]


def test_approving_a_candidate_of_another_area_is_not_found(client, officer, swept):
    _, theirs = swept
    client.force_login(officer)
    response = client.post(reverse("eligibility:worklist_decide"), {"action": "approve", "ids": [candidate(theirs).pk]})
    assert response.status_code == 404
    assert candidate(theirs).status == "candidate"


def test_a_rejection_needs_a_reason(client, officer, swept):
    ours, _ = swept
    client.force_login(officer)
    response = client.post(reverse("eligibility:worklist_decide"), {"action": "reject", "ids": [candidate(ours).pk], "note": " "})
    assert response.status_code == 200 and "驳回、停发必须填写理由" in response.content.decode()
    assert candidate(ours).status == "candidate"


def test_a_rejected_candidate_is_not_proposed_again_until_the_elders_data_changes(client, officer, swept):
    ours, _ = swept
    client.force_login(officer)
    client.post(reverse("eligibility:worklist_decide"),
                {"action": "reject", "ids": [candidate(ours).pk], "note": "已入住福利院，家属放弃"})
    assert candidate(ours).status == "rejected"
    sweep(NOV_25, COUNTY)
    assert not Enrolment.objects.filter(elder=ours, benefit__code="service_subsidy", status="candidate").exists()
    elder = Elder.objects.get(pk=ours.pk)
    elder.ability_level = 4
    elder.save()  # the elder's data changed: propose again
    sweep(NOV_25, COUNTY)
    assert Enrolment.objects.filter(elder=ours, benefit__code="service_subsidy", status="candidate").exists()


def test_a_stop_proposal_is_stopped_with_a_reason(client, officer, swept):
    ours, _ = swept
    e = candidate(ours)
    Enrolment.objects.filter(pk=e.pk).update(status="active", review_reason="2027年1月起不再符合养老服务补贴的条件")
    client.force_login(officer)
    html = client.get(reverse("eligibility:worklist"), {"tab": "review"}).content.decode()
    assert "不再符合养老服务补贴的条件" in html
    client.post(reverse("eligibility:worklist_decide"), {"action": "stop", "ids": [e.pk], "note": "核实已脱离低保"})
    e.refresh_from_db()
    assert e.status == "ended" and e.end_period is not None and e.review_reason == ""


def test_the_automatic_tab_shows_last_nights_automatic_enrolments(client, officer, swept):
    client.force_login(officer)
    html = client.get(reverse("eligibility:worklist"), {"tab": "automatic"}).content.decode()
    assert "低保老年人增发保障金" in html


def test_the_elder_page_shows_enrolments_with_reasons_and_history(client, officer, swept):
    ours, _ = swept
    client.force_login(officer)
    html = client.get(reverse("eligibility:elder_detail", args=[ours.pk])).content.decode()
    assert 'data-testid="enrolments"' in html and "养老服务补贴" in html and "服务找人发现" in html


def test_the_csv_export_has_the_required_columns_and_neutralises_formulas(client, officer, swept):
    ours, _ = swept
    Elder.objects.filter(pk=ours.pk).update(name="=HYPERLINK(1)")
    client.force_login(officer)
    response = client.get(reverse("eligibility:enrolment_export"), {"tab": "candidates", "format": "csv"})
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[0] == ["身份证号码", "姓名", "村(社区)", "项目", "状态", "起始所属期", "终止所属期", "每月金额", "依据"]
    assert all(r[1] == "'=HYPERLINK(1)" for r in rows[1:])
    assert any(r[3] == "养老服务补贴" and r[7] == "200" and r[5] == "2026-12" for r in rows[1:])
    assert "刘福来" not in response.content.decode("utf-8-sig")


def test_the_excel_export_of_the_enrolment_list(client, officer, swept):
    from openpyxl import load_workbook

    client.force_login(officer)
    response = client.get(reverse("eligibility:enrolment_export"), {"format": "xlsx"})
    ws = load_workbook(io.BytesIO(response.content)).active
    header = [c.value for c in next(ws.iter_rows(max_row=1))]
    assert header[0] == "身份证号码" and header[-1] == "依据" and ws.max_row > 1


def test_the_enrolments_export_command_writes_the_county_csv(swept, tmp_path):
    out = tmp_path / "dec.csv"
    call_command("enrolments", "export", "--county", "610403", "--status", "active", "--period", "2026-12", "--out", str(out),
                 stdout=StringIO())
    rows = list(csv.reader(out.open(encoding="utf-8-sig")))
    assert rows[0][0] == "身份证号码" and len(rows) > 1
    assert {r[4] for r in rows[1:]} == {"享受中"}


@pytest.mark.parametrize("target", [
    "https://evil.example.com/phish", "//evil.example.com/phish", "http://testserver.evil.example.com/",
    "DECIDE", "DECIDE?x=1", "javascript:alert(1)",
])
def test_attack_open_redirect_next_on_worklist_decide(client, officer, swept, target):
    ours, _ = swept
    e = candidate(ours)
    client.force_login(officer)
    target = target.replace("DECIDE", reverse("eligibility:worklist_decide"))

    response = client.post(reverse("eligibility:worklist_decide"), {"action": "approve", "ids": [e.pk], "next": target})

    assert response.status_code == 302 and response["Location"] == reverse("eligibility:worklist")
    e.refresh_from_db()
    assert e.status == "active"


def test_after_a_decision_the_officer_lands_back_on_the_filtered_worklist(client, officer, swept):
    ours, _ = swept
    client.force_login(officer)
    back = reverse("eligibility:worklist") + "?tab=candidates&benefit=service_subsidy"

    response = client.post(reverse("eligibility:worklist_decide"), {"action": "approve", "ids": [candidate(ours).pk], "next": back})

    assert response["Location"] == back


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_every_enrolment_export_is_audited_with_its_row_count(client, officer, swept, fmt):
    from audit.models import AuditEvent

    client.force_login(officer)
    response = client.get(reverse("eligibility:enrolment_export"), {"tab": "candidates", "format": fmt})

    if fmt == "csv":
        n = len(response.content.decode("utf-8-sig").strip().splitlines()) - 1
    else:
        from openpyxl import load_workbook

        n = load_workbook(io.BytesIO(response.content)).active.max_row - 1
    event = AuditEvent.objects.get(event="enrolment.export")
    assert n > 0 and event.detail["rows"] == n and event.user == officer and event.detail["format"] == fmt
