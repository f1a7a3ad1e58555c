"""The county administrator enters the headcounts the register lacks, in the admin, for their area only."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from dashboard.models import IndicatorTarget, WorkforceCount
from tests.conftest import COUNTY, OTHER_COUNTY

pytestmark = pytest.mark.django_db


def test_county_admin_enters_social_workers_for_the_county(client, county_admin, regions):
    client.force_login(county_admin)
    response = client.post(reverse("admin:dashboard_workforcecount_add"), {
        "kind": "social_workers", "region": regions[COUNTY].pk, "as_of": "2026-11-01", "count": "12",
        "source": "区民政局社工台账",
    })
    assert response.status_code == 302, response.content.decode()[:2000]
    entry = WorkforceCount.objects.get()
    assert (entry.region_code, entry.count, entry.entered_by) == (COUNTY, 12, county_admin)


def test_county_admin_neither_sees_nor_picks_another_countys_entries(client, county_admin, regions):
    WorkforceCount.objects.create(kind="carers", region=regions[OTHER_COUNTY], as_of=dt.date(2026, 1, 1), count=5)
    client.force_login(county_admin)
    assert "5人" not in client.get(reverse("admin:dashboard_workforcecount_changelist")).content.decode()
    response = client.post(reverse("admin:dashboard_workforcecount_add"), {
        "kind": "carers", "region": regions[OTHER_COUNTY].pk, "as_of": "2026-11-01", "count": "3",
    })
    assert response.status_code == 200  # the form refuses a region outside the area
    assert WorkforceCount.objects.count() == 1


def test_officers_cannot_edit_targets_or_headcounts(client, officer):
    client.force_login(officer)
    assert client.get(reverse("admin:dashboard_indicatortarget_changelist")).status_code in (302, 403)


def test_county_admin_changes_only_the_targets_set_for_the_county(client, county_admin):
    own = IndicatorTarget.objects.get(indicator="nursing_beds", jurisdiction_prefix=COUNTY[:6])
    national = IndicatorTarget.objects.get(indicator="nursing_beds", jurisdiction_prefix="")
    client.force_login(county_admin)
    form = {"indicator": "nursing_beds", "jurisdiction_name": "x", "target": "1", "deadline": "2025-12-31",
            "source": "", "note": ""}
    response = client.post(reverse("admin:dashboard_indicatortarget_change", args=[national.pk]),
                           {**form, "jurisdiction_prefix": ""})
    assert response.status_code == 403
    national.refresh_from_db()
    assert national.target == 55  # the national target moves every county: not a county's to change
    response = client.post(reverse("admin:dashboard_indicatortarget_change", args=[own.pk]),
                           {**form, "jurisdiction_prefix": "", "jurisdiction_name": "杨陵区", "target": "65"})
    assert response.status_code == 302, response.content.decode()[:2000]
    own.refresh_from_db()
    assert (own.target, own.jurisdiction_prefix) == (65, COUNTY[:6])  # the jurisdiction stays the county's
