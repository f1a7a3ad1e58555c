from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine

from tests.conftest import TODAY


@pytest.fixture
def frozen():
    """The clerk's day: TODAY at 10:00 in Shanghai."""
    with time_machine.travel(dt.datetime.combine(TODAY, dt.time(10, 0), tzinfo=ZoneInfo("Asia/Shanghai")), tick=False) as t:
        yield t


@pytest.fixture
def county_world(regions):
    """A small, known register: elders in our village, the other village of our township, the
    township next door and another county — with the attributes the charts count."""
    from tests.factories import ElderFactory
    from tests.conftest import NEIGHBOUR_VILLAGE, OTHER_COUNTY_VILLAGE, OTHER_VILLAGE_SAME_TOWNSHIP, VILLAGE

    spec = [
        # region, sex, birth, economic, living, ability, deceased
        (VILLAGE, "F", dt.date(1940, 5, 1), "tekun_home", "alone", 3, None),   # 86
        (VILLAGE, "M", dt.date(1944, 1, 2), "dibao", "empty_nest", 1, None),  # 82
        (VILLAGE, "F", dt.date(1958, 7, 7), "normal", "with_children", None, None),  # 68
        (VILLAGE, "M", dt.date(1930, 1, 1), "normal", "alone", None, dt.date(2025, 1, 1)),  # deceased
        (OTHER_VILLAGE_SAME_TOWNSHIP, "M", dt.date(1950, 3, 3), "tekun_inst", "other", 4, None),  # 76
        (OTHER_VILLAGE_SAME_TOWNSHIP, "F", dt.date(1924, 3, 3), "normal", "left_behind", 2, None),  # 102
        (NEIGHBOUR_VILLAGE, "M", dt.date(1962, 12, 1), "normal", "alone", 0, None),  # 63
        (NEIGHBOUR_VILLAGE, "F", dt.date(1945, 12, 1), "dibao_edge", "empty_nest", None, None),  # 80
        (OTHER_COUNTY_VILLAGE, "F", dt.date(1941, 1, 1), "tekun_home", "alone", 4, None),
    ]
    elders = []
    for code, sex, birth, econ, living, level, deceased in spec:
        elders.append(ElderFactory(
            region=regions[code], sex=sex, birth_date=birth, economic_status=econ, living_arrangement=living,
            ability_level=level, deceased_on=deceased,
        ))
    return elders


@pytest.fixture
def snapshot(frozen):
    """Run the nightly snapshot now (call it after creating the fixtures it should count)."""
    from dashboard.services import snapshot_month

    def run():
        return snapshot_month(period=TODAY)

    return run
