"""Celery tasks of visits and care: thin, idempotent, one county per task."""

from __future__ import annotations

import datetime as dt

from celery import group, shared_task
from django.utils import timezone


@shared_task(name="visits.schedule_county")
def schedule_county(county_code: str, as_of: str | None = None) -> dict:
    """Lay out one county's visits. Running it twice changes nothing the second time; an advisory lock
    keeps two copies of the same county apart."""
    from .services import schedule_county as run

    day = dt.date.fromisoformat(as_of) if as_of else timezone.localdate()
    return run(as_of=day, county_code=county_code).as_dict()


@shared_task(name="visits.schedule_visits")
def schedule_visits(as_of: str | None = None) -> list[str]:
    """Nightly (beat, 02:30 Asia/Shanghai): one schedule task per county with elders (a group)."""
    from .services import counties_with_rules_or_visits

    day = as_of or timezone.localdate().isoformat()
    counties = counties_with_rules_or_visits()
    group(schedule_county.s(code, day) for code in counties).apply_async()
    return counties
