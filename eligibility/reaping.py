"""The reaper's step for sweep runs (registered with core.reaper in EligibilityConfig.ready).

A 「运行中」 SweepRun holds its county's advisory lock for as long as its process lives (the lock is
transaction-scoped: PostgreSQL drops it with the session of a killed process). Started more than
``RELIABILITY_REAP_GRACE`` seconds ago and the county lock free → nobody is sweeping → interrupted.
Interrupted runs are not re-run here: the next night's sweep covers every county again, and the
health page and the admin offer 「重新运行」 at once.
"""

from __future__ import annotations

import datetime as dt
import logging

from django.db import connection, transaction

from core.locks import sweep_lock, try_xact_lock
from core.reaper import grace, time_limit

from .models import SweepRun

log = logging.getLogger(__name__)


def run_is_dead(run: SweepRun, *, now: dt.datetime) -> bool:
    """Only within a transaction: on PostgreSQL this takes the county lock when it is free (so no
    sweep of the county can start before the caller's transaction ends)."""
    age = now - run.started_at
    if connection.vendor == "postgresql":
        return age > grace() and try_xact_lock(sweep_lock(run.county_code))
    return age > time_limit()


def reap_runs(now: dt.datetime, reaped: list[int]) -> None:
    from .tasks import mark_interrupted

    for pk in SweepRun.objects.filter(status=SweepRun.Status.RUNNING, started_at__lt=now - grace()).values_list(
        "pk", flat=True
    ):
        with transaction.atomic():
            run = SweepRun.objects.select_for_update().filter(pk=pk, status=SweepRun.Status.RUNNING).first()
            if run is None or not run_is_dead(run, now=now):
                continue
            if mark_interrupted(SweepRun.objects.filter(pk=pk)):
                reaped.append(pk)
                log.warning("reaper: sweep run %s of %s interrupted", pk, run.county_code)
