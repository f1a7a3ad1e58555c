"""Constants of the visits tests and the authorization matrix's visit pairs (kinds "visit", "follow_up");
the visit, rule and follow-up factories are in tests/factories.py."""

from __future__ import annotations

import uuid

from tests.conftest import OTHER_COUNTY_VILLAGE, VILLAGE
from tests.factories import ElderFactory, make_follow_up, make_visit

YANGLING = "610403000000"
LINFEN_CITY = "141000000000"


def matrix_objects(request, kind: str):
    regions = request.getfixturevalue("regions")
    own_elder = ElderFactory(region=regions[VILLAGE], living_arrangement="alone")
    far_elder = ElderFactory(region=regions[OTHER_COUNTY_VILLAGE], living_arrangement="alone")
    own, other = make_visit(own_elder), make_visit(far_elder)
    if kind == "visit":
        return own, other
    from django.contrib.auth import get_user_model

    recorder = get_user_model().objects.create_user(username=f"recorder-{uuid.uuid4().hex[:8]}")
    return make_follow_up(own, recorder), make_follow_up(other, recorder)
