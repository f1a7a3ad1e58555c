"""The staff lists after django-filter (core/filters.py, core/views.py, templates/includes/pagination.html):
what a clerk notices when a bookmark carries a value the list does not know, and the pager's links."""

from __future__ import annotations

import datetime as dt
from io import StringIO

import pytest
from django.core.management import call_command
from django.urls import reverse

from eligibility.policy.sweep import sweep
from imports.models import ImportBatch
from tests.conftest import COUNTY, VILLAGE
from tests.factories import ElderFactory


def test_an_unknown_filter_value_on_the_elder_list_shows_the_living_elders_not_an_error(client, officer, regions):
    ElderFactory(region=regions[VILLAGE], name="李存在")
    ElderFactory(region=regions[VILLAGE], name="赵已故", deceased_on=dt.date(2026, 1, 5))
    client.force_login(officer)

    for bad in ({"age_band": "200+"}, {"ability_level": "9"}, {"vital": "zombie"}, {"flag": "x", "vital": "deceased"}):
        response = client.get(reverse("eligibility:elder_list"), bad)
        html = response.content.decode()
        assert response.status_code == 200, bad
        assert "李存在" in html and "赵已故" not in html, bad


def test_a_month_that_does_not_exist_on_the_worklist_is_ignored_instead_of_failing(client, officer, regions):
    call_command("load_policy", "yangling", stdout=StringIO())
    ElderFactory(region=regions[VILLAGE], name="张桂英", birth_date=dt.date(1950, 3, 15), economic_status="dibao",
                 ability_level=3)
    sweep(dt.date(2026, 11, 25), COUNTY)
    client.force_login(officer)

    page = client.get(reverse("eligibility:worklist"), {"period": "2026-13"})
    export = client.get(reverse("eligibility:enrolment_export"), {"period": "2026-13", "format": "csv"})

    assert page.status_code == 200 and "张桂英" in page.content.decode()
    assert export.status_code == 200 and "张桂英" in export.content.decode("utf-8-sig")


def test_the_pager_keeps_the_status_filter_of_the_import_list(client, officer, settings):
    settings.LIST_PAGE_SIZE = 2
    for n in range(3):
        ImportBatch.objects.create(kind="roll", filename=f"roll{n}.xlsx", region_code=VILLAGE, status="failed",
                                   uploaded_by=officer)
    ImportBatch.objects.create(kind="roll", filename="ok.xlsx", region_code=VILLAGE, status="done", uploaded_by=officer)
    client.force_login(officer)

    first = client.get(reverse("imports:batch_list"), {"status": "failed"}).content.decode()
    second = client.get(reverse("imports:batch_list"), {"status": "failed", "page": 2}).content.decode()

    assert 'href="?status=failed&amp;page=2"' in first
    assert "roll" in second and "ok.xlsx" not in first + second


@pytest.mark.parametrize("query", [{"status": "closed", "risk": "nonsense"}, {"status": "closed"}])
def test_an_unknown_risk_value_on_the_referral_list_keeps_the_status_asked_for(client, officer, regions, query):
    client.force_login(officer)
    response = client.get(reverse("visits:follow_ups"), query)
    heading = response.content.decode().split("<h1")[1].split("</h1>")[0]
    assert response.status_code == 200
    assert "已办结" in heading and "高风险" not in heading
