"""Session-level named locks that say "a live process is working on this".

A task holds ``held(name)`` for as long as it works on a row; PostgreSQL releases the lock when the
session ends, so when the worker process dies (OOM kill, SIGKILL) the lock goes with it. The reaper
asks ``is_free(name)``: free and the row still says "working" means nobody is. On SQLite there are no
such locks: ``is_free`` answers None and the reaper falls back on the task time limit.
"""

from __future__ import annotations

import contextlib
import zlib

from django.db import connection


def lock_key(name: str) -> int:
    """The 64-bit advisory-lock key of a lock name (a CRC-32, shifted to a signed int)."""
    return zlib.crc32(name.encode()) - 2**31


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
