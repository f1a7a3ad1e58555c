"""Racing jobs against each other on PostgreSQL: the thread-barrier helper the concurrency tests share.

Each job runs in its own thread, on its own database connection, and all are released at the same
moment by a barrier — so the database (row locks, advisory locks, unique constraints) decides who
wins, not the order the test started them in. Needs ``django_db(transaction=True)``.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

import pytest
from django.db import connection


def require_postgres(reason: str = "needs PostgreSQL locks and concurrent transactions; SQLite serialises writers") -> None:
    """Skip the test on SQLite — with the reason printed, never silently (docs/contributing.md, "Tests")."""
    if connection.vendor != "postgresql":
        print(f"\nSKIP concurrency: {reason}")
        pytest.skip(reason)


def race(jobs: list[Callable[[], object]], *, timeout: float = 120) -> list[str]:
    """Run ``jobs`` at once, one thread each, and return their outcomes sorted: ``"ok"`` or
    ``"<ExceptionType>: <message>"`` (a ValidationError's messages joined by spaces)."""
    barrier = threading.Barrier(len(jobs))
    outcomes: list[str] = []

    def run(job: Callable[[], object]) -> None:
        from django.db import connections

        try:
            barrier.wait()
            job()
            outcomes.append("ok")
        except Exception as exc:  # noqa: BLE001 - the outcome is what the test asserts on
            outcomes.append(f"{type(exc).__name__}: {' '.join(getattr(exc, 'messages', [str(exc)]))}")
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(job,)) for job in jobs]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=timeout)
    return sorted(outcomes)
