"""The assessment pages as clerks use them: the form, the report, the lists, the elder's page."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.urls import reverse

from assessments.forms import item_field_name
from assessments.models import Assessment, ReassessmentRequest, Status
from tests.conftest import TODAY

from .helpers import answers_for_total, approved, create

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _frozen():
    with time_machine.travel(dt.datetime(2026, 11, 25, 10, 0, tzinfo=dt.UTC), tick=False):
        yield


def form_post(assessor, assessor2, total=70, **overrides):
    post = {
        "reason": "first", "assessed_on": "2026-11-24", "place": "老人家中",
        "assessor_1": assessor.pk, "assessor_2": assessor2.pk, "informant_name": "王小明",
        "informant_relation": "儿子", "informant_phone": "", "diagnoses": "", "diagnosis_notes": "",
        "falls_30d": "0", "choking_30d": "0", "self_harm_30d": "0", "wandering_30d": "0",
        "care_notes": "", "note": "",
    }
    for code, score in answers_for_total(total).items():
        post[item_field_name(code)] = str(score)
    post.update(overrides)
    return {k: v for k, v in post.items() if v is not None}


def test_the_form_shows_the_26_items_in_the_standards_order(client, assessor, assessor2, elder):
    client.force_login(assessor)
    html = client.get(reverse("assessments:create", args=[elder.pk])).content.decode()
    positions = [html.index(f'data-testid="item-{c}"') for c in ("B.1.1", "B.1.8", "B.2.4", "B.3.9", "B.4.5")]
    assert positions == sorted(positions)
    assert html.count('data-item="B.') == 26
    assert "独立使用器具将食物送进口中并咽下" in html and "在他人指导或提示下完成" in html
    assert "js/assessment_form.js" in html
    assert "李评估" in html  # the second assessor is offered


def test_an_assessor_saves_a_complete_form_as_a_draft(client, assessor, assessor2, elder):
    client.force_login(assessor)
    response = client.post(reverse("assessments:create", args=[elder.pk]), form_post(assessor, assessor2, total=60))
    a = Assessment.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("assessments:detail", args=[a.pk])
    assert (a.total_score, a.final_level, a.status) == (60, 2, Status.DRAFT)
    html = client.get(response["Location"]).content.decode()
    assert "60 分" in html and "中度失能" in html and "提交审核" in html


def test_a_missing_answer_is_shown_on_its_item_and_nothing_is_saved(client, assessor, assessor2, elder):
    client.force_login(assessor)
    response = client.post(
        reverse("assessments:create", args=[elder.pk]), form_post(assessor, assessor2, item_B_2_3=None)
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert 'data-testid="error-B.2.3"' in html and "B.2.3 平地行走：未作答" in html
    assert "评估尚未保存" in html
    assert not Assessment.objects.exists()


def test_a_future_date_and_the_same_assessor_twice_are_refused(client, assessor, assessor2, elder):
    client.force_login(assessor)
    response = client.post(
        reverse("assessments:create", args=[elder.pk]),
        form_post(assessor, assessor2, assessed_on="2026-12-01", assessor_2=assessor.pk),
    )
    html = response.content.decode()
    assert "评估日期不能晚于今天" in html and "两名评估员不能是同一人" in html
    assert not Assessment.objects.exists()


def test_an_assessor_from_another_area_cannot_be_picked(client, assessor, elder, far_assessor):
    client.force_login(assessor)
    response = client.post(
        reverse("assessments:create", args=[elder.pk]), form_post(assessor, far_assessor)
    )
    assert "所选人员不是该老年人所在区域的评估员" in response.content.decode()
    assert not Assessment.objects.exists()


def test_submit_then_a_county_admin_approves_and_the_elder_gets_the_level(
    client, assessor, assessor2, county_admin, elder
):
    a = create(assessor, elder, assessor, assessor2, total=40)
    client.force_login(assessor)
    html = client.post(reverse("assessments:submit", args=[a.pk])).content.decode()
    assert "已提交审核" in html
    # the assessor cannot approve (no permission): 403
    assert client.post(reverse("assessments:approve", args=[a.pk])).status_code == 403
    client.force_login(county_admin)
    html = client.get(reverse("assessments:detail", args=[a.pk])).content.decode()
    assert "审核通过" in html
    html = client.post(reverse("assessments:approve", args=[a.pk])).content.decode()
    assert "已审核通过：最终等级 重度失能" in html and "2027-11-20" in html
    elder.refresh_from_db()
    assert elder.ability_level == 3


def test_an_approved_assessment_cannot_be_opened_for_editing(client, assessor, assessor2, county_admin, elder):
    a = approved(assessor, county_admin, elder, assessor, assessor2)
    client.force_login(assessor)
    response = client.get(reverse("assessments:update", args=[a.pk]), follow=True)
    html = response.content.decode()
    assert "已审核的评估不能修改" in html and "新建复评" in html


def test_the_printable_report_has_sections_a_b_c_and_signatures(client, assessor, assessor2, county_admin, elder):
    a = approved(assessor, county_admin, elder, assessor, assessor2, total=70, diagnoses="F03")
    client.force_login(county_admin)
    html = client.get(reverse("assessments:print", args=[a.pk])).content.decode()
    for text in ("A 基本信息", "B 老年人能力评估", "C 评估结论", "C.4 等级变更依据", "评估员1签名", "审核人",
                 "css/assessments.css", 'data-action="print"', "李评估"):
        assert text in html
    assert elder.id_number not in html  # the report shows the masked number
    assert "中度失能" in html  # 70 → 轻度, +1 for F03


def test_the_due_list_and_awaiting_approval_in_the_users_area(client, officer, neighbour_officer, assessor, assessor2, elder):
    create(assessor, elder, assessor, assessor2)
    a = Assessment.objects.get()
    from assessments import services

    services.assessment_submit(actor=assessor, assessment=a, today=TODAY)
    client.force_login(officer)
    html = client.get(reverse("assessments:worklist")).content.decode()
    assert elder.name in html and "未评估" in html
    html = client.get(reverse("assessments:worklist") + "?tab=submitted").content.decode()
    assert elder.name in html and "待审核" in html
    client.force_login(neighbour_officer)
    assert elder.name not in client.get(reverse("assessments:worklist")).content.decode()
    assert elder.name not in client.get(reverse("assessments:worklist") + "?tab=submitted").content.decode()


def test_the_elders_page_shows_history_and_trend(client, officer, village_worker, assessor, assessor2, county_admin, elder):
    approved(assessor, county_admin, elder, assessor, assessor2, total=90, assessed_on=dt.date(2025, 11, 1))
    approved(assessor, county_admin, elder, assessor, assessor2, total=50, reason="routine")
    client.force_login(officer)
    html = client.get(reverse("eligibility:elder_detail", args=[elder.pk])).content.decode()
    assert 'data-testid="elder-assessments"' in html and 'data-testid="level-trend"' in html
    assert "2025-11-01" in html and "2026-11-20" in html and "下次评估到期日：2027-11-20" in html
    html = client.get(reverse("assessments:elder", args=[elder.pk])).content.decode()
    assert "<polyline" in html and "中度失能" in html
    client.force_login(village_worker)  # no assessment permission: the box is not there
    html = client.get(reverse("eligibility:elder_detail", args=[elder.pk])).content.decode()
    assert 'data-testid="elder-assessments"' not in html


def test_an_officer_requests_an_immediate_reassessment(client, officer, elder):
    client.force_login(officer)
    html = client.post(reverse("assessments:request_immediate", args=[elder.pk]), {"reason": "突发脑梗"}).content.decode()
    assert "已申请即时评估" in html and "突发脑梗" in html
    assert ReassessmentRequest.objects.filter(elder=elder, requested_by=officer).exists()
    html = client.post(reverse("assessments:request_immediate", args=[elder.pk]), {"reason": "again"}).content.decode()
    assert "已有待处理的即时评估申请" in html


def test_the_nav_links_to_assessments_for_roles_that_may_see_them(client, officer, finance_reviewer):
    client.force_login(officer)
    assert reverse("assessments:worklist") in client.get(reverse("eligibility:elder_list")).content.decode()
    client.force_login(finance_reviewer)
    assert reverse("assessments:worklist") not in client.get(reverse("eligibility:elder_list")).content.decode()


def test_role_permissions_follow_the_policy(assessor, county_admin, officer, auditor, village_worker):
    assert assessor.has_perm("assessments.add_assessment") and assessor.has_perm("assessments.change_assessment")
    assert not assessor.has_perm("assessments.approve_assessment")
    assert county_admin.has_perm("assessments.approve_assessment")
    assert not county_admin.has_perm("assessments.add_assessment")
    assert officer.has_perm("assessments.view_assessment") and not officer.has_perm("assessments.approve_assessment")
    assert auditor.has_perm("assessments.view_assessment") and not auditor.has_perm("assessments.change_assessment")
    assert not village_worker.has_perm("assessments.view_assessment")
