"""Celery tasks of the dashboard: thin and idempotent (docs/contributing.md rule 6, "Tasks are thin")."""

from __future__ import annotations

import datetime as dt

from celery import shared_task
from django.utils import timezone


@shared_task(name="dashboard.nightly_snapshot")
def nightly_snapshot(as_of: str | None = None) -> dict:
    """Recompute the current month's figures (and, on the 1st, close last month at its last day).
    Safe to run twice: each month's rows are replaced, under a named advisory lock."""
    from visits import rules as visit_rules

    from .services import snapshot_month

    day = dt.date.fromisoformat(as_of) if as_of else timezone.localdate()
    results = []
    if day.day == 1:
        results.append(snapshot_month(period=visit_rules.add_months(day, -1)))
    results.append(snapshot_month(period=day, as_of=day))
    return {"months": [f"{r.period:%Y-%m}" for r in results], "rows": sum(r.rows for r in results),
            "skipped": any(r.skipped for r in results)}
