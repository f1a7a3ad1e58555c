"""The newcomer's demo: one command gives real regions, a user per role and synthetic elders."""

from __future__ import annotations

from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.urls import reverse

from registry.models import Elder
from registry.rules import parse_id_number
from regions.roles import ROLE_NAMES


@pytest.mark.django_db
def test_demo_loads_users_for_every_role_and_elders_in_yangling(client):
    out = StringIO()
    call_command("demo", elders=120, password="demo-password-for-tests", stdout=out)
    text = out.getvalue()
    assert "township_officer" in text and "demo-password-for-tests" in text
    elders = Elder.objects.in_area("610403")
    assert elders.count() == 120
    for elder in elders[:30]:
        parsed = parse_id_number(elder.id_number)
        assert (parsed.birth_date, parsed.sex) == (elder.birth_date, elder.sex)
        assert elder.age_on(elder.created_at.date()) >= 60
    users = get_user_model().objects.filter(assignments__isnull=False).distinct()
    assert {g for u in users for g in u.groups.values_list("name", flat=True)} == set(ROLE_NAMES)

    # the printed credentials work, and the officer sees only 杨陵街道
    response = client.post(
        reverse("login"), {"username": "township_officer", "password": "demo-password-for-tests"}, follow=True
    )
    assert response.wsgi_request.user.username == "township_officer"
    response = client.get(reverse("eligibility:elder_list"))
    expected = Elder.objects.in_area("610403001").alive().count()
    assert f"共 {expected} 人" in response.content.decode()


@pytest.mark.django_db
def test_demo_can_run_twice_without_duplicating_anything():
    call_command("demo", elders=40, stdout=StringIO())
    call_command("demo", elders=40, stdout=StringIO())
    assert Elder.objects.in_area("610403").count() == 40
