"""Read queries about assessments that views, the demo and the sweep share."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.contrib.auth import get_user_model
from django.db.models import Exists, OuterRef, Prefetch, Q, QuerySet, Subquery

from registry.public import Elder, birth_date_bounds_for_age
from regions import roles
from regions.models import StaffAssignment
from regions.rules import LEVEL_PREFIX_LENGTH

from . import rules
from .models import Assessment, AssessmentPolicy, Indicator, Option, ReassessmentRequest, Standard, Status

DEFAULT_INTERVAL_MONTHS = 12
ASSESSMENT_MIN_AGE = 65  # 65+ without a valid assessment are offered one (issue 5 §5)
DUE_SOON_DAYS = 30


def instrument(standard: str = rules.GBT_42195_2022) -> rules.Instrument:
    """The pure description of a standard (for scoring), read from the instrument tables."""
    indicators = list(
        Indicator.objects.filter(standard=standard).order_by("position").prefetch_related("items__options")
    )
    return rules.Instrument(
        standard=standard,
        indicators=tuple(rules.IndicatorSpec(i.code, i.name, i.max_score) for i in indicators),
        items=tuple(
            rules.ItemSpec(item.code, ind.code, item.name, frozenset(o.score for o in item.options.all()))
            for ind in indicators
            for item in ind.items.all()
        ),
    )


def instrument_sections(standard: str = rules.GBT_42195_2022) -> list[Indicator]:
    """Indicators in the standard's order with their items and options prefetched (form, printout)."""
    return list(
        Indicator.objects.filter(standard=standard)
        .order_by("position")
        .prefetch_related(Prefetch("items__options", queryset=Option.objects.order_by("-score")))
    )


def interval_months_for(region_code: str) -> int:
    """The county's routine interval; 12 months where the county has not set one."""
    county = region_code[: LEVEL_PREFIX_LENGTH["county"]].ljust(12, "0")
    policy = AssessmentPolicy.objects.filter(region_code=county).first()
    return policy.interval_months if policy else DEFAULT_INTERVAL_MONTHS


def _ancestor_codes(region_code: str) -> list[str]:
    """The padded codes of every region that contains this 12-digit code (itself included)."""
    return [region_code[:n].ljust(12, "0") for n in LEVEL_PREFIX_LENGTH.values()]


def assessors_for(region_code: str) -> QuerySet:
    """Active users holding an active (approved) assessor grant in an area that contains this code."""
    assignments = StaffAssignment.objects.active().filter(
        region_code__in=_ancestor_codes(region_code), role__name=roles.ASSESSOR, user=OuterRef("pk")
    )
    return (
        get_user_model().objects.filter(is_active=True).filter(Exists(assignments)).order_by("first_name", "username")
    )


def is_assessor_for(user: Any, region_code: str) -> bool:
    return user is not None and assessors_for(region_code).filter(pk=user.pk).exists()


def _elders(qs_or_user: Any) -> QuerySet:
    if isinstance(qs_or_user, QuerySet):
        return qs_or_user
    return Elder.objects.visible_to(qs_or_user)


def latest_valid_assessment() -> QuerySet:
    """The approved GB/T 42195-2022 assessments of the outer elder (``OuterRef("pk")``), latest
    first. The first one is the elder's valid assessment and its ``next_due_on`` is the elder's due
    date — the one definition the due lists, the copy on ``Elder.assessment_due_on`` and so the
    sweep share. MZ/T 039-2013 results and drafts never count."""
    return Assessment.objects.filter(
        elder=OuterRef("pk"), status=Status.APPROVED, standard=Standard.GBT_42195_2022
    ).order_by("-assessed_on", "-approved_at", "-pk")


def due_on_subquery() -> Subquery:
    """An expression over ``Elder``: the elder's assessment due date (None: no valid assessment)."""
    return Subquery(latest_valid_assessment().values("next_due_on")[:1])


def assessment_due_dates(elder_ids: list[int]) -> dict[int, dt.date | None]:
    """Each elder's assessment due date (None: no valid assessment), in one query; what the
    assessments app copies to ``Elder.assessment_due_on`` after approving or importing results."""
    rows = Elder.objects.filter(pk__in=elder_ids).annotate(_due_on=due_on_subquery()).values_list("pk", "_due_on")
    return dict(rows)


def with_assessment_status(elders: QuerySet) -> QuerySet:
    """Annotate elders with the latest approved GB/T result: level, date, due date (``next_due_on``,
    the live value that ``Elder.assessment_due_on`` copies); and open requests."""
    latest = latest_valid_assessment()
    return elders.annotate(
        last_assessed_on=Subquery(latest.values("assessed_on")[:1]),
        next_due_on=due_on_subquery(),
        has_valid_assessment=Exists(latest),
        immediate_requested=Exists(
            ReassessmentRequest.objects.filter(elder=OuterRef("pk"), fulfilled_by__isnull=True)
        ),
    )


def elders_due_for_assessment(qs_or_user: Any, as_of: dt.date) -> QuerySet:
    """Elders (living, not moved out, 65+ on ``as_of``) to be offered an assessment: without an
    approved GB/T 42195-2022 assessment, or whose latest one fell due on or before ``as_of``, or with
    an open immediate-reassessment request. Set-based (one SQL statement); the sweep may call it
    with ``Elder.objects.in_area(prefix)``, views with the user. MZ/T 039-2013 results do not count.
    """
    _, latest_birth = birth_date_bounds_for_age(ASSESSMENT_MIN_AGE, None, as_of)
    elders = _elders(qs_or_user).filter(deceased_on__isnull=True).filter(
        Q(moved_out_on__isnull=True) | Q(moved_out_on__gt=as_of)
    )
    if latest_birth is not None:
        elders = elders.filter(birth_date__lte=latest_birth)
    return with_assessment_status(elders).filter(
        Q(has_valid_assessment=False) | Q(next_due_on__lte=as_of) | Q(immediate_requested=True)
    )


def elders_due_soon(qs_or_user: Any, as_of: dt.date, days: int = DUE_SOON_DAYS) -> QuerySet:
    """Elders whose latest approved assessment falls due in the next ``days`` days (not yet due)."""
    elders = _elders(qs_or_user).filter(deceased_on__isnull=True)
    return with_assessment_status(elders).filter(
        next_due_on__gt=as_of, next_due_on__lte=as_of + dt.timedelta(days=days)
    )


def assessments_for(user: Any) -> QuerySet:
    return Assessment.objects.visible_to(user).select_related("elder", "elder__region", "assessor_1", "assessor_2")


def awaiting_approval(user: Any) -> QuerySet:
    return assessments_for(user).filter(status=Status.SUBMITTED).order_by("submitted_at", "pk")


def drafts(user: Any) -> QuerySet:
    return assessments_for(user).filter(status=Status.DRAFT).order_by("-updated_at", "-pk")


def elder_history(user: Any, elder: Elder) -> list[Assessment]:
    """All of an elder's assessments the user may see, newest first."""
    return list(
        assessments_for(user).filter(elder=elder).select_related("approved_by").order_by("-assessed_on", "-pk")
    )


def open_request(elder: Elder) -> ReassessmentRequest | None:
    return ReassessmentRequest.objects.filter(elder=elder, fulfilled_by__isnull=True).first()


@dataclass
class TrendPoint:
    x: float
    y: float
    label: str


def level_trend(history: list[Assessment], width: int = 240, height: int = 60) -> list[TrendPoint]:
    """Points of an inline SVG line of the approved final levels, oldest left, 完全失能 at the bottom."""
    approved = [a for a in reversed(history) if a.status == Status.APPROVED and a.final_level is not None]
    if not approved:
        return []
    n = len(approved)
    return [
        TrendPoint(
            x=round(width / 2 if n == 1 else 8 + i * (width - 16) / (n - 1), 1),
            y=round(8 + (a.final_level or 0) * (height - 16) / 4, 1),
            label=f"{a.assessed_on:%Y-%m-%d} {rules.level_label(a.final_level)}",
        )
        for i, a in enumerate(approved)
    ]
