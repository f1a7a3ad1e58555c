"""The payroll state machine's moves: the county lock, the run's row lock, one transition.

Every action takes its county's advisory lock (bounded wait, ``lock_wait_seconds``; generation holds
it while it writes the lines) and then the run's row lock (``lock_run``), checks the state it
expects on the row it now holds, and saves only the fields it changes (``transition``). Concurrent
actions therefore serialise; the loser gets a Chinese refusal (the state it found, or ``BUSY``).
Used by ``services`` (the use cases) and ``reconciliation`` (已导出 → 已对账 when a return file
settles the last line); imports neither."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError

from audit.services import record
from core.locks import payroll_lock, xact_lock_within
from core.scoping import code_in_area

from . import rules
from .models import PayrollRun, PayrollTransition

BUSY = "本县工资册正在生成或办理中，请稍后再试（未作任何修改）"


def lock_wait_seconds() -> float:
    """How long a payroll action waits for its county's lock before giving up with ``BUSY``
    (settings.PAYOUTS_LOCK_WAIT_SECONDS, default 15): never forever behind a hung or killed client."""
    return float(getattr(settings, "PAYOUTS_LOCK_WAIT_SECONDS", 15))


def _lock(name: str) -> None:
    """Take a named transaction-level advisory lock (PostgreSQL), waiting at most
    ``lock_wait_seconds()`` (``core.locks.xact_lock_within``), so a lock held by a generation that is
    still running, or by a client that was killed and whose backend PostgreSQL has not reaped yet,
    makes the action answer ``BUSY`` instead of hanging the request or the worker. A second
    generation that gets the lock in time finds the first one's draft: one set of lines."""
    if not xact_lock_within(name, lock_wait_seconds()):
        raise ValidationError(BUSY, code="busy")


def county_lock(county_code: str) -> None:
    """The county's payroll lock: every generation and every transition of the county's runs."""
    _lock(payroll_lock(county_code))


def lock_run(run: PayrollRun | int) -> PayrollRun:
    """The payroll state machine's entry: inside the caller's transaction, take the county lock
    (bounded, as generation does — always first, so two actions never deadlock), then the run's row
    lock, and return the run as it now is. The caller checks the state it expects on that copy."""
    pk = run if isinstance(run, int) else run.pk
    code = PayrollRun.objects.filter(pk=pk).values_list("county_code", flat=True).first()
    if code is None:
        raise ValidationError("发放批次不存在或已删除")
    county_lock(code)
    return PayrollRun.objects.select_for_update(of=("self",)).select_related("county").get(pk=pk)


def transition(run: PayrollRun, target: str, actor: Any, note: str = "", *, fields: tuple[str, ...] = ()) -> None:
    """Move ``run`` to ``target`` and write the transition row and the audit event. Saves only the
    status and ``fields`` (the caller's own changes), never a stale copy of the rest. The caller holds
    the run's row lock (``lock_run``) and has checked the state machine and the permission."""
    previous = run.status
    run.status = target
    attribute(run, actor)
    run.save(update_fields=["status", "updated_at", *fields])
    PayrollTransition.objects.create(run=run, from_status=previous, to_status=target,
                                     user=actor if getattr(actor, "is_authenticated", False) else None, note=note)
    record(actor=actor, event=f"payouts.{target}", obj=run, region_code=run.county_code,
           detail={"from": previous, "to": target, "note": note})


def attribute(run: PayrollRun, actor: Any) -> None:
    """The run's history row names the acting user also outside a web request (CLI, Celery), where
    simple-history's request middleware cannot."""
    if getattr(actor, "is_authenticated", False):
        run._history_user = actor


def require_allowed(actor: Any, run: PayrollRun, target: str) -> None:
    """Refuse unless the state machine allows ``run`` → ``target`` and ``actor`` has its permission
    in the run's county."""
    perm = rules.transition_permission(run.status, target)
    if perm is None:
        raise ValidationError(
            f"批次当前为“{run.get_status_display()}”，不能变为“{rules.STATUS_LABELS[target]}”"
        )
    if actor is None or not actor.has_perm(perm) or not code_in_area(actor, run.county_code):
        raise PermissionDenied("您没有此操作的权限")
