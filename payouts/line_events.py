"""A payroll line's history (``PayrollLineEvent``): written set-based before the lines change.

Used by ``generation`` (failed lines carried into a new run) and ``reconciliation`` (a return file
marks lines paid or failed); imports neither."""

from __future__ import annotations

from typing import Any

from django.db import models
from django.db.models import F, Value
from django.db.models.functions import Cast
from django.utils import timezone

from core.sql import insert_from_select

from .models import PayrollLineEvent


def record_line_events(lines: Any, *, kind: str, to_status: str, reason: str = "", source: str = "", user: Any = None,
                       at: Any = None) -> int:
    """One ``PayrollLineEvent`` per line of ``lines`` (a queryset), in one INSERT … SELECT, before the
    caller changes them: the from-status is read from the row. No per-row trigger, no Python loop."""
    at = at or timezone.now()
    return insert_from_select(PayrollLineEvent, {
        "line": F("pk"), "run": F("run_id"), "kind": Value(str(kind)), "from_status": F("status"),
        "to_status": Value(str(to_status)), "reason": Value(reason[:200]), "source": Value(source[:120]),
        # a typed NULL: an untyped one is text to PostgreSQL when the SELECT is a derived table
        "user": Cast(Value(getattr(user, "pk", None)), output_field=models.IntegerField()),
        "at": Value(at, output_field=models.DateTimeField()),
    }, lines)
