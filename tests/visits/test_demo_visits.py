"""The demo hook (visits/demo.py, called at the end of ``manage.py demo``)."""

from __future__ import annotations

from io import StringIO

import pytest

from tests.conftest import VILLAGE
from tests.factories import ElderFactory
from visits.demo import load_demo
from visits.models import Visit, VisitorAssignment


@pytest.mark.usefixtures("frozen")
def test_the_demo_loads_rules_lays_out_visits_and_gives_the_village_worker_their_village(regions, village_worker):
    ElderFactory(region=regions[VILLAGE], living_arrangement="alone")
    ElderFactory(region=regions[VILLAGE], living_arrangement="with_children")
    out = StringIO()
    first = load_demo(stdout=out)
    assert "探访关爱" in out.getvalue()
    assert first["elders"] == 1 and first["assigned"] == 1
    assert VisitorAssignment.objects.get().visitor == village_worker
    assert set(Visit.objects.values_list("visitor_id", flat=True)) == {village_worker.pk}
    again = load_demo()
    assert again["created"] == 0 and Visit.objects.count() == first["created"]
