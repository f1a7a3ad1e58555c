"""Demo data for assessments: a second assessor and a few approved, submitted and draft assessments
of elders in 杨陵街道. Called once at the end of ``manage.py demo``; running it again adds nothing."""

from __future__ import annotations

import datetime as dt
import random
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import transaction
from django.utils import timezone

from registry.public import Elder
from regions import roles
from regions.models import Region, StaffAssignment
from regions.services import sync_user_roles

from . import selectors, services
from .models import Assessment

COUNTY = "610403000000"
TOWNSHIP_PREFIX = "610403001"
SECOND_ASSESSOR = ("assessor2", "评估员二（杨陵区）")

# (days ago, answers profile: probability of the top score, diagnoses, falls in 30 days, final state)
PLAN = [
    (400, 0.95, "", 0, "approved"),  # assessed last year: due again now
    (200, 0.6, "I10", 0, "approved"),
    (120, 0.3, "F03", 2, "approved"),
    (60, 0.1, "", 1, "approved"),
    (5, 0.5, "E11", 0, "submitted"),
    (2, 0.7, "", 0, "submitted"),
    (1, 0.4, "F20", 0, "draft"),
]


def _user(username: str, label: str, password: str) -> Any:
    User = get_user_model()
    user, _ = User.objects.get_or_create(username=username, defaults={"first_name": label})
    user.first_name = label
    user.set_password(password)
    user.save()
    StaffAssignment.objects.get_or_create(
        user=user, region=Region.objects.get(code=COUNTY), role=Group.objects.get(name=roles.ASSESSOR)
    )
    sync_user_roles(user=user)
    return user


def _answers(rng: random.Random, instrument: Any, top: float) -> dict[str, int]:
    out = {}
    for item in instrument.items:
        scores = sorted(item.scores)
        out[item.code] = scores[-1] if rng.random() < top else rng.choice(scores)
    return out


@transaction.atomic
def load_demo(*, password: str, stdout: Any = None, seed: int = 5) -> list[str]:
    """Create the second assessor and, if the township has no assessments yet, a handful of them."""
    second = _user(*SECOND_ASSESSOR, password=password)
    lines = [f"  {second.username:<18} {second.first_name} · 杨陵区"]
    User = get_user_model()
    first = User.objects.filter(username="assessor").first()
    reviewer = User.objects.filter(username="county_admin").first()
    if first is None or reviewer is None or Assessment.objects.in_area(TOWNSHIP_PREFIX).exists():
        return _print(lines, stdout)
    today = timezone.localdate()
    elders = list(
        Elder.objects.in_area(TOWNSHIP_PREFIX).alive().filter(birth_date__lte=dt.date(today.year - 66, 1, 1))
        .order_by("region_code", "name", "id")[: len(PLAN)]
    )
    rng = random.Random(seed)
    instrument = selectors.instrument()
    for elder, (days_ago, top, diagnoses, falls, state) in zip(elders, PLAN):
        assessment = services.assessment_create(
            actor=first, elder=elder,
            data={
                "reason": "first", "assessed_on": today - dt.timedelta(days=days_ago), "place": "老人家中",
                "assessor_1": first, "assessor_2": second, "informant_name": "家属", "informant_relation": "子女",
                "diagnoses": diagnoses, "falls_30d": falls, "answers": _answers(rng, instrument, top),
            },
        )
        if state in ("submitted", "approved"):
            services.assessment_submit(actor=first, assessment=assessment)
        if state == "approved":
            services.assessment_approve(actor=reviewer, assessment=assessment)
    lines.append(f"能力评估：为杨陵街道 {len(elders)} 位老年人生成演示评估（已审核、待审核、草稿）")
    return _print(lines, stdout)


def _print(lines: list[str], stdout: Any) -> list[str]:
    if stdout is not None:
        for line in lines:
            stdout.write(line)
    return lines
