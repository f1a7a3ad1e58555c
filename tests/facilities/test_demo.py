"""The demo's facilities: three in 杨陵区, residents and a waitlist, the demo manager granted one."""

from __future__ import annotations

import datetime as dt

from facilities import selectors
from facilities.demo import load_demo
from facilities.models import Admission, Facility, WaitlistApplication
from tests.conftest import VILLAGE
from tests.factories import ElderFactory


def test_the_demo_creates_facilities_once_and_grants_the_manager_one(regions, facility_manager):
    for i in range(12):
        ElderFactory(region=regions[VILLAGE], economic_status="tekun_home" if i % 3 == 0 else "dibao")
    line = load_demo(today=dt.date(2026, 11, 25))
    assert line.startswith("养老机构：3 家")
    assert Facility.objects.count() == 3 and Admission.objects.count() == 4
    assert WaitlistApplication.objects.count() == 5
    assert [f.name for f in selectors.facilities_for(facility_manager)] == ["杨陵区社会福利院"]
    assert load_demo(today=dt.date(2026, 11, 25)) == "养老机构：已存在，未重复创建"
    assert Facility.objects.count() == 3
