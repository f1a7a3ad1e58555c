"""Named locks for batch jobs: a PostgreSQL transaction-level advisory lock; on SQLite the database
lock taken by the first write serialises writers anyway."""

from __future__ import annotations

from django.db import connection

from core.locks import lock_key

__all__ = ["lock_key", "try_xact_lock"]


def try_xact_lock(name: str) -> bool:
    """Take a named lock until the current transaction ends; False if someone else holds it."""
    if connection.vendor != "postgresql":
        return True
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_xact_lock(%s)", [lock_key(name)])
        return bool(cursor.fetchone()[0])
