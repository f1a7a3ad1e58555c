"""Writing audit events. Called by every service that changes state or reveals personal data."""

from __future__ import annotations

import datetime as dt
import ipaddress
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from .models import AuditEvent


def record(
    *,
    actor: Any,
    event: str,
    obj: Any = None,
    region_code: str = "",
    outcome: str = "ok",
    detail: dict | None = None,
    ip_address: str | None = None,
) -> AuditEvent:
    """Append one event in the caller's transaction (so it commits or rolls back with the change)."""
    user = actor if getattr(actor, "is_authenticated", False) else None
    if obj is not None and not region_code:
        region_code = getattr(obj, "region_code", "") or ""
    return AuditEvent.objects.create(
        user=user,
        username=getattr(user, "username", "") if user else "system",
        region_code=region_code,
        event=event,
        object_type=obj._meta.label_lower if obj is not None else "",
        object_id=str(obj.pk) if obj is not None and obj.pk is not None else "",
        object_repr=str(obj)[:200] if obj is not None else "",
        outcome=outcome,
        ip_address=ip_address,
        detail=detail or {},
    )


def _from_trusted_proxy(remote: str) -> bool:
    try:
        address = ipaddress.ip_address(remote)
    except ValueError:
        return False
    for network in settings.TRUSTED_PROXIES:
        try:
            if address in ipaddress.ip_network(network, strict=False):
                return True
        except ValueError:
            continue
    return False


def client_ip(request) -> str | None:
    """The browser's address, for the audit log and the login lockout (AXES_CLIENT_IP_CALLABLE).

    REMOTE_ADDR, unless the request came from one of TRUSTED_PROXIES and CLIENT_IP_HEADER is set: then the
    last address in that header (the one our own proxy wrote). A header sent by anyone else is ignored,
    so nobody can pick the address they are locked out or logged under (docs/security.md).
    """
    remote = request.META.get("REMOTE_ADDR") or None
    header = settings.CLIENT_IP_HEADER
    if header and remote and _from_trusted_proxy(remote):
        forwarded = (request.META.get(header) or "").split(",")[-1].strip()
        try:
            return str(ipaddress.ip_address(forwarded))
        except ValueError:
            return remote
    return remote


def record_admin_write(request, event: str, obj: Any, detail: dict) -> None:
    """An add, change or delete made on an admin page (core.admin.AdminRulesMixin, registered in
    AuditConfig.ready)."""
    record(actor=request.user, event=event, obj=obj, ip_address=client_ip(request), detail=detail)


@transaction.atomic
def purge_expired(*, now: dt.datetime | None = None) -> int:
    """Delete events older than the retention period (≥ 190 days). The only path allowed to delete.

    On PostgreSQL this calls ``audit_purge_expired``, a function owned by the table's owner: the
    application's role has no DELETE right on the log at all, and the function clamps the retention
    to 190 days and uses the database's clock (``now`` is for SQLite's tests only). On SQLite (the
    demo) a trigger refuses UPDATE/DELETE unless the purge flag row exists.
    """
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT audit_purge_expired(%s)", [settings.AUDIT_RETENTION_DAYS])
            return cursor.fetchone()[0]
    now = now or timezone.now()
    cutoff = now - dt.timedelta(days=settings.AUDIT_RETENTION_DAYS)
    with connection.cursor() as cursor:
        cursor.execute("INSERT INTO audit_purge_flag (id) VALUES (1)")
        deleted, _ = AuditEvent.objects.filter(at__lt=cutoff).delete()
        cursor.execute("DELETE FROM audit_purge_flag")
    return deleted
