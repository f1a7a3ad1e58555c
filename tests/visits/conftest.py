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
