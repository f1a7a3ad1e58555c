"""Shared builders for the visits tests and the authorization matrix (kinds "visit", "follow_up")."""

from __future__ import annotations

import datetime as dt
import uuid

from django.utils import timezone

from regions.models import Region
from tests.conftest import OTHER_COUNTY_VILLAGE, VILLAGE
from tests.factories import ElderFactory
from visits.models import FollowUp, Visit, VisitRecord, VisitRule

YANGLING = "610403000000"
LINFEN_CITY = "141000000000"


def make_rule(code: str = "T-ALONE", jurisdiction: str = YANGLING, **kw) -> VisitRule:
    values = dict(
        name="独居空巢（每月）", criteria={"living_arrangement": ["alone", "empty_nest"]}, frequency="month", times=1,
        risk_tier="key", modes=["home", "phone", "video"], in_person_monthly=False, effective_from=dt.date(2020, 1, 1),
    )
    values.update(kw)
    rule = VisitRule(jurisdiction=Region.objects.get(code=jurisdiction), code=code, **values)
    rule.full_clean()
    rule.save()
    return rule


def make_visit(elder, rule=None, *, due_on=dt.date(2026, 11, 30), starts_on=None, visitor=None, status="pending") -> Visit:
    rule = rule or make_rule(code=f"R-{elder.region_code[:6]}", jurisdiction=elder.region_code[:6] + "000000")
    return Visit.objects.create(
        elder=elder, rule=rule, region_code=elder.region_code, due_on=due_on,
        starts_on=starts_on or due_on.replace(day=1), visitor=visitor, status=status,
    )


def make_follow_up(visit: Visit, user, kind: str = "assessment") -> FollowUp:
    record = VisitRecord.objects.create(
        visit=visit, elder=visit.elder, region_code=visit.region_code, recorded_by=user,
        visited_at=timezone.now() - dt.timedelta(hours=1), mode="home", idempotency_key=uuid.uuid4(),
    )
    return FollowUp.objects.create(record=record, elder=visit.elder, region_code=visit.region_code, kind=kind, created_by=user)


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
