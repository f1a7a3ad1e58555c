"""Facilities fixtures: our township's public 敬老院 with a few beds, and the suite's TODAY."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine

from facilities import services
from tests.conftest import TODAY, VILLAGE


@pytest.fixture
def today():
    with time_machine.travel(dt.datetime.combine(TODAY, dt.time(10, 0), tzinfo=ZoneInfo("Asia/Shanghai")), tick=False):
        yield TODAY


@pytest.fixture
def facility(regions, county_admin):
    return services.facility_create(actor=county_admin, data={
        "name": "杨陵街道敬老院", "kind": "tekun", "ownership": "public", "region": regions[VILLAGE],
        "fire_approved": True, "fire_approved_on": dt.date(2024, 3, 1), "accepted_residents": ["tekun", "able"],
    })


@pytest.fixture
def beds(facility, county_admin):
    """Room 201: two nursing beds; room 202: one ordinary bed."""
    made = services.bed_create(actor=county_admin, facility=facility, room="201", kind="nursing", count=2)
    made += services.bed_create(actor=county_admin, facility=facility, room="202", kind="normal", count=1)
    return made
