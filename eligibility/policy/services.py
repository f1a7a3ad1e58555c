"""Staff decisions on the worklist (服务找人): approve or reject candidates, stop after a review.

Each function is one transaction, writes one EnrolmentEvent per enrolment and one audit row per
batch, and only ever receives enrolments the caller's area may see (the view passes a
``visible_to`` queryset).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import OuterRef, QuerySet, Subquery
from django.utils import timezone

from audit.services import record
from registry.public import Elder

from ..models import Enrolment, EnrolmentEvent
from . import periods

S = Enrolment.Status
DECISIONS = {"approve": "批准", "reject": "驳回", "stop": "停发"}


@transaction.atomic
def enrolments_decide(
    *, actor: Any, enrolments: QuerySet, decision: str, note: str = "", today: dt.date | None = None,
    ip_address: str | None = None,
) -> list[Enrolment]:
    """Apply one decision to a batch of enrolments and return the ones changed.

    approve: candidates → active from their proposed month. reject: candidates → rejected; a
    reason is required, and the sweep will not propose the same benefit for the elder again until
    the elder's data changes. stop: active enrolments under review → ended after the current month;
    a reason is required."""
    if decision not in DECISIONS:
        raise ValidationError(f"未知的操作：{decision}")
    note = (note or "").strip()
    if decision in ("reject", "stop") and not note:
        raise ValidationError(f"{DECISIONS[decision]}必须填写理由")
    today = today or timezone.localdate()
    now = timezone.now()
    wanted = {"approve": [S.CANDIDATE], "reject": [S.CANDIDATE], "stop": [S.ACTIVE, S.SUSPENDED]}[decision]
    targets = enrolments.select_for_update().filter(status__in=wanted)
    if decision == "stop":
        targets = targets.exclude(review_reason="")
    ids = list(targets.values_list("pk", flat=True))
    if not ids:
        raise ValidationError("所选记录都不在可以此操作的状态（可能已被他人处理）")
    chosen = Enrolment.objects.filter(pk__in=ids)
    common = {"decided_by": actor, "decided_at": now, "updated_at": now, "decision_note": note}
    if decision == "approve":
        chosen.update(status=S.ACTIVE, change_kind="approved", **common)
        kind = EnrolmentEvent.Kind.APPROVED
    elif decision == "reject":
        chosen.update(
            status=S.REJECTED, change_kind="rejected",
            elder_version=Subquery(Elder.objects.filter(pk=OuterRef("elder_id")).values("updated_at")[:1]),
            **common,
        )
        kind = EnrolmentEvent.Kind.REJECTED
    else:
        chosen.update(
            status=S.ENDED, end_period=periods.month_start(today), review_reason="", change_kind="stopped", **common
        )
        kind = EnrolmentEvent.Kind.STOPPED
    changed = list(chosen.select_related("elder", "benefit"))
    EnrolmentEvent.objects.bulk_create(
        EnrolmentEvent(enrolment=e, at=now, kind=kind, status=e.status, amount=e.amount, note=note or e.reason, actor=actor)
        for e in changed
    )
    record(
        actor=actor, event=f"enrolment.{decision}", region_code=changed[0].region_code if len(changed) == 1 else "",
        detail={"enrolments": ids, "note": note}, ip_address=ip_address,
    )
    return changed
