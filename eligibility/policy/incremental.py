"""Incremental detection for the nightly sweep (eligibility/policy/sweep.py): which elders of a
county an incremental run must evaluate, and the catalogue fingerprint that decides whether one may.

A decision depends only on the elder's row, the elder's enrolments, the catalogue as it applies to
the county and the month decided. So when the county's last finished run decided the same month under the same catalogue (``SweepRun.catalogue_digest``: every applicable
rule, its amount, its reason and its compiled SQL), only the elders that changed since can decide
differently: rows whose ``updated_at`` moved, and holders of enrolments that staff changed (the
sweep's own writes carry its run's ``started_at`` and are told apart by it). The statements then run
on those elders only (``elder_ids``). Everything else — a new month, a changed rule, parameter or
compiler, a first run, more than ``INCREMENTAL_LIMIT`` changed elders, or ``full=True`` — evaluates
every elder of the county. The first night of each month is therefore always a full evaluation.
"""

from __future__ import annotations

import datetime as dt
import hashlib

from registry.public import Elder

from ..models import Benefit, Enrolment, SweepRun
from .catalogue import AppliedRule
from .compiler import compile_criteria

OPEN = list(Enrolment.OPEN_STATUSES)

INCREMENTAL_LIMIT = 5_000
# Rows stamped shortly before the previous run started may have committed after it read the registry
# (an import that ran for a while); they are looked at again.
INCREMENTAL_MARGIN = dt.timedelta(hours=1)


def catalogue_digest(applied: dict[Benefit, list[AppliedRule]], period: dt.date) -> str:
    """A fingerprint of everything the decisions read besides the elders and their enrolments: each
    active benefit's kind, each applicable rule with its amount, reason and compiled ``Q`` (so a
    changed rule, parameter or compiler changes it)."""
    h = hashlib.sha256()
    for benefit, rules in sorted(applied.items(), key=lambda item: item[0].pk):
        h.update(repr((benefit.pk, benefit.is_automatic, benefit.payment_kind)).encode())
        for a in rules:
            q = compile_criteria(a.rule.criteria, period=period, start=a.rule.start)
            h.update(repr((a.rule.pk, str(a.amount), a.reason_before, a.reason_after, a.uses_birth_date, str(q))).encode())
    return h.hexdigest()


def changed_elders(prefix: str, period: dt.date, digest: str) -> list[int] | None:
    """The elders an incremental run must look at, or None when every elder must be evaluated (no
    earlier finished run of this county for the same month and catalogue, or too many changes)."""
    previous = (
        SweepRun.objects.filter(
            county_code=prefix + "000000", period=period, status=SweepRun.Status.DONE, catalogue_digest=digest
        )
        .order_by("-started_at")
        .first()
    )
    if previous is None:
        return None
    since = previous.started_at - INCREMENTAL_MARGIN
    sweep_stamps = SweepRun.objects.filter(started_at__gte=since).values("started_at")
    changed = Elder.objects.filter(updated_at__gt=since)  # index elder_updated_at: few rows on a normal night
    candidates = (
        # elders of the county whose row changed
        changed.in_area(prefix).values_list("pk", flat=True),
        # elders who changed and still hold an open enrolment here (moved to another county)
        Enrolment.objects.in_area(prefix).filter(status__in=OPEN, elder__in=changed.values("pk"))
        .values_list("elder_id", flat=True),
        # enrolments staff changed (the sweep's own writes carry a run's started_at)
        Enrolment.objects.in_area(prefix).filter(updated_at__gt=since)
        .exclude(updated_at__in=sweep_stamps)
        .values_list("elder_id", flat=True),
    )
    ids: set[int] = set()
    for qs in candidates:
        ids.update(qs[: INCREMENTAL_LIMIT + 1])
        if len(ids) > INCREMENTAL_LIMIT:
            return None
    return sorted(ids)
