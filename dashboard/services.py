"""The nightly monthly figures (统计快照): what the indicator trends need and cannot recompute live.

``snapshot_month`` writes, for one month, one additive count per village (or facility region) and
metric into MonthlyFigure: a handful of grouped INSERT-sized queries over the whole register, never
a loop over elders. Rerunning it for the same month replaces that month's rows (idempotent);
a named advisory lock keeps two copies apart.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.db import connection, transaction
from django.db.models import Case, CharField, Count, Q, Value, When
from django.utils import timezone

from core.locks import DASHBOARD_SNAPSHOT, try_xact_lock
from registry.public import Elder, birth_date_bounds_for_age
from facilities.choices import NURSING_KINDS, BedLocation, FacilityKind
from facilities.models import Bed, Facility
from visits import rules as visit_rules
from visits import selectors as visit_selectors

from .indicators import public_township_q, valid_assessment_q, valid_grade_exists
from .models import MonthlyFigure
from .selectors.statistics import PYRAMID_BANDS, SPECIAL_GROUPS, band_q, profile_conditions

LOCK_NAME = DASHBOARD_SNAPSHOT
ELDER_METRICS = ("elders_alive", "a80_elders", "a80_assessed")
VISIT_METRICS = ("visit_scope", "visit_done")
FACILITY_METRICS = ("beds_total", "beds_nursing", "beds_occupied", "tekun_facilities", "graded_total", "graded_ok")


@dataclass
class SnapshotResult:
    period: dt.date
    as_of: dt.date
    rows: int
    skipped: bool = False


def _band_case(as_of: dt.date) -> Case:
    return Case(*[When(band_q(lo, hi, as_of), then=Value(key)) for key, _, lo, hi in PYRAMID_BANDS],
                default=Value("u60"), output_field=CharField())


def _elder_figures(as_of: dt.date) -> list[tuple[str, str, int]]:
    """Per village: living elders, the 80+ and their assessment coverage, and the elder profile the
    statistics pages chart (selectors.statistics.profile_conditions). Five grouped passes over the register
    (GROUP BY village and one dimension; conditional COUNTs only for the overlapping groups)."""
    _, latest_80 = birth_date_bounds_for_age(80, None, as_of)
    alive = Elder.objects.in_area("").filter(Q(deceased_on__isnull=True) | Q(deceased_on__gt=as_of))
    out: list[tuple[str, str, int]] = []
    totals = {
        "elders_alive": Count("id"),
        "a80_elders": Count("id", filter=Q(birth_date__lte=latest_80)),
        "a80_assessed": Count("id", filter=Q(birth_date__lte=latest_80) & Q(valid_assessment_q(as_of))),
        **{f"grp_{key}": Count("id", filter=q) for key, _, q in SPECIAL_GROUPS},
    }
    for r in alive.values("region_code").annotate(**totals).order_by():
        out += [(r["region_code"], m.replace("grp_", "grp:", 1), r[m]) for m in totals]
    for r in alive.annotate(band=_band_case(as_of)).values("region_code", "band", "sex").annotate(n=Count("id")).order_by():
        out.append((r["region_code"], f"band:{r['band']}:{r['sex']}", r["n"]))
    for field, prefix in (("economic_status", "econ"), ("ability_level", "ability"), ("living_arrangement", "living")):
        for r in alive.values("region_code", field).annotate(n=Count("id")).order_by():
            value = "none" if r[field] is None else r[field]
            out.append((r["region_code"], f"{prefix}:{value}", r["n"]))
    return out


def _visit_figures(period: dt.date) -> list[tuple[str, str, int]]:
    """Per village: elders in the month's visit scope and those visited (the visits app's 月探访率),
    over the whole register — a batch job, so unscoped (``in_area("")``); the figures are scoped
    again by region_code when read."""
    rows = visit_selectors.visit_rate_by_village_in_area("", period)
    return [(code, m, v) for code, (n, d) in rows.items() for m, v in (("visit_scope", n), ("visit_done", d))]


def _facility_figures(as_of: dt.date) -> list[tuple[str, str, int]]:
    """Facilities and beds have no history: only the current month is snapshotted."""
    in_facility = Q(location=BedLocation.FACILITY)
    beds = (
        Bed.objects.values("region_code")
        .annotate(
            beds_total=Count("id", filter=in_facility),
            beds_nursing=Count("id", filter=in_facility & Q(kind__in=NURSING_KINDS)),
            beds_occupied=Count("id", filter=in_facility & Q(status="occupied")),
        )
        .order_by()
    )
    out = [(r["region_code"], m, r[m]) for r in beds for m in ("beds_total", "beds_nursing", "beds_occupied")]
    valid_grade = valid_grade_exists(as_of)
    public_township = public_township_q()
    facilities = (
        Facility.objects.in_area("").values("region_code")
        .annotate(
            tekun_facilities=Count("id", filter=Q(kind=FacilityKind.TEKUN)),
            graded_total=Count("id", filter=public_township),
            graded_ok=Count("id", filter=public_township & Q(valid_grade)),
        )
        .order_by()
    )
    out += [(r["region_code"], m, r[m]) for r in facilities for m in ("tekun_facilities", "graded_total", "graded_ok")]
    return out


def snapshot_month(*, period: dt.date, as_of: dt.date | None = None) -> SnapshotResult:
    """Write the month's figures as of ``as_of`` (default: today for the current month, the month's
    last day for a past one). Facility figures only for the current month (no bed history).
    Idempotent: the month's rows of the recomputed metrics are replaced in one transaction."""
    period = visit_rules.month_start(period)
    today = timezone.localdate()
    current = period == visit_rules.month_start(today)
    as_of = as_of or (today if current else visit_rules.month_end(period))
    with transaction.atomic():
        if not try_xact_lock(LOCK_NAME):
            return SnapshotResult(period, as_of, 0, skipped=True)
        figures = _elder_figures(as_of) + _visit_figures(period)
        metrics = [*ELDER_METRICS, *profile_conditions(as_of), *VISIT_METRICS]
        if current:
            figures += _facility_figures(as_of)
            metrics += list(FACILITY_METRICS)
        MonthlyFigure.objects.filter(period=period, metric__in=metrics).delete()
        MonthlyFigure.objects.bulk_create(
            [MonthlyFigure(period=period, region_code=code, metric=metric, value=Decimal(value))
             for code, metric, value in figures if value],
            batch_size=5000,
        )
    if connection.vendor == "postgresql":  # a month of rows replaced: give the planner fresh statistics
        with connection.cursor() as cursor:
            cursor.execute(f"ANALYZE {MonthlyFigure._meta.db_table}")
    return SnapshotResult(period, as_of, sum(1 for f in figures if f[2]))


def backfill(*, months: int, today: dt.date | None = None) -> list[SnapshotResult]:
    """Snapshot the current month and the ``months - 1`` before it (first run, the demo)."""
    today = today or timezone.localdate()
    this = visit_rules.month_start(today)
    return [snapshot_month(period=visit_rules.add_months(this, -k)) for k in range(months - 1, -1, -1)]
