"""Assignment of responsible visitors and who may see what (beyond the authorization matrix)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from tests.conftest import NEIGHBOUR_VILLAGE, OTHER_VILLAGE_SAME_TOWNSHIP, VILLAGE
from tests.factories import ElderFactory, make_visit, make_visit_rule
from visits import services
from visits.models import Visit, VisitorAssignment


D = dt.date


@pytest.fixture
def village_elders(regions):
    rule = make_visit_rule()
    elders = [ElderFactory(region=regions[VILLAGE], name=f"村民{i}", living_arrangement="alone") for i in range(3)]
    for e in elders:
        make_visit(e, rule)
    other = ElderFactory(region=regions[OTHER_VILLAGE_SAME_TOWNSHIP], name="姚安村民", living_arrangement="alone")
    make_visit(other, rule)
    return elders


def test_unassigned_elders_are_listed_by_village(client, officer, village_elders):
    client.force_login(officer)
    response = client.get(reverse("visits:assignments"))
    assert response.status_code == 200
    assert response.context["paginator"].count == 4
    by_village = {v["code"]: v["n"] for v in response.context["by_village"]}
    assert by_village == {VILLAGE: 3, OTHER_VILLAGE_SAME_TOWNSHIP: 1}


def test_the_officer_assigns_a_village_to_its_worker_in_bulk(client, officer, village_worker, village_elders, regions):
    client.force_login(officer)
    response = client.post(reverse("visits:assignments"), {
        "village": regions[VILLAGE].pk, "visitor": village_worker.pk, "kind": "village_worker", "only_unassigned": "on",
    })
    assert response.status_code == 302
    assert VisitorAssignment.objects.filter(visitor=village_worker).count() == 3
    assert set(Visit.objects.filter(elder__in=village_elders).values_list("visitor_id", flat=True)) == {village_worker.pk}
    remaining = client.get(reverse("visits:assignments")).context["by_village"]
    assert [v["code"] for v in remaining] == [OTHER_VILLAGE_SAME_TOWNSHIP]
    client.force_login(village_worker)
    assert "村民0" in client.get(reverse("visits:my_visits")).content.decode()


def test_a_worker_cannot_be_made_visitor_of_a_village_outside_their_area(officer, village_worker, village_elders, regions):
    with pytest.raises(ValidationError, match="辖区不包含"):
        services.visitor_assign_bulk(actor=officer, village=regions[OTHER_VILLAGE_SAME_TOWNSHIP], visitor=village_worker)


def test_an_officer_cannot_assign_in_the_township_next_door(officer, neighbour_officer, regions):
    with pytest.raises(ValidationError, match="不在您的管辖区域内"):
        services.visitor_assign_bulk(actor=officer, village=regions[NEIGHBOUR_VILLAGE], visitor=neighbour_officer)


def test_the_village_worker_may_not_assign(client, village_worker, village_elders, regions):
    client.force_login(village_worker)
    assert client.get(reverse("visits:assignments")).status_code == 403
    assert client.post(reverse("visits:assignments"), {"village": regions[VILLAGE].pk}).status_code == 403


def test_the_auditor_reads_but_cannot_assign_or_close(client, auditor, village_elders, regions):
    client.force_login(auditor)
    page = client.get(reverse("visits:assignments"))
    assert page.status_code == 200 and not page.context["can_assign"]
    assert client.post(reverse("visits:assignments"), {"village": regions[VILLAGE].pk}).status_code == 403


def test_the_nav_link_shows_for_roles_with_visit_permissions(client, village_worker, assessor):
    client.force_login(village_worker)
    assert 'data-testid="nav-visits"' in client.get(reverse("visits:my_visits")).content.decode()
    client.force_login(assessor)
    assert 'data-testid="nav-visits"' not in client.get(reverse("home")).content.decode()
