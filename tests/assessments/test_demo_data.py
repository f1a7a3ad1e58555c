"""The demo includes assessments: a second assessor and approved, submitted and draft ones."""

from __future__ import annotations

from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command

from assessments.demo import load_demo
from assessments.models import Assessment, Status


@pytest.mark.django_db
def test_the_demo_creates_assessments_once():
    out = StringIO()
    call_command("demo", elders=150, password="demo-password-for-tests", stdout=out)
    assert "assessor2" in out.getvalue()
    assert get_user_model().objects.get(username="assessor2").groups.filter(name="评估员").exists()
    statuses = set(Assessment.objects.values_list("status", flat=True))
    assert statuses == {Status.APPROVED, Status.SUBMITTED, Status.DRAFT}
    for a in Assessment.objects.filter(status=Status.APPROVED).select_related("elder"):
        assert a.approved_by.username == "county_admin"
    count = Assessment.objects.count()
    load_demo(password="demo-password-for-tests")
    assert Assessment.objects.count() == count
