"""Named PostgreSQL advisory locks: the one registry of their names, the key hashing and the helpers.

Every advisory lock of the project is named here (``sweep_lock``, ``payroll_lock`` …) so two apps
cannot pick the same name by accident and a reader finds every lock in one place. The key of a name
is ``lock_key(name)`` (CRC-32, shifted into PostgreSQL's signed bigint range); keep the names as they
are: a running process of the previous release takes the same keys.

Two kinds:

- transaction locks (``try_xact_lock``, ``xact_lock_within``): held until the caller's transaction
  ends; a batch job (the sweep, the visit schedule, payroll, the dashboard snapshot) takes its
  county's lock so two copies never overlap. On SQLite the database lock taken by the first write
  serialises writers anyway, so they answer True at once.
- session locks (``held``/``is_free``): a task holds ``held(name)`` for as long as it works on a row;
  PostgreSQL releases the lock when the session ends, so when the worker process dies (OOM kill,
  SIGKILL) the lock goes with it. The reaper asks ``is_free(name)``: free and the row still says
  "working" means nobody is. On SQLite ``is_free`` answers None and the reaper falls back on the task
  time limit.
"""

from __future__ import annotations

import contextlib
import time
import zlib

from django.db import connection

# --- the registry of names ------------------------------------------------------------------------

DASHBOARD_SNAPSHOT = "dashboard.snapshot"


def sweep_lock(county_code: str) -> str:
    """The nightly sweep of one county (12-digit county code); the reaper tests it too."""
    return f"eligibility.sweep:{county_code}"


def visit_schedule_lock(county_code: str) -> str:
    """Laying out one county's visits (12-digit county code)."""
    return f"visits.schedule:{county_code}"


def payroll_lock(county_code: str) -> str:
    """Every payroll generation and transition of one county (any code of the county)."""
    return f"payouts.generate:{county_code[:6]}"


def import_batch_lock(batch_id: int) -> str:
    """The session lock a stage of an import batch holds while its task works."""
    return f"imports.batch:{batch_id}"


# --- keys and helpers -----------------------------------------------------------------------------


def lock_key(name: str) -> int:
    return zlib.crc32(name.encode()) - 2**31


def try_xact_lock(name: str) -> bool:
    """Take a named lock until the current transaction ends; False if someone else holds it."""
    if connection.vendor != "postgresql":
        return True
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_xact_lock(%s)", [lock_key(name)])
        return bool(cursor.fetchone()[0])


def xact_lock_within(name: str, seconds: float) -> bool:
    """Take a named transaction lock, waiting at most ``seconds``: ``pg_try_advisory_xact_lock``
    polled, so a lock held by a job still running, or by a killed client whose backend PostgreSQL
    has not reaped yet, makes the caller give up instead of hanging. False when the time ran out."""
    if connection.vendor != "postgresql":
        return True
    deadline = time.monotonic() + seconds
    with connection.cursor() as cursor:
        while True:
            cursor.execute("SELECT pg_try_advisory_xact_lock(%s)", [lock_key(name)])
            if cursor.fetchone()[0]:
                return True
            if time.monotonic() >= deadline:
                return False
            time.sleep(0.05)


@contextlib.contextmanager
def held(name: str):
    """Hold the named lock on this connection until the block ends (waits for it if taken)."""
    if connection.vendor != "postgresql":
        yield
        return
    key = lock_key(name)
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_lock(%s)", [key])
    try:
        yield
    finally:
        if connection.connection is not None and not connection.needs_rollback:
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_unlock(%s)", [key])


def is_free(name: str) -> bool | None:
    """True if nobody holds the session lock ``name`` (and nobody holds it as a transaction lock
    either), False if someone does, None on a database without advisory locks."""
    if connection.vendor != "postgresql":
        return None
    key = lock_key(name)
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_lock(%s)", [key])
        got = bool(cursor.fetchone()[0])
        if got:
            cursor.execute("SELECT pg_advisory_unlock(%s)", [key])
    return got
