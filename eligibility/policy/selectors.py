"""Read queries of the worklist, the elder page and the exports. Every one starts from visible_to."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import QuerySet
from django.utils import timezone

from ..models import Enrolment

S = Enrolment.Status
TABS = {
    "candidates": "待审核",
    "review": "待复核（停发提示）",
    "automatic": "昨夜自动享受",
}


def worklist(*, user: Any, tab: str, now: dt.datetime | None = None) -> QuerySet:
    """The township's worklist: candidates, review items (stop proposals) or last night's automatic
    enrolments, scoped to the user (narrowed by forms_worklist.WorklistFilterSet)."""
    qs = Enrolment.objects.visible_to(user)
    if tab == "review":
        qs = qs.filter(status__in=[S.ACTIVE, S.SUSPENDED]).exclude(review_reason="")
    elif tab == "automatic":
        since = (now or timezone.now()) - dt.timedelta(hours=36)
        qs = qs.filter(status=S.ACTIVE, source=Enrolment.Source.SWEEP, created_at__gte=since, decided_by__isnull=True)
    else:
        qs = qs.filter(status=S.CANDIDATE)
    return qs.select_related("elder", "benefit", "elder__region").order_by("region_code", "benefit__code", "id")


def worklist_counts(user: Any) -> dict[str, int]:
    qs = Enrolment.objects.visible_to(user)
    return {
        "candidates": qs.filter(status=S.CANDIDATE).count(),
        "review": qs.filter(status__in=[S.ACTIVE, S.SUSPENDED]).exclude(review_reason="").count(),
    }


def enrolment_list(*, user: Any) -> QuerySet:
    """Every enrolment the user may see (the export of the enrolment list, before its filters)."""
    return Enrolment.objects.visible_to(user).select_related("elder", "benefit", "elder__region").order_by(
        "region_code", "benefit__code", "id"
    )


def enrolments_for_elder(*, user: Any, elder: Any) -> list[Enrolment]:
    return list(
        Enrolment.objects.visible_to(user).filter(elder=elder).select_related("benefit", "decided_by")
        .prefetch_related("events__actor").order_by("-status", "benefit__code", "-id")
    )
