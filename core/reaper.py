"""The reaper: work whose process died is marked 失败 with a reason; work whose task never reached a
worker is queued again. Every 5 minutes (beat) and ``manage.py reap_stuck``.

The reaper knows no app: each app registers, from its own module and in its AppConfig.ready, the
steps that find its stuck work (``register``): the sweep runs (``eligibility/reaping.py``), the
import batches and their lost messages (``imports/reaping.py``). ``reap()`` runs every step in
registration order and collects what each found under the step's name.

"Dead" is decided without guessing from a clock alone: a working row's process holds an advisory lock
(``core.locks``) for as long as it lives, and PostgreSQL drops it with the session of a killed
process. Started more than ``RELIABILITY_REAP_GRACE`` seconds ago and the lock free → nobody is
working → interrupted; a slow live process still holds its lock and is left alone
(``lock_says_dead``). On SQLite (no advisory locks) a row counts as dead only when it started longer
ago than the hard task time limit (``CELERY_TASK_TIME_LIMIT``): no live task can be that old.
Requeue steps queue again what never started; when the broker is down (``BrokerUnavailable``) the
step stops, the result says so, and the next steps still run.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from dataclasses import dataclass, field

from django.conf import settings
from django.utils import timezone

from .tasks import BrokerUnavailable

log = logging.getLogger(__name__)

# step(now, found): appends the ids it reaped (or queued again) to ``found``
Step = Callable[[dt.datetime, list[int]], None]
_steps: dict[str, Step] = {}


def register(name: str, step: Step) -> None:
    """Register a reaper step under ``name`` (the key of its ids in the result); called from an
    app's AppConfig.ready. Registering a name again replaces the step."""
    _steps[name] = step


def registered() -> list[str]:
    return list(_steps)


@dataclass
class Reaped:
    """What one pass found: ids per step (``result.runs``, ``result.batches``, ``result.requeued``
    for the steps the apps register) and whether the broker was down."""

    found: dict[str, list[int]] = field(default_factory=dict)
    broker_down: bool = False

    def __getattr__(self, name: str) -> list[int]:
        if name.startswith("__") or name == "found":
            raise AttributeError(name)
        return self.found.get(name, [])

    def as_dict(self) -> dict:
        return {**self.found, "broker_down": self.broker_down}


def grace() -> dt.timedelta:
    return dt.timedelta(seconds=settings.RELIABILITY_REAP_GRACE)


def time_limit() -> dt.timedelta:
    return dt.timedelta(seconds=settings.CELERY_TASK_TIME_LIMIT)


def requeue_after() -> dt.timedelta:
    return dt.timedelta(seconds=settings.RELIABILITY_REQUEUE_AFTER)


def lock_says_dead(lock_free: bool | None, *, started: dt.datetime, now: dt.datetime) -> bool:
    """The rule for one working row: its lock is free (``None``: no advisory locks, SQLite) and it
    started longer ago than the grace — or, without locks, than the task time limit."""
    if lock_free is None:
        return now - started > time_limit()
    return lock_free and now - started > grace()


def reap(now: dt.datetime | None = None) -> Reaped:
    now = now or timezone.now()
    result = Reaped()
    for name, step in list(_steps.items()):
        found: list[int] = []
        try:
            step(now, found)
        except BrokerUnavailable:
            result.broker_down = True
        result.found[name] = found
    return result
