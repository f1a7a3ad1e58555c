"""Rule compiler: a rule's criteria → one Django ``Q`` over ``Elder`` (docs/contributing.md rule 3: pure, no writes).

Age bands become birth-date ranges (``registry.birth_date_bounds_for_age``), so every criterion is an
index-friendly comparison on a column and the sweep stays set-based. ``reference.py`` evaluates the
same criteria in plain Python; a hypothesis test keeps the two in agreement.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import Q

from registry import public as registry

from . import periods
from .vocabulary import INCLUSIVE_RANGES, SETS, validate

# Birth dates outside this window are data errors: reported by the sweep, never matched.
EARLIEST_BIRTH = registry.EARLIEST_BIRTH


def _age_q(bounds: dict[str, int | None], on: dt.date, prefix: str) -> Q:
    earliest, latest = registry.birth_date_bounds_for_age(bounds.get("min"), bounds.get("max"), on)
    q = Q()
    if latest is not None:
        q &= Q(**{f"{prefix}birth_date__lte": latest})
    if earliest is not None:
        q &= Q(**{f"{prefix}birth_date__gte": earliest})
    return q


def _range_q(field: str, bounds: dict[str, int | None]) -> Q:
    q = Q(**{f"{field}__isnull": False})
    if bounds.get("min") is not None:
        q &= Q(**{f"{field}__gte": bounds["min"]})
    if bounds.get("max") is not None:
        q &= Q(**{f"{field}__lte": bounds["max"]})
    return q


def compile_criteria(criteria: Any, *, period: dt.date, start: str = "next_month", prefix: str = "") -> Q:
    """The ``Q`` selecting elders who meet ``criteria`` for the month ``period`` (its 1st day).

    Raises ``vocabulary.CriteriaError`` for criteria that cannot be compiled. ``prefix`` lets the
    same rule filter a related model (``"elder__"``).
    """
    c = validate(criteria)
    on = periods.age_reference_day(period, start)
    p = prefix
    q = Q()
    if "age" in c:
        q &= _age_q(c["age"], on, p)
    if "age_male" in c or "age_female" in c:
        by_sex = Q(pk__in=[])
        for sex, key in (("M", "age_male"), ("F", "age_female")):
            if key in c:
                by_sex |= Q(**{f"{p}sex": sex}) & _age_q(c[key], on, p)
        q &= by_sex
    if "economic_status" in c:
        q &= (
            Q(**{f"{p}economic_status__in": c["economic_status"]})
            & (Q(**{f"{p}economic_status_from__isnull": True}) | Q(**{f"{p}economic_status_from__lte": period}))
            & (Q(**{f"{p}economic_status_to__isnull": True}) | Q(**{f"{p}economic_status_to__gte": period}))
        )
    for key in INCLUSIVE_RANGES:
        if key in c:
            q &= _range_q(f"{p}{key}", c[key])
    for key, (field, _allowed) in SETS.items():
        if key in c and key != "economic_status":
            q &= Q(**{f"{p}{field}__in": c[key]})
    if "ability_assessed" in c:
        q &= Q(**{f"{p}ability_level__isnull": not c["ability_assessed"]})
    if "assessment_due" in c:
        due = Q(**{f"{p}ability_level__isnull": True}) | Q(**{f"{p}assessment_due_on__lte": period})
        # Spelled out rather than ~due: NOT over a nullable date is where SQL's NULL logic bites.
        not_due = Q(**{f"{p}ability_level__isnull": False}) & (
            Q(**{f"{p}assessment_due_on__isnull": True}) | Q(**{f"{p}assessment_due_on__gt": period})
        )
        q &= due if c["assessment_due"] else not_due
    if "has_disability" in c:
        q &= Q(**{f"{p}disability_grade__isnull": not c["has_disability"]})
    if "local_hukou" in c:
        q &= Q(**{f"{p}local_hukou": c["local_hukou"]})
    if "hukou_type" in c:
        q &= Q(**{f"{p}hukou_type": c["hukou_type"]})
    return q


def population_q(period: dt.date, *, prefix: str = "") -> Q:
    """Elders who can receive anything for ``period``: alive and not moved out before it, with a
    plausible birth date (an impossible one is a data error the sweep reports)."""
    p = prefix
    return (
        (Q(**{f"{p}deceased_on__isnull": True}) | Q(**{f"{p}deceased_on__gte": period}))
        & (Q(**{f"{p}moved_out_on__isnull": True}) | Q(**{f"{p}moved_out_on__gte": period}))
        & valid_birth_q(period, prefix=prefix)
    )


def valid_birth_q(period: dt.date, *, prefix: str = "") -> Q:
    return Q(**{f"{prefix}birth_date__gte": EARLIEST_BIRTH, f"{prefix}birth_date__lt": period})
