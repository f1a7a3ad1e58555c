"""Indicators against the seeds' targets (指标与目标): value, target, gap and trend for a scope.

Values are computed live in SQL for the scope; trends are the nightly monthly figures
(dashboard.services.snapshot_month) of past months plus today's live value. Headcounts the
registry does not hold (certified carers, social workers) come from WorkforceCount rows entered by
the county administrator in the admin — the page says so.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db.models import Count, Exists, OuterRef, Q, QuerySet, Sum
from django.db.models.functions import Substr

from assessments.models import Assessment, Standard
from assessments.models import Status as AssessmentStatus
from core.scoping import code_under
from registry.public import birth_date_bounds_for_age
from facilities import selectors as facility_selectors
from facilities.choices import PUBLIC_OWNERSHIPS, FacilityKind, RatingScheme
from facilities.models import Rating
from regions.models import Region
from visits import rules as visit_rules
from visits import selectors as visit_selectors

from .models import INDICATOR_UNITS, Indicator, IndicatorTarget, MonthlyFigure, WorkforceCount
from .selectors.statistics import Scope, bed_statistics, elders_in_scope, months_back

# Township-level public institutions (乡镇级公办养老机构) in the registry's terms: publicly owned
# 特困供养服务机构 (敬老院) and regional care centres.
TOWNSHIP_PUBLIC_KINDS = (FacilityKind.TEKUN, FacilityKind.REGIONAL_CENTRE)


def public_township_q() -> Q:
    """Public township institutions: the denominator of the 一级以上 indicator."""
    return Q(kind__in=TOWNSHIP_PUBLIC_KINDS, ownership__in=PUBLIC_OWNERSHIPS)


def valid_grade_exists(on: dt.date) -> Exists:
    """The facility holds a 等级 rating of 一级 or above that has not expired on ``on``."""
    return Exists(Rating.objects.filter(
        facility=OuterRef("pk"), scheme=RatingScheme.GRADE, level__gte=1, expires_on__gte=on,
    ))


@dataclass
class IndicatorRow:
    key: str
    label: str
    unit: str
    value: float | None = None
    numerator: float | None = None
    denominator: float | None = None
    target: Decimal | None = None
    target_where: str = ""
    target_source: str = ""
    note: str = ""
    applicable: bool = True
    trend_labels: list[str] = field(default_factory=list)
    trend_values: list[float | None] = field(default_factory=list)

    @property
    def gap(self) -> float | None:
        """How far below the target (0 when met); None without a value or a target."""
        if self.value is None or self.target is None:
            return None
        return round(max(0.0, float(self.target) - self.value), 2)

    @property
    def met(self) -> bool | None:
        if self.value is None or self.target is None:
            return None
        return self.value >= float(self.target)


def target_for(indicator: str, code: str) -> IndicatorTarget | None:
    """The most local target whose jurisdiction contains the area code ('' = national)."""
    best = None
    for t in IndicatorTarget.objects.filter(indicator=indicator):
        if code_under(code, t.jurisdiction_prefix) and (best is None or len(t.jurisdiction_prefix) > len(best.jurisdiction_prefix)):
            best = t
    return best


def scope_code(scope: Scope) -> str:
    """The area whose targets apply: the picked area, else the user's single root (else national)."""
    if scope.area is not None:
        return scope.area.code
    from regions.selectors import area_roots

    roots = area_roots(scope.user)
    return roots[0].code if len(roots) == 1 else ""


def scope_level(scope: Scope) -> int:
    """Prefix length of the scope (2 province … 12 village); 0 for several roots or a superuser."""
    if scope.area is not None:
        return len(scope.prefix)
    from regions.selectors import area_roots

    roots = area_roots(scope.user)
    return len(roots[0].prefix) if len(roots) == 1 else 0


def _ratio(num: float | None, den: float | None, per: float = 100.0) -> float | None:
    return round(per * float(num or 0) / float(den), 2) if den else None


# --- live values ---------------------------------------------------------------------------------


def valid_assessment_q(as_of: dt.date) -> Exists:
    """An approved GB/T 42195-2022 assessment done by ``as_of`` and not yet due again."""
    return Exists(
        Assessment.objects.filter(
            elder=OuterRef("pk"), status=AssessmentStatus.APPROVED, standard=Standard.GBT_42195_2022,
            assessed_on__lte=as_of,
        ).filter(Q(next_due_on__isnull=True) | Q(next_due_on__gt=as_of))
    )


def assessment_80(scope: Scope) -> tuple[int, int]:
    _, latest = birth_date_bounds_for_age(80, None, scope.today)
    aged = elders_in_scope(scope).filter(birth_date__lte=latest)
    agg = aged.aggregate(den=Count("id"), num=Count("id", filter=Q(valid_assessment_q(scope.today))))
    return agg["num"], agg["den"]


def visit_rate_last_month(scope: Scope) -> tuple[int, int, dt.date]:
    month = visit_rules.add_months(visit_rules.month_start(scope.today), -1)
    rows = visit_selectors.visit_rate_by_village(scope.user, month)
    n = sum(a for code, (a, _) in rows.items() if code_under(code, scope.prefix))
    v = sum(b for code, (_, b) in rows.items() if code_under(code, scope.prefix))
    return v, n, month


def _facilities(scope: Scope) -> QuerySet:
    return scope.narrow(facility_selectors.facilities_for(scope.user))


def tekun_per_county(scope: Scope) -> dict[str, int]:
    """{county code: 特困供养服务机构 count} for every county of the scope (0 where none)."""
    counts = dict(
        _facilities(scope).filter(kind=FacilityKind.TEKUN).annotate(county=Substr("region_code", 1, 6))
        .values("county").annotate(n=Count("id")).values_list("county", "n")
    )
    counties = Region.objects.visible_to(scope.user).filter(level=Region.Level.COUNTY)
    if scope.prefix:
        counties = counties.in_area(scope.prefix[:6])
    return {c[:6]: counts.get(c[:6], 0) for c in counties.values_list("code", flat=True)}


def graded_township(scope: Scope) -> tuple[int, int]:
    agg = _facilities(scope).filter(public_township_q()).aggregate(
        den=Count("id"), num=Count("id", filter=Q(valid_grade_exists(scope.today)))
    )
    return agg["num"], agg["den"]


def workforce(scope: Scope, kind: str) -> tuple[int | None, list[tuple[dt.date, int]]]:
    """The latest headcount of the scope and its history, from the county's entries.

    Entries may be made per county, township or village; the widest level present in the scope is
    used (so a county figure and its townships' figures are never added together)."""
    entries = list(
        scope.narrow(WorkforceCount.objects.visible_to(scope.user)).filter(kind=kind)
        .values_list("region_code", "as_of", "count").order_by("region_code", "as_of")
    )
    if not entries:
        return None, []

    def significant(code: str) -> int:
        return len(code.rstrip("0")) or 1

    widest = min(significant(code) for code, _, _ in entries)
    chosen = [e for e in entries if significant(e[0]) == widest]
    by_region: dict[str, list[tuple[dt.date, int]]] = defaultdict(list)
    for code, as_of, count in chosen:
        by_region[code].append((as_of, count))
    dates = sorted({as_of for _, as_of, _ in chosen})
    history = []
    for day in dates:
        total = 0
        for series in by_region.values():
            known = [c for d, c in series if d <= day]
            total += known[-1] if known else 0
        history.append((day, total))
    return history[-1][1], history


# --- trends from the nightly figures -----------------------------------------------------------


def monthly_sums(scope: Scope, metrics: list[str], months: int = 12) -> dict[str, dict[dt.date, float]]:
    periods = months_back(scope.today, months)
    rows = (
        scope.narrow(MonthlyFigure.objects.visible_to(scope.user))
        .filter(metric__in=metrics, period__gte=periods[0], period__lt=periods[-1])
        .values("metric", "period").annotate(total=Sum("value")).order_by()
    )
    out: dict[str, dict[dt.date, float]] = defaultdict(dict)
    for r in rows:
        out[r["metric"]][r["period"]] = float(r["total"])
    return out


def ratio_trend(scope: Scope, num_metric: str, den_metric: str, current: float | None, per: float = 100.0,
                current_period: dt.date | None = None) -> tuple[list[str], list[float | None]]:
    """Snapshot months before ``current_period`` (default: this month), then the live value at it."""
    periods = months_back(scope.today, 12)
    current_period = current_period or periods[-1]
    sums = monthly_sums(scope, [num_metric, den_metric])
    labels, values = [], []
    for p in periods:
        if p >= current_period:
            break
        if p in sums.get(den_metric, {}):
            labels.append(f"{p:%Y-%m}")
            values.append(_ratio(sums[num_metric].get(p, 0), sums[den_metric][p], per))
    labels.append(f"{current_period:%Y-%m}")
    values.append(current)
    return labels, values


# --- the rows --------------------------------------------------------------------------------


def indicator_rows(scope: Scope) -> list[IndicatorRow]:
    user = scope.user
    code = scope_code(scope)
    level = scope_level(scope)
    rows: list[IndicatorRow] = []

    def row(indicator: str, **kwargs: Any) -> IndicatorRow:
        target = target_for(indicator, code)
        r = IndicatorRow(key=indicator, label=Indicator(indicator).label, unit=INDICATOR_UNITS[indicator], **kwargs)
        if target is not None:
            r.target, r.target_where, r.target_source = target.target, target.jurisdiction_name, target.source
        rows.append(r)
        return r

    if user.has_perm("registry.view_elder"):
        num, den = assessment_80(scope)
        r = row(Indicator.ASSESSMENT_80, numerator=num, denominator=den, value=_ratio(num, den),
                note="80周岁及以上在世老年人中，持有有效（已审核、未到复评日期）GB/T 42195-2022评估结果的比例")
        r.trend_labels, r.trend_values = ratio_trend(scope, "a80_assessed", "a80_elders", r.value)

    if user.has_perm("visits.view_visit"):
        v, n, month = visit_rate_last_month(scope)
        r = row(Indicator.VISIT_RATE, numerator=v, denominator=n, value=_ratio(v, n),
                note=f"{month:%Y年%m月}（上一个完整月份）：已探访的特殊困难老年人 ÷ 应探访人数")
        # the current month is still running: the trend ends with last month's (live) value
        r.trend_labels, r.trend_values = ratio_trend(scope, "visit_done", "visit_scope", r.value, current_period=month)

    if user.has_perm("facilities.use_facilities"):
        beds = bed_statistics(scope)["totals"]
        r = row(Indicator.NURSING_BEDS, numerator=beds["nursing"], denominator=beds["total"], value=beds["nursing_share"],
                note="机构内护理型床位（含认知症照护床位）÷ 机构床位总数，不含家庭养老床位")
        r.trend_labels, r.trend_values = ratio_trend(scope, "beds_nursing", "beds_total", r.value)

        if level and level <= 6:
            per_county = tekun_per_county(scope)
            lacking = sorted(c for c, n in per_county.items() if n == 0)
            r = row(Indicator.TEKUN_FACILITIES, numerator=sum(per_county.values()), denominator=len(per_county),
                    value=float(min(per_county.values())) if per_county else None,
                    note=("数值为辖区内各县(区)中最少的机构数" + (f"；尚无机构的县(区)：{len(lacking)}个" if lacking else "")
                          if len(per_county) > 1 else "辖区内登记的特困人员供养服务机构（敬老院）数"))
        else:
            row(Indicator.TEKUN_FACILITIES, applicable=False, note="按县(区)考核，请在县级查看")

        num, den = graded_township(scope)
        r = row(Indicator.GRADED_TOWNSHIP, numerator=num, denominator=den, value=_ratio(num, den),
                note="公办（含公建民营）敬老院、区域养老服务中心中，持有效机构等级评定（一级及以上）的比例")
        r.trend_labels, r.trend_values = ratio_trend(scope, "graded_ok", "graded_total", r.value)

    if user.has_perm("registry.view_elder"):
        elders = elders_in_scope(scope).count()
        for indicator, kind, per, what in (
            (Indicator.CARERS_PER_10K, WorkforceCount.Kind.CARERS, 10000.0, "持证养老护理员"),
            (Indicator.SOCIAL_WORKERS_PER_1K, WorkforceCount.Kind.SOCIAL_WORKERS, 1000.0, "社会工作者"),
        ):
            count, history = workforce(scope, kind)
            r = row(indicator, numerator=count, denominator=elders,
                    value=_ratio(count, elders, per) if count is not None else None,
                    note=(f"{what}人数不在老年人名册中，由县级管理员在管理后台“人员数（县级录入）”中录入"
                          + ("；尚未录入" if count is None else f"；最近录入 {history[-1][0]:%Y-%m-%d}")))
            if history:
                r.trend_labels = [f"{d:%Y-%m-%d}" for d, _ in history]
                r.trend_values = [_ratio(c, elders, per) for _, c in history]
    return rows
