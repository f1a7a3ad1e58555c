"""Read queries of visits and care shared by pages, exports and reports (all scoped)."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Exists, OuterRef, Q, QuerySet

from registry.public import Elder
from regions.models import Region

from . import rules
from .models import FollowUp, RiskLevel, Visit, VisitRecord
from .services import OPEN, in_scope_q

S = Visit.Status


def my_visits(user: Any, tab: str, today: dt.date) -> QuerySet:
    """The visitor's own open visits: due today, due this week, overdue, or every open one."""
    qs = Visit.objects.visible_to(user).filter(visitor=user).select_related("elder", "rule")
    if tab == "today":
        qs = qs.filter(status=S.PENDING, starts_on__lte=today, due_on=today)
    elif tab == "week":
        _, sunday = rules.period_bounds(rules.WEEK, today)
        qs = qs.filter(status=S.PENDING, starts_on__lte=sunday, due_on__gte=today, due_on__lte=sunday)
    elif tab == "overdue":
        qs = qs.filter(Q(status=S.OVERDUE) | Q(status=S.PENDING, due_on__lt=today))
    else:
        qs = qs.filter(status__in=OPEN, starts_on__lte=today)
    return qs.order_by("due_on", "elder__name", "pk")


def my_visit_counts(user: Any, today: dt.date) -> dict[str, int]:
    return {tab: my_visits(user, tab, today).count() for tab in ("today", "week", "overdue", "open")}


def unassigned_elders(user: Any) -> QuerySet:
    """Elders in the user's area who have open visits but no responsible visitor."""
    open_visit = Visit.objects.filter(elder_id=OuterRef("pk"), status__in=OPEN)
    return (
        Elder.objects.visible_to(user)
        .filter(in_scope_q(), visitor_assignment__isnull=True)
        .filter(Exists(open_visit))
        .select_related("region")
        .order_by("region_code", "name", "pk")
    )


def unassigned_by_village(user: Any) -> list[dict[str, Any]]:
    rows = unassigned_elders(user).values("region_code").annotate(n=Count("pk")).order_by("region_code")
    names = dict(Region.objects.filter(code__in=[r["region_code"] for r in rows]).values_list("code", "name"))
    return [{"code": r["region_code"], "name": names.get(r["region_code"], r["region_code"]), "n": r["n"]} for r in rows]


def high_risk_q() -> Q:
    """A referral is high-risk when the visit found high risk or it asks for emergency help."""
    return Q(record__risk_level=RiskLevel.HIGH) | Q(kind=FollowUp.Kind.URGENT_HELP)


def open_follow_ups(user: Any, status: str = "open", *, high_risk: bool = False) -> QuerySet:
    qs = FollowUp.objects.visible_to(user).filter(status=status)
    if high_risk:
        qs = qs.filter(high_risk_q())
    return qs.select_related("elder", "elder__region", "created_by", "record").order_by("created_at", "pk")


# ---------------------------------------------------------------------------------------------
# Reports


@dataclass
class RateRow:
    code: str
    name: str
    in_scope: int
    visited: int

    @property
    def rate(self) -> float | None:
        return rules.visit_rate(self.visited, self.in_scope)


def _month_bounds(month: dt.date) -> tuple[dt.date, dt.date]:
    return rules.month_start(month), rules.month_end(month)


def _scope_of(visits: QuerySet, month: dt.date) -> QuerySet:
    first, last = _month_bounds(month)
    return visits.exclude(status=S.CANCELLED).filter(starts_on__lte=last, due_on__gte=first)


def scope_visits(user: Any, month: dt.date) -> QuerySet:
    """Visits (not cancelled) whose window overlaps the month: their elders are the month's scope."""
    return _scope_of(Visit.objects.visible_to(user), month)


def _rate_by_village(visits: QuerySet, records: QuerySet, month: dt.date) -> dict[str, tuple[int, int]]:
    """月探访率 = distinct elders visited in the month ÷ elders in scope (docs/domain.md §7); a visit counts
    only for an elder who is in the month's scope. ``visits`` and ``records`` are already limited to
    the area (a user's, or a batch job's prefix)."""
    first, last = _month_bounds(month)
    scope = _scope_of(visits, month)
    in_scope = dict(scope.values("region_code").annotate(n=Count("elder", distinct=True)).values_list("region_code", "n"))
    visited = dict(
        records
        .filter(visited_at__date__gte=first, visited_at__date__lte=last)
        .filter(Exists(scope.filter(elder_id=OuterRef("elder_id"))))
        .values("region_code").annotate(n=Count("elder", distinct=True)).values_list("region_code", "n")
    )
    return {code: (n, visited.get(code, 0)) for code, n in in_scope.items()}


def visit_rate_by_village(user: Any, month: dt.date) -> dict[str, tuple[int, int]]:
    """{village code: (elders in scope, distinct elders visited)} for the month in the user's area:
    two aggregate queries."""
    return _rate_by_village(Visit.objects.visible_to(user), VisitRecord.objects.visible_to(user), month)


def visit_rate_by_village_in_area(prefix: str, month: dt.date) -> dict[str, tuple[int, int]]:
    """The same figures for a batch job acting for an area (``prefix``; "" is the whole register),
    e.g. the nightly statistics snapshot. Unscoped by user (``.in_area``): not for views."""
    return _rate_by_village(Visit.objects.in_area(prefix), VisitRecord.objects.in_area(prefix), month)


def visit_rate_report(user: Any, month: dt.date) -> dict[str, Any]:
    """Village rows, township rows (summed from their villages: an elder lives in one village) and the total."""
    by_village = visit_rate_by_village(user, month)
    towns: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for code, (n, v) in by_village.items():
        towns[code[:9] + "000"][0] += n
        towns[code[:9] + "000"][1] += v
    names = dict(Region.objects.filter(code__in=[*by_village, *towns]).values_list("code", "name"))
    villages = [RateRow(c, names.get(c, c), n, v) for c, (n, v) in sorted(by_village.items())]
    townships = [RateRow(c, names.get(c, c), n, v) for c, (n, v) in sorted(towns.items())]
    total = RateRow("", "合计", sum(r.in_scope for r in villages), sum(r.visited for r in villages))
    return {"villages": villages, "townships": townships, "total": total}


def rate_history(user: Any, month: dt.date, months: int = 12) -> list[dict[str, Any]]:
    """The overall rate for each of the last ``months`` months up to ``month`` (oldest first)."""
    out = []
    for k in range(months - 1, -1, -1):
        m = rules.add_months(month, -k)
        rows = visit_rate_by_village(user, m)
        n = sum(a for a, _ in rows.values())
        v = sum(b for _, b in rows.values())
        out.append({"month": m, "label": f"{m:%Y-%m}", "in_scope": n, "visited": v, "rate": rules.visit_rate(v, n)})
    return out


def overdue_visits(user: Any) -> QuerySet:
    return (
        Visit.objects.visible_to(user).filter(status=S.OVERDUE)
        .select_related("elder", "elder__region", "rule", "visitor").order_by("due_on", "region_code", "pk")
    )


def high_risk_records(user: Any, month: dt.date) -> QuerySet:
    first, last = _month_bounds(month)
    return (
        VisitRecord.objects.visible_to(user)
        .filter(risk_level=RiskLevel.HIGH, visited_at__date__gte=first, visited_at__date__lte=last)
        .select_related("elder", "elder__region", "recorded_by").order_by("-visited_at", "pk")
    )


def visits_per_visitor(user: Any, month: dt.date) -> list[dict[str, Any]]:
    first, last = _month_bounds(month)
    return list(
        VisitRecord.objects.visible_to(user)
        .filter(visited_at__date__gte=first, visited_at__date__lte=last)
        .values("recorded_by__username", "recorded_by__first_name")
        .annotate(records=Count("pk"), elders=Count("elder", distinct=True),
                  home=Count("pk", filter=Q(mode="home")))
        .order_by("-records", "recorded_by__username")
    )
