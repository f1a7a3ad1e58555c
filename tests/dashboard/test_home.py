"""工作台: each role sees the to-do counts of its own area that it may act on, linked to the list."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.urls import reverse

from eligibility.models import Enrolment
from tests.conftest import OTHER_COUNTY_VILLAGE, VILLAGE

pytestmark = pytest.mark.django_db


def _count(response, key: str) -> int:
    match = re.search(rf'data-testid="count-{key}">(\d+)<', response.content.decode())
    assert match, f"no action item {key}"
    return int(match.group(1))


def _keys(response) -> set[str]:
    return {item.key for item in response.context["actions"]}


@pytest.fixture
def worklist(regions):
    """Two candidates and one stop proposal in our village; one candidate in another county."""
    from tests import factories

    b = factories.benefit_with_tiers()
    for code in (VILLAGE, VILLAGE, OTHER_COUNTY_VILLAGE):
        factories.enrol(factories.elder_with_account(code), b, status="candidate")
    stop = factories.enrol(factories.elder_with_account(VILLAGE), b)
    Enrolment.objects.filter(pk=stop.pk).update(review_reason="deceased")
    return b


def test_the_officer_sees_candidates_and_stop_proposals_of_the_township(client, officer, worklist, frozen):
    client.force_login(officer)
    response = client.get(reverse("home"))
    assert _count(response, "candidates") == Enrolment.objects.filter(status="candidate", region_code__startswith="610403001").count() == 2
    assert _count(response, "stop_proposals") == 1
    html = response.content.decode()
    assert reverse("eligibility:worklist") + "?tab=candidates" in html
    assert reverse("eligibility:worklist") + "?tab=review" in html


def test_overdue_visits_and_open_follow_ups_of_the_area(client, officer, regions, frozen):
    from tests.factories import ElderFactory, make_follow_up, make_visit

    mine = ElderFactory(region=regions[VILLAGE], living_arrangement="alone")
    far = ElderFactory(region=regions[OTHER_COUNTY_VILLAGE], living_arrangement="alone")
    rule = make_visit(mine, due_on=dt.date(2026, 10, 31), status="overdue").rule
    make_visit(far, due_on=dt.date(2026, 10, 31), status="overdue")
    make_follow_up(make_visit(mine, rule=rule, status="done"), officer)
    client.force_login(officer)
    response = client.get(reverse("home"))
    assert _count(response, "overdue_visits") == 1
    assert _count(response, "follow_ups") == 1


def test_each_role_sees_only_what_it_may_act_on(client, village_worker, assessor, finance_reviewer, county_admin, frozen):
    client.force_login(village_worker)
    assert _keys(client.get(reverse("home"))) == {"overdue_visits"}
    client.force_login(assessor)
    assert _keys(client.get(reverse("home"))) == {"assessments_due"}
    client.force_login(finance_reviewer)
    keys = _keys(client.get(reverse("home")))
    assert "payroll_review" in keys and not keys & {"candidates", "overdue_visits", "assessments_due", "payroll_draft"}
    client.force_login(county_admin)
    keys = _keys(client.get(reverse("home")))
    assert {"candidates", "stop_proposals", "assessments_submitted", "payroll_draft", "import_errors"} <= keys
    assert "assessments_due" not in keys and "payroll_review" not in keys


def test_assessments_due_count_the_assessors_area(client, assessor, regions, frozen):
    from assessments import selectors

    from tests.factories import ElderFactory

    ElderFactory(region=regions[VILLAGE], birth_date=dt.date(1950, 1, 1))
    ElderFactory(region=regions[OTHER_COUNTY_VILLAGE], birth_date=dt.date(1950, 1, 1))
    client.force_login(assessor)
    response = client.get(reverse("home"))
    assert _count(response, "assessments_due") == selectors.elders_due_for_assessment(assessor, dt.date(2026, 11, 25)).count() == 1


def test_a_submitted_payroll_run_waits_for_the_finance_reviewer(client, finance_reviewer, regions, frozen):
    from payouts.models import PayrollRun
    from regions.models import Region

    county = Region.objects.get(code="610403000000")
    PayrollRun.objects.create(county=county, county_code=county.code, period=dt.date(2026, 12, 1), status="submitted")
    other = Region.objects.get(code="141002000000")
    PayrollRun.objects.create(county=other, county_code=other.code, period=dt.date(2026, 12, 1), status="submitted")
    client.force_login(finance_reviewer)
    assert _count(client.get(reverse("home")), "payroll_review") == 1


def test_imports_with_errors_are_counted(client, officer, settings, tmp_path, frozen):
    from imports.models import ImportBatch
    from tests.imports.helpers import matrix_batches

    own, other = matrix_batches(settings, tmp_path)
    ImportBatch.objects.filter(pk__in=[own.pk, other.pk]).update(status="failed")
    client.force_login(officer)
    response = client.get(reverse("home"))
    assert _count(response, "import_errors") == 1


def test_a_user_without_a_role_sees_a_friendly_empty_state(client, unassigned, frozen):
    client.force_login(unassigned)
    response = client.get(reverse("home"))
    assert response.status_code == 200 and "没有待办事项" in response.content.decode()


def test_the_superuser_home_leaves_out_the_register_wide_assessment_count(client, superuser, frozen):
    client.force_login(superuser)
    keys = _keys(client.get(reverse("home")))
    assert "assessments_due" not in keys and "assessments_submitted" in keys
