"""工作台: each card's link lands on a list showing exactly the rows the card counts.

Every story lays out rows the card should count, rows of another status and rows of another area,
opens the home page as the clerk, follows the card's link as the same clerk and compares the rows
the list shows with an independent count — and with the number on the card.
"""

from __future__ import annotations

import datetime as dt
import html
import re

import pytest
from django.urls import reverse

from eligibility.models import Enrolment
from tests.conftest import COUNTY, NEIGHBOUR_VILLAGE, OTHER_COUNTY, OTHER_COUNTY_VILLAGE, TOWNSHIP, VILLAGE

pytestmark = pytest.mark.django_db

OUR_TOWNSHIP = TOWNSHIP[:9]  # the officer's area prefix
OUR_COUNTY = COUNTY[:6]


def _card(client, key: str) -> tuple[int, str]:
    """(the number on the card, its link) from the home page."""
    response = client.get(reverse("home"))
    assert response.status_code == 200
    page = response.content.decode()
    link = re.search(rf'<a [^>]*href="([^"]*)"[^>]*data-testid="action-{key}"', page)
    count = re.search(rf'data-testid="count-{key}">(\d+)<', page)
    assert link and count, f"no action item {key}"
    return int(count.group(1)), html.unescape(link.group(1))


def _follow(client, key: str):
    """Open the card's link as the same user: (the number on the card, the list's response)."""
    count, url = _card(client, key)
    response = client.get(url)
    assert response.status_code == 200, url
    return count, response


def _pks(rows) -> set[int]:
    return {row.pk for row in rows}


# ---------------------------------------------------------------------------------------------
# 服务找人


@pytest.fixture
def enrolments(regions):
    """Candidates and stop proposals in our township, next door and in another county, plus
    enrolments of other statuses that neither card counts."""
    from tests import factories

    b = factories.benefit_with_tiers()
    made: dict[str, list[Enrolment]] = {"candidate": [], "review": [], "other": []}
    for code in (VILLAGE, VILLAGE, NEIGHBOUR_VILLAGE, OTHER_COUNTY_VILLAGE):
        made["candidate"].append(factories.enrol(factories.elder_with_account(code), b, status="candidate"))
    for code in (VILLAGE, NEIGHBOUR_VILLAGE, OTHER_COUNTY_VILLAGE):
        stop = factories.enrol(factories.elder_with_account(code), b)
        Enrolment.objects.filter(pk=stop.pk).update(review_reason="deceased")
        made["review"].append(stop)
    made["other"].append(factories.enrol(factories.elder_with_account(VILLAGE), b))  # active, nothing to review
    made["other"].append(factories.enrol(factories.elder_with_account(VILLAGE), b, status="rejected"))
    return made


def test_the_candidates_card_opens_exactly_our_townships_candidates(client, officer, enrolments, frozen):
    client.force_login(officer)
    count, response = _follow(client, "candidates")
    expected = set(Enrolment.objects.filter(status="candidate", region_code__startswith=OUR_TOWNSHIP)
                   .values_list("pk", flat=True))
    assert len(expected) == 2
    assert _pks(response.context["enrolments"]) == expected
    assert response.context["paginator"].count == count == 2


def test_the_stop_proposals_card_opens_exactly_our_townships_review_items(client, officer, enrolments, frozen):
    client.force_login(officer)
    count, response = _follow(client, "stop_proposals")
    expected = {e.pk for e in enrolments["review"] if e.region_code.startswith(OUR_TOWNSHIP)}
    assert len(expected) == 1
    assert _pks(response.context["enrolments"]) == expected
    assert response.context["paginator"].count == count == 1


# ---------------------------------------------------------------------------------------------
# 探访


@pytest.fixture
def visit_world(regions, village_worker, frozen):
    """Overdue, late and future visits in our village (some the village worker's, one someone
    else's), overdue visits next door and in another county, open and closed referrals."""
    from tests.factories import ElderFactory, make_follow_up, make_visit, make_visit_rule
    from visits.services import follow_up_close

    rule = make_visit_rule("T-OURS")
    far_rule = make_visit_rule("T-FAR", jurisdiction=OTHER_COUNTY)

    def elder(code):
        return ElderFactory(region=regions[code], living_arrangement="alone")

    w = village_worker
    v = {
        "overdue_mine": make_visit(elder(VILLAGE), rule, due_on=dt.date(2026, 10, 31), status="overdue", visitor=w),
        "late_mine": make_visit(elder(VILLAGE), rule, due_on=dt.date(2026, 11, 20), visitor=w),  # pending, past due
        "future_mine": make_visit(elder(VILLAGE), rule, due_on=dt.date(2026, 11, 30), visitor=w),
        "done_mine": make_visit(elder(VILLAGE), rule, due_on=dt.date(2026, 10, 31), status="done", visitor=w),
        "overdue_unassigned": make_visit(elder(VILLAGE), rule, due_on=dt.date(2026, 10, 31), status="overdue"),
        "overdue_next_door": make_visit(elder(NEIGHBOUR_VILLAGE), rule, due_on=dt.date(2026, 10, 31), status="overdue"),
        "overdue_far": make_visit(elder(OTHER_COUNTY_VILLAGE), far_rule, due_on=dt.date(2026, 10, 31), status="overdue",
                                  visitor=w),
    }
    open_mine = make_follow_up(v["done_mine"], w)
    closed_mine = make_follow_up(make_visit(elder(VILLAGE), rule, due_on=dt.date(2026, 10, 31), status="done"), w)
    closed_mine = follow_up_close(actor=w, follow_up=closed_mine, note="已办结")
    open_far = make_follow_up(make_visit(elder(OTHER_COUNTY_VILLAGE), far_rule, due_on=dt.date(2026, 10, 31),
                                         status="done"), w)
    return {"visits": v, "follow_ups": {"open_mine": open_mine, "closed_mine": closed_mine, "open_far": open_far}}


def test_the_overdue_card_opens_the_reports_overdue_section_with_exactly_those_visits(
    client, officer, visit_world, frozen
):
    from visits.models import Visit

    client.force_login(officer)
    count, url = _card(client, "overdue_visits")
    assert url.endswith("#overdue")
    response = client.get(url)
    assert 'id="overdue"' in response.content.decode()
    expected = set(Visit.objects.filter(status="overdue", region_code__startswith=OUR_TOWNSHIP).values_list("pk", flat=True))
    assert expected == {visit_world["visits"]["overdue_mine"].pk, visit_world["visits"]["overdue_unassigned"].pk}
    assert _pks(response.context["overdue"]) == expected
    assert response.context["overdue"].paginator.count == count == 2
    assert re.search(r'data-testid="overdue-count">2<', response.content.decode())


def test_the_overdue_section_pages_instead_of_cutting_off(client, officer, regions, frozen, monkeypatch):
    from tests.factories import ElderFactory, make_visit, make_visit_rule
    from visits import views

    monkeypatch.setattr(views, "OVERDUE_PAGE_SIZE", 2)
    rule = make_visit_rule("T-OURS")
    made = {make_visit(ElderFactory(region=regions[VILLAGE]), rule, due_on=dt.date(2026, 10, 31), status="overdue").pk
            for _ in range(3)}
    client.force_login(officer)
    count, url = _card(client, "overdue_visits")
    first = client.get(url)
    second = client.get(url.split("#")[0], {"overdue_page": 2})
    assert count == 3 and first.context["overdue"].paginator.count == 3
    assert _pks(first.context["overdue"]) | _pks(second.context["overdue"]) == made
    assert "overdue_page=2#overdue" in first.content.decode()


def test_the_village_workers_overdue_card_opens_exactly_their_late_visits(client, village_worker, visit_world, frozen):
    client.force_login(village_worker)
    count, response = _follow(client, "overdue_visits")
    v = visit_world["visits"]
    assert _pks(response.context["visits"]) == {v["overdue_mine"].pk, v["late_mine"].pk}
    assert response.context["paginator"].count == count == 2


def test_the_follow_up_card_opens_exactly_the_open_referrals_of_the_area(client, officer, visit_world, frozen):
    client.force_login(officer)
    count, response = _follow(client, "follow_ups")
    assert _pks(response.context["follow_ups"]) == {visit_world["follow_ups"]["open_mine"].pk}
    assert response.context["paginator"].count == count == 1


def test_the_high_risk_card_opens_exactly_the_areas_open_high_risk_referrals(
    client, officer, village_worker, regions, visit_world, frozen
):
    from tests.factories import ElderFactory, make_follow_up, make_visit, make_visit_rule
    from visits.models import VisitRecord
    from visits.services import follow_up_close

    rule, far_rule = make_visit_rule("T-RISK"), make_visit_rule("T-RISK-FAR", jurisdiction=OTHER_COUNTY)
    w = village_worker

    def referral(code, *, risk="low", kind="assessment", rule=rule):
        visit = make_visit(ElderFactory(region=regions[code]), rule, due_on=dt.date(2026, 10, 31), status="done")
        follow_up = make_follow_up(visit, w, kind=kind)
        VisitRecord.objects.filter(pk=follow_up.record_id).update(risk_level=risk)
        return follow_up

    high = referral(VILLAGE, risk="high")
    urgent = referral(VILLAGE, kind="urgent_help")
    referral(VILLAGE, risk="medium")  # open, not high-risk
    follow_up_close(actor=w, follow_up=referral(VILLAGE, risk="high"), note="已送医")  # high-risk, closed
    referral(OTHER_COUNTY_VILLAGE, risk="high", rule=far_rule)  # high-risk, another county
    client.force_login(officer)
    count, response = _follow(client, "high_risk_follow_ups")
    assert _pks(response.context["follow_ups"]) == {high.pk, urgent.pk}
    assert response.context["paginator"].count == count == 2
    assert "仅高风险" not in response.content.decode() and "全部转介" in response.content.decode()
    everything, _ = _card(client, "follow_ups")
    assert everything == 4  # the fixture's open referral, the two high-risk ones and the medium one


# ---------------------------------------------------------------------------------------------
# 能力评估


def test_the_assessments_due_card_opens_exactly_the_countys_elders_due(client, assessor, regions, frozen):
    from tests.factories import ElderFactory

    due = {ElderFactory(region=regions[code], birth_date=dt.date(1950, 1, 1)).pk for code in (VILLAGE, NEIGHBOUR_VILLAGE)}
    ElderFactory(region=regions[VILLAGE], birth_date=dt.date(1970, 1, 1))  # 56: not yet
    ElderFactory(region=regions[VILLAGE], birth_date=dt.date(1950, 1, 1), deceased_on=dt.date(2026, 1, 1))
    ElderFactory(region=regions[OTHER_COUNTY_VILLAGE], birth_date=dt.date(1950, 1, 1))
    client.force_login(assessor)
    count, response = _follow(client, "assessments_due")
    assert _pks(response.context["rows"]) == due
    assert response.context["page_obj"].paginator.count == count == 2


def test_the_awaiting_approval_card_opens_exactly_the_countys_submitted_assessments(client, county_admin, regions, frozen):
    from django.utils import timezone

    from assessments.models import Assessment, Status
    from tests.assessments.helpers import answers_for_total
    from tests.factories import ElderFactory

    def assessment(code, status):
        elder = ElderFactory(region=regions[code], birth_date=dt.date(1950, 1, 1))
        return Assessment.objects.create(
            elder=elder, region_code=elder.region_code, reason="first", assessed_on=dt.date(2026, 11, 20),
            answers=answers_for_total(70), subtotals={}, total_score=70, preliminary_level=1, final_level=1,
            status=status, submitted_at=timezone.now() if status == Status.SUBMITTED else None,
        )

    submitted = {assessment(code, Status.SUBMITTED).pk for code in (VILLAGE, NEIGHBOUR_VILLAGE)}
    assessment(VILLAGE, Status.DRAFT)
    assessment(OTHER_COUNTY_VILLAGE, Status.SUBMITTED)
    client.force_login(county_admin)
    count, response = _follow(client, "assessments_submitted")
    assert _pks(response.context["rows"]) == submitted
    assert response.context["page_obj"].paginator.count == count == 2


# ---------------------------------------------------------------------------------------------
# 补贴发放


@pytest.fixture
def runs(regions):
    """Payroll runs of our county in each status, and runs of another county."""
    from payouts.models import PayrollRun
    from regions.models import Region

    ours, other = Region.objects.get(code=COUNTY), Region.objects.get(code=OTHER_COUNTY)
    made: dict[tuple[str, str], PayrollRun] = {}
    for county in (ours, other):
        for month, status in enumerate(["draft", "submitted", "approved", "exported"], start=1):
            made[(county.code[:6], status)] = PayrollRun.objects.create(
                county=county, county_code=county.code, period=dt.date(2026, month, 1), status=status,
            )
    return made


def test_the_payroll_review_card_opens_exactly_our_countys_submitted_runs(client, finance_reviewer, runs, frozen):
    client.force_login(finance_reviewer)
    count, response = _follow(client, "payroll_review")
    assert _pks(response.context["runs"]) == {runs[(OUR_COUNTY, "submitted")].pk}
    assert response.context["paginator"].count == count == 1
    page = response.content.decode()
    assert 'data-testid="status-filter"' in page and "已提交：共 1 批" in page


def test_the_payroll_draft_card_opens_exactly_our_countys_drafts(client, county_admin, runs, frozen):
    client.force_login(county_admin)
    count, response = _follow(client, "payroll_draft")
    assert _pks(response.context["runs"]) == {runs[(OUR_COUNTY, "draft")].pk}
    assert response.context["paginator"].count == count == 1


def test_a_township_officer_filters_their_countys_runs_by_status(client, officer, runs, frozen):
    """The run list's filter keeps the list's scope: a township sees its county's runs (lines are
    limited elsewhere), never another county's; an unknown status filters nothing."""
    client.force_login(officer)
    url = reverse("payouts:run_list")
    approved = client.get(url, {"status": "approved"})
    assert _pks(approved.context["runs"]) == {runs[(OUR_COUNTY, "approved")].pk}
    everything = client.get(url, {"status": "nonsense"})
    assert _pks(everything.context["runs"]) == {r.pk for (county, _), r in runs.items() if county == OUR_COUNTY}


# ---------------------------------------------------------------------------------------------
# 批量导入


@pytest.fixture
def batches(settings, tmp_path):
    """Our township's batches in every state that matters, next door's and another county's."""
    from django.core.files.base import ContentFile

    from imports.models import ImportBatch

    settings.MEDIA_ROOT = tmp_path / "media"

    def batch(code, status, *, errors=False):
        b = ImportBatch(kind="roll", region_code=code, filename="roll.xlsx", size=10, status=status)
        b.file.save("roll.xlsx", ContentFile(b"PK\x03\x04"), save=False)
        if errors:
            b.error_report.save("errors.xlsx", ContentFile(b"PK\x03\x04"), save=False)
        b.save()
        return b

    return {
        "ready_with_errors": batch(TOWNSHIP, "ready", errors=True),
        "failed": batch(TOWNSHIP, "failed"),
        "ready_clean": batch(TOWNSHIP, "ready"),
        "done_with_errors": batch(TOWNSHIP, "done", errors=True),
        "cancelled_with_errors": batch(TOWNSHIP, "cancelled", errors=True),
        "next_door_failed": batch("610403002000", "failed"),
        "far_ready_with_errors": batch("141002001000", "ready", errors=True),
    }


def test_the_import_errors_card_opens_exactly_the_batches_that_need_the_uploader(client, officer, batches, frozen):
    client.force_login(officer)
    count, response = _follow(client, "import_errors")
    assert _pks(response.context["batches"]) == {batches["ready_with_errors"].pk, batches["failed"].pk}
    assert response.context["paginator"].count == count == 2
    page = response.content.decode()
    assert 'data-testid="status-filter"' in page and "有错误待处理：共 2 批" in page


def test_the_batch_list_filters_by_one_status_within_the_area(client, officer, batches, frozen):
    client.force_login(officer)
    url = reverse("imports:batch_list")
    failed = client.get(url, {"status": "failed"})
    assert _pks(failed.context["batches"]) == {batches["failed"].pk}
    ready = client.get(url, {"status": "ready"})
    assert _pks(ready.context["batches"]) == {batches["ready_with_errors"].pk, batches["ready_clean"].pk}
    assert 'href="?status=ready&amp;page=' not in ready.content.decode()  # one page: no pager
    everything = client.get(url, {"status": "nonsense"})
    assert everything.context["paginator"].count == 5


# ---------------------------------------------------------------------------------------------
# The register and the whole page


def test_the_register_card_opens_the_living_elders_of_the_area(client, officer, county_world, frozen):
    client.force_login(officer)
    page = client.get(reverse("home")).content.decode()
    count = int(re.search(r'data-testid="elder-count">(\d+)<', page).group(1))
    url = html.unescape(re.search(r'<a [^>]*href="([^"]*)"[^>]*data-testid="elder-card"', page).group(1))
    response = client.get(url)
    alive_here = {e.pk for e in county_world if e.region_code.startswith(OUR_TOWNSHIP) and e.deceased_on is None}
    assert _pks(response.context["elders"]) == alive_here
    assert response.context["paginator"].count == count == 5


# Every card the home page can show is followed above; a new card needs a story here too.
COVERED = {
    "candidates", "stop_proposals", "overdue_visits", "follow_ups", "high_risk_follow_ups", "assessments_due",
    "assessments_submitted",
    "payroll_review", "payroll_draft", "import_errors",
}


def test_every_card_of_every_role_has_a_link_story(
    client, county_admin, officer, village_worker, assessor, finance_reviewer, auditor, superuser, frozen
):
    seen: set[str] = set()
    for user in (county_admin, officer, village_worker, assessor, finance_reviewer, auditor, superuser):
        client.force_login(user)
        seen |= {item.key for item in client.get(reverse("home")).context["actions"]}
    assert seen == COVERED
