from __future__ import annotations

import pytest

from regions import roles
from tests.conftest import COUNTY, NEIGHBOUR_TOWNSHIP, OTHER_COUNTY, make_staff


@pytest.fixture
def assessor2(regions):
    """The second assessor of the county (the standard requires two)."""
    return make_staff("assessor2", roles.ASSESSOR, COUNTY, first_name="李评估")


@pytest.fixture
def township_assessor_next_door(regions):
    return make_staff("assessor_litai", roles.ASSESSOR, NEIGHBOUR_TOWNSHIP)


@pytest.fixture
def far_assessor(regions):
    return make_staff("assessor_far", roles.ASSESSOR, OTHER_COUNTY)
