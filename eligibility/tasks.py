"""Celery tasks of the policy engine: thin, idempotent, one county per task (docs/architecture.md Flow 3)."""

from __future__ import annotations

import datetime as dt

from celery import group, shared_task
from django.utils import timezone


@shared_task(name="eligibility.sweep_county")
def sweep_county(county_code: str, as_of: str | None = None) -> dict:
    """Sweep one county. Safe to run twice (the second run writes nothing) and after a crash (the
    county's changes commit together or not at all; a named advisory lock keeps two copies apart)."""
    from .policy.sweep import sweep_county as run_sweep

    day = dt.date.fromisoformat(as_of) if as_of else timezone.localdate()
    run = run_sweep(as_of=day, county_code=county_code)
    return {"run": run.pk, "county": run.county_code, "status": run.status, "totals": run.counts.get("totals", {})}


@shared_task(name="eligibility.nightly_sweep")
def nightly_sweep(as_of: str | None = None) -> list[str]:
    """Fan out one sweep task per county with elders (a group, not a chord: each SweepRun row records
    its own result). Returns the county codes sent."""
    from .policy.sweep import counties_with_elders

    day = as_of or timezone.localdate().isoformat()
    counties = counties_with_elders()
    group(sweep_county.s(code, day) for code in counties).apply_async()
    return counties
