"""Read queries of the statistics pages (统计报表), their exports and indicators, and the elder
profile's conditions the nightly snapshot counts (dashboard.services).

Every query starts from ``.visible_to(user)`` (or a selector of the owning app that does), is
narrowed to the picked area by its code prefix, and aggregates in SQL (GROUP BY over the
prefix-scoped ``region_code``). Python only reshapes the aggregated rows — never one row per elder.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from functools import cached_property
from decimal import Decimal
from typing import Any

from django.db.models import Count, Q, QuerySet, Sum
from django.db.models.functions import Substr

from core.scoping import code_under, code_under_q
from eligibility.public import Benefit, Enrolment
from registry.public import (
    ECONOMICALLY_DIFFICULT,
    AbilityLevel,
    EconomicStatus,
    LivingArrangement,
    SpecialFamily,
    VeteranCategory,
)
from registry.public import Elder, birth_date_bounds_for_age
from facilities import selectors as facility_selectors
from facilities.choices import NURSING_KINDS, BedLocation, BedStatus
from regions.models import Region
from regions.rules import LEVEL_PREFIX_LENGTH
from visits import rules as visit_rules
from visits import selectors as visit_selectors

from ..models import MonthlyFigure

# ---------------------------------------------------------------------------------------------
# The scope (user's area, optionally narrowed to a picked region)


@dataclass
class Scope:
    """Who is looking and where: ``area`` None means the user's whole area."""

    user: Any
    area: Region | None
    today: dt.date

    @property
    def prefix(self) -> str:
        return self.area.prefix if self.area is not None else ""

    @cached_property
    def profile(self) -> tuple[dt.date | None, dt.datetime | None]:
        """(month, computed at) of the elder profile the pages sum up — looked up once per request."""
        return profile_period(self.today)

    def narrow(self, qs: QuerySet, field: str = "region_code") -> QuerySet:
        if self.area is None:
            return qs
        return qs.filter(code_under_q(field, self.prefix))

    def child_prefix_length(self) -> int:
        """Drill-down: group by the next level below the area (county → townships → villages)."""
        if self.area is None:
            roots = _roots(self.user)
            depth = min((len(r.prefix) for r in roots), default=0)
        else:
            depth = len(self.prefix)
        lengths = sorted(LEVEL_PREFIX_LENGTH.values())
        for n in lengths:
            if n > depth:
                return n
        return 12


def _roots(user: Any) -> list[Region]:
    from regions.selectors import area_roots

    return area_roots(user)


# 5-year bands for the population pyramid: key, label, min age (inclusive), max age (exclusive)
PYRAMID_BANDS: list[tuple[str, str, int | None, int | None]] = [
    ("u60", "60岁以下", None, 60),
    *[(f"{a}-{a + 4}", f"{a}–{a + 4}岁", a, a + 5) for a in range(60, 100, 5)],
    ("100+", "100岁及以上", 100, None),
]

# special-difficulty groups counted per area (overlapping: one elder can be in several)
SPECIAL_GROUPS: list[tuple[str, str, Q]] = [
    ("tekun", "特困人员", Q(economic_status__in=[EconomicStatus.TEKUN_HOME, EconomicStatus.TEKUN_INST])),
    ("tekun_home", "其中分散供养", Q(economic_status=EconomicStatus.TEKUN_HOME)),
    ("dibao", "低保", Q(economic_status=EconomicStatus.DIBAO)),
    ("difficult", "经济困难（合计）", Q(economic_status__in=ECONOMICALLY_DIFFICULT)),
    ("alone", "独居", Q(living_arrangement=LivingArrangement.ALONE)),
    ("empty_nest", "空巢", Q(living_arrangement=LivingArrangement.EMPTY_NEST)),
    ("left_behind", "留守", Q(living_arrangement=LivingArrangement.LEFT_BEHIND)),
    ("disabled_ability", "失能", Q(ability_level__gte=AbilityLevel.MILD)),
    ("disability", "残疾", Q(disability_grade__isnull=False)),
    ("special_family", "计生特殊家庭", ~Q(special_family=SpecialFamily.NONE)),
    ("veteran", "优抚对象", ~Q(veteran_category=VeteranCategory.NONE)),
]


def band_q(lo: int | None, hi: int | None, today: dt.date) -> Q:
    """Age in [lo, hi) on ``today`` as an index-friendly birth-date range."""
    earliest, latest = birth_date_bounds_for_age(lo, hi, today)
    cond = Q()
    if latest is not None:
        cond &= Q(birth_date__lte=latest)
    if earliest is not None:
        cond &= Q(birth_date__gte=earliest)
    return cond


def profile_conditions(today: dt.date) -> dict[str, Q]:
    """The elder profile as named conditions: what the nightly snapshot counts per village (one
    conditional COUNT each, in one pass over the register) and the statistics pages sum up."""
    out: dict[str, Q] = {}
    for key, _, lo, hi in PYRAMID_BANDS:
        for sex in ("M", "F"):
            out[f"band:{key}:{sex}"] = band_q(lo, hi, today) & Q(sex=sex)
    for key, _ in EconomicStatus.choices:
        out[f"econ:{key}"] = Q(economic_status=key)
    for level, _ in AbilityLevel.choices:
        out[f"ability:{level}"] = Q(ability_level=level)
    out["ability:none"] = Q(ability_level__isnull=True)
    for key, _ in LivingArrangement.choices:
        out[f"living:{key}"] = Q(living_arrangement=key)
    for key, _, q in SPECIAL_GROUPS:
        out[f"grp:{key}"] = q
    return out


def elders_in_scope(scope: Scope) -> QuerySet:
    """Living elders on the register in the scope (live queries: home, indicators, the baseline)."""
    return scope.narrow(Elder.objects.visible_to(scope.user)).alive()


@dataclass
class Breakdown:
    """One chart: labelled counts in a fixed order (empty categories kept, so colours are stable)."""

    key: str
    title: str
    rows: list[dict[str, Any]] = field(default_factory=list)  # {key, label, n, [m, f]}

    @property
    def total(self) -> int:
        return sum(r["n"] for r in self.rows)


def profile_period(today: dt.date) -> tuple[dt.date | None, dt.datetime | None]:
    """The latest month with an elder profile (normally this month, written last night) and when
    it was computed; (None, None) before the first snapshot."""
    latest = (
        MonthlyFigure.objects.filter(metric="elders_alive", period__lte=visit_rules.month_start(today))
        .order_by("-period", "-computed_at").values_list("period", "computed_at").first()
    )
    return latest if latest is not None else (None, None)


def _profile_sums(scope: Scope, metrics: list[str], *, by_child: int | None = None) -> dict:
    """Sums of the snapshot's per-village counts over the scope (scoped like every other row)."""
    period, _ = scope.profile
    if period is None:
        return {}
    qs = scope.narrow(MonthlyFigure.objects.visible_to(scope.user)).filter(period=period, metric__in=metrics)
    if by_child is None:
        return {r["metric"]: int(r["total"]) for r in qs.values("metric").annotate(total=Sum("value")).order_by()}
    out: dict[str, dict[str, int]] = defaultdict(dict)
    rows = qs.annotate(child=Substr("region_code", 1, by_child)).values("child", "metric").annotate(total=Sum("value"))
    for r in rows.order_by():
        out[r["child"]][r["metric"]] = int(r["total"])
    return out


def elder_statistics(scope: Scope) -> dict[str, Any]:
    """Population pyramid, economic status, ability level and living arrangement of the scope's
    living elders, summed from the nightly per-village profile (a few thousand rows for a county,
    instead of a pass over its elders' rows — bench/README.md "dashboard")."""
    period, computed_at = scope.profile
    metrics = ["elders_alive", *profile_conditions(scope.today)]
    sums = _profile_sums(scope, metrics)
    pyramid = [
        {"key": k, "label": label, "m": sums.get(f"band:{k}:M", 0), "f": sums.get(f"band:{k}:F", 0)}
        for k, label, _, _ in PYRAMID_BANDS
    ]
    for r in pyramid:
        r["n"] = r["m"] + r["f"]
    return {
        "total": sums.get("elders_alive", 0),
        "period": period,
        "computed_at": computed_at,
        "pyramid": Breakdown("pyramid", "年龄性别结构（人口金字塔）", pyramid),
        "economic": Breakdown("economic", "经济状况", [
            {"key": k, "label": label, "n": sums.get(f"econ:{k}", 0)} for k, label in EconomicStatus.choices
        ]),
        "ability": Breakdown("ability", "能力等级", [
            *[{"key": str(k), "label": label, "n": sums.get(f"ability:{k}", 0)} for k, label in AbilityLevel.choices],
            {"key": "none", "label": "未评估", "n": sums.get("ability:none", 0)},
        ]),
        "living": Breakdown("living", "居住状况", [
            {"key": k, "label": label, "n": sums.get(f"living:{k}", 0)} for k, label in LivingArrangement.choices
        ]),
    }


def area_table(scope: Scope) -> dict[str, Any]:
    """Drill-down table: one row per next-level area (townships of a county, villages of a
    township) with totals, 80+ and each special-difficulty group, from the nightly profile."""
    n = scope.child_prefix_length()
    keys = [g[0] for g in SPECIAL_GROUPS]
    by_child = _profile_sums(scope, ["elders_alive", "a80_elders", *[f"grp:{k}" for k in keys]], by_child=n)
    pad = "0" * (12 - n)
    names = dict(Region.objects.filter(code__in=[c + pad for c in by_child]).values_list("code", "name"))
    rows = []
    for child in sorted(by_child):
        sums = by_child[child]
        r: dict[str, Any] = {"child": child, "code": child + pad, "name": names.get(child + pad, child + pad),
                             "total": sums.get("elders_alive", 0), "aged_80": sums.get("a80_elders", 0)}
        r.update({k: sums.get(f"grp:{k}", 0) for k in keys})
        r["group_values"] = [r[k] for k in keys]
        rows.append(r)
    totals = {k: sum(r[k] for r in rows) for k in ["total", "aged_80", *keys]}
    return {
        "rows": rows, "totals": totals, "total_values": [totals[k] for k in keys],
        "groups": [(k, label) for k, label, _ in SPECIAL_GROUPS], "drillable": n < 12,
    }


# ---------------------------------------------------------------------------------------------
# Enrolments and amounts per benefit over 12 months


def months_back(today: dt.date, months: int = 12) -> list[dt.date]:
    this = visit_rules.month_start(today)
    return [visit_rules.add_months(this, -k) for k in range(months - 1, -1, -1)]


PAID_STATUSES = (Enrolment.Status.ACTIVE, Enrolment.Status.SUSPENDED, Enrolment.Status.ENDED)


def enrolment_series(scope: Scope, months: int = 12) -> dict[str, Any]:
    """Per benefit and month: enrolments in force (享受人数) and their monthly amounts (元), from
    each enrolment's start/end period — one grouped query with a conditional count and sum per month.
    Amounts are the enrolments' current monthly amount (the payroll holds what was actually paid)."""
    periods = months_back(scope.today, months)
    in_force = {
        i: Q(start_period__lte=p) & (Q(end_period__isnull=True) | Q(end_period__gte=p)) for i, p in enumerate(periods)
    }
    aggregates: dict[str, Any] = {}
    for i, q in in_force.items():
        aggregates[f"n{i}"] = Count("id", filter=q)
        aggregates[f"a{i}"] = Sum("amount", filter=q)
    rows = (
        scope.narrow(Enrolment.objects.visible_to(scope.user))
        .filter(status__in=PAID_STATUSES, start_period__isnull=False, start_period__lte=periods[-1])
        .filter(Q(end_period__isnull=True) | Q(end_period__gte=periods[0]))
        .values("benefit_id").annotate(**aggregates).order_by("benefit_id")
    )
    benefits = {b.pk: b for b in Benefit.objects.all()}
    series: list[dict[str, Any]] = []
    for r in rows:
        b = benefits.get(r["benefit_id"])
        series.append({
            "code": b.code if b else str(r["benefit_id"]),
            "name": b.name if b else str(r["benefit_id"]),
            "monthly_cash": bool(b and b.payment_kind == Benefit.PaymentKind.MONTHLY),
            "counts": [r[f"n{i}"] for i in range(len(periods))],
            "amounts": [float(r[f"a{i}"] or Decimal(0)) for i in range(len(periods))],
        })
    series.sort(key=lambda s: (-s["counts"][-1], s["code"]))
    return {"labels": [f"{p:%Y-%m}" for p in periods], "series": series}


# ---------------------------------------------------------------------------------------------
# Visit rate over 12 months


def visit_rate_series(scope: Scope, months: int = 12) -> dict[str, Any]:
    """月探访率 per month (visits.selectors.visit_rate_by_village — the visits app's definition),
    summed over the villages of the picked area."""
    labels, rates, in_scope, visited = [], [], [], []
    for p in months_back(scope.today, months):
        rows = visit_selectors.visit_rate_by_village(scope.user, p)
        n = sum(a for code, (a, _) in rows.items() if code_under(code, scope.prefix))
        v = sum(b for code, (_, b) in rows.items() if code_under(code, scope.prefix))
        labels.append(f"{p:%Y-%m}")
        in_scope.append(n)
        visited.append(v)
        rates.append(visit_rules.visit_rate(v, n))
    return {"labels": labels, "rates": rates, "in_scope": in_scope, "visited": visited}


# ---------------------------------------------------------------------------------------------
# Beds


def share(part: int | None, whole: int | None) -> float | None:
    return round(100.0 * (part or 0) / whole, 1) if whole else None


def bed_statistics(scope: Scope) -> dict[str, Any]:
    """Beds, nursing-type beds, occupied beds and home-care beds per next-level area (one grouped
    query over the facilities the user may see), with shares."""
    n = scope.child_prefix_length()
    in_facility = Q(location=BedLocation.FACILITY)
    rows = list(
        scope.narrow(facility_selectors.beds_for(scope.user))
        .annotate(child=Substr("region_code", 1, n))
        .values("child")
        .annotate(
            total=Count("id", filter=in_facility),
            nursing=Count("id", filter=in_facility & Q(kind__in=NURSING_KINDS)),
            occupied=Count("id", filter=in_facility & Q(status=BedStatus.OCCUPIED)),
            home=Count("id", filter=Q(location=BedLocation.HOME)),
            facilities=Count("facility", distinct=True),
        )
        .order_by("child")
    )
    pad = "0" * (12 - n)
    names = dict(Region.objects.filter(code__in=[r["child"] + pad for r in rows]).values_list("code", "name"))
    for r in rows:
        r["code"] = r["child"] + pad
        r["name"] = names.get(r["code"], r["code"])
        r["nursing_share"] = share(r["nursing"], r["total"])
        r["occupancy"] = share(r["occupied"], r["total"])
    keys = ("total", "nursing", "occupied", "home", "facilities")
    totals: dict[str, Any] = {k: sum(r[k] for r in rows) for k in keys}
    totals["nursing_share"] = share(totals["nursing"], totals["total"])
    totals["occupancy"] = share(totals["occupied"], totals["total"])
    return {"rows": rows, "totals": totals}


def child_level_label(scope: Scope) -> str:
    n = scope.child_prefix_length()
    for level, length in LEVEL_PREFIX_LENGTH.items():
        if length == n:
            return dict(Region.Level.choices)[level]
    return "区域"


__all__ = [
    "Breakdown", "Scope", "area_table", "bed_statistics", "child_level_label", "elder_statistics",
    "enrolment_series", "visit_rate_series",
]
