"""Four-eyes (双人复核) that one person cannot satisfy.

An approval is a second person's check. It fails if the approver is one of the people whose work
is being checked, and also if one of those people made the approver what they are — granted or
approved one of the approver's roles, or created the approver's account, recently. Otherwise a
county administrator could create a puppet 财务审核 account (or give himself the 评估员 role) and
approve his own work through it. See docs/security.md (双人复核).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from django.db.models import Q
from django.utils import timezone

USER_CREATE_EVENT = "auth.user_create"
PASSWORD_CHANGE_EVENT = "auth.password_change"


def four_eyes_refusal(*, approver: Any, participant_ids: Iterable[int | None], days: int = 30) -> str | None:
    """A Chinese reason why ``approver`` may not approve work done by ``participant_ids``, or None.

    Refused when the approver is a participant (created, edited or submitted the object), when a
    participant granted or approved one of the approver's active role assignments within the last
    ``days`` days, or when a participant created the approver's account within that time — and, with
    no time limit, when the approver's current password was set by a participant (account creation
    or an administrator's reset): whoever knows the password can act as the account."""
    from audit.models import AuditEvent

    from .models import StaffAssignment

    if approver is None or getattr(approver, "pk", None) is None:
        return "审核人未登录"
    people = {pk for pk in participant_ids if pk is not None}
    if approver.pk in people:
        return "审核人不能是本记录的录入、修改或提交人（双人复核须为两个不同的人）"
    if not people:
        return None
    since = timezone.now() - dt.timedelta(days=days)
    granted = (
        StaffAssignment.objects.active()
        .filter(user_id=approver.pk)
        .filter(
            Q(granted_by_id__in=people, created_at__gte=since)
            | Q(approved_by_id__in=people, approved_at__gte=since)
        )
    )
    if granted.exists():
        return f"审核人的角色是本记录的经办人在{days}天内授予或批准的，不能由其审核（双人复核）"
    created = AuditEvent.objects.filter(
        event=USER_CREATE_EVENT, object_type="auth.user", object_id=str(approver.pk), user_id__in=people, at__gte=since
    )
    if created.exists():
        return f"审核人的账号是本记录的经办人在{days}天内创建的，不能由其审核（双人复核）"
    last_set = (
        AuditEvent.objects.filter(
            event__in=(USER_CREATE_EVENT, PASSWORD_CHANGE_EVENT), object_type="auth.user", object_id=str(approver.pk)
        )
        .order_by("-at", "-id")
        .values_list("user_id", flat=True)
        .first()
    )
    if last_set in people:
        return "审核人的当前密码是本记录的经办人设置的，请审核人先自行修改密码（双人复核）"
    return None


