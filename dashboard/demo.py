"""Demo data of the statistics pages (called by the ``demo`` command): a year of history to chart.

The demo's sweep decides next month only, so every enrolment would start next month and the
12-month charts would be empty. For the demo county only, active enrolments the sweep just created
are spread over the past twelve months (set-based: one UPDATE per month); this month's visits are
repeated for the eleven months before, most of them recorded as done by the village worker (a rate
that rises month by month); the county enters its headcounts (marked 演示数据); and the nightly
figures are computed for the last twelve months. Rerunning adds nothing.
"""

from __future__ import annotations

import datetime as dt
import random
import uuid

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone
from django.db.models.functions import Mod

from eligibility.public import Enrolment
from regions.models import Region
from visits import rules as visit_rules
from visits.models import Visit, VisitRecord

from .models import WorkforceCount
from .services import backfill

COUNTY = "610403000000"  # 杨陵区


@transaction.atomic
def _spread_enrolments(today: dt.date) -> int:
    this_month = visit_rules.month_start(today)
    fresh = Enrolment.objects.in_area(COUNTY[:6]).filter(
        status=Enrolment.Status.ACTIVE, start_period__gt=this_month, decided_by__isnull=True,
    ).annotate(bucket=Mod("id", 12))
    moved = 0
    for k in range(12):
        moved += fresh.filter(bucket=k).update(start_period=visit_rules.add_months(this_month, -k))
    return moved


def _shift(day: dt.date, months: int) -> dt.date:
    """The same day ``months`` earlier, kept inside that month (31 → 30 or 28)."""
    first = visit_rules.add_months(visit_rules.month_start(day), -months)
    return first.replace(day=min(day.day, visit_rules.month_end(first).day))


@transaction.atomic
def _visit_history(today: dt.date) -> int:
    this_month = visit_rules.month_start(today)
    county = Visit.objects.in_area(COUNTY[:6])
    if county.filter(due_on__lt=this_month).exists():
        return 0  # history already there (a rerun)
    worker = get_user_model().objects.filter(username="village_worker").first()
    if worker is None:
        return 0
    template = list(county.filter(starts_on__gte=this_month, due_on__lte=visit_rules.month_end(this_month)).values(
        "elder_id", "rule_id", "region_code", "visitor_id", "starts_on", "due_on"))
    rng = random.Random(20261125)
    visits, done, seen = [], [], set()
    for k in range(1, 12):
        rate = 0.97 - 0.012 * k  # the rate rises towards this month
        for v in template:
            key = (v["elder_id"], v["rule_id"], _shift(v["due_on"], k))
            if key in seen:  # e.g. weekly visits due on the 28th and the 31st both land on 28 February
                continue
            seen.add(key)
            visit = Visit(elder_id=v["elder_id"], rule_id=v["rule_id"], region_code=v["region_code"],
                          visitor_id=v["visitor_id"], starts_on=_shift(v["starts_on"], k), due_on=_shift(v["due_on"], k))
            visit.status = Visit.Status.DONE if rng.random() < rate else Visit.Status.OVERDUE
            visits.append(visit)
    Visit.objects.bulk_create(visits, batch_size=1000)
    tz = timezone.get_current_timezone()
    for visit in visits:
        if visit.status == Visit.Status.DONE:
            day = max(visit.starts_on, visit.due_on - dt.timedelta(days=rng.randint(0, 5)))
            done.append(VisitRecord(
                visit=visit, elder_id=visit.elder_id, region_code=visit.region_code, recorded_by=worker, mode="home",
                visited_at=dt.datetime.combine(day, dt.time(10, 0), tzinfo=tz), idempotency_key=uuid.uuid4(),
                notes="演示数据",
            ))
    VisitRecord.objects.bulk_create(done, batch_size=1000)
    return len(visits)


def _headcounts(today: dt.date) -> None:
    county = Region.objects.get(code=COUNTY)
    for kind, counts in ((WorkforceCount.Kind.SOCIAL_WORKERS, (1, 2)), (WorkforceCount.Kind.CARERS, (3, 4))):
        for months_ago, count in zip((6, 0), counts, strict=True):
            as_of = visit_rules.month_end(visit_rules.add_months(today, -months_ago)) if months_ago else today
            WorkforceCount.objects.get_or_create(
                kind=kind, region=county, as_of=as_of,
                defaults={"region_code": county.code, "count": count, "source": "演示数据"},
            )


def load_demo(*, today: dt.date) -> str:
    moved = _spread_enrolments(today)
    visits = _visit_history(today)
    _headcounts(today)
    results = backfill(months=12, today=today)
    return (f"统计报表：享受记录起始月份分散到近12个月 {moved} 条；补充此前11个月探访记录 {visits} 次；"
            f"月度统计快照 {len(results)} 个月，共 {sum(r.rows for r in results)} 条")
