"""The audit log: every event is written, nothing can rewrite it, and only the retention purge removes old rows."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.conf import settings
from django.db import DatabaseError, connection, transaction
from django.utils import timezone

from audit.models import AuditEvent
from audit.services import purge_expired, record

APPEND_ONLY = "append-only"


def test_record_writes_who_did_what_where(officer, elder):
    event = record(actor=officer, event="eligibility.elder_view", obj=elder, ip_address="10.0.0.7", detail={"page": 1})

    stored = AuditEvent.objects.get(pk=event.pk)
    assert (stored.user, stored.username) == (officer, "officer")
    assert (stored.event, stored.outcome) == ("eligibility.elder_view", "ok")
    assert stored.region_code == elder.region_code
    assert (stored.object_type, stored.object_id) == ("registry.elder", str(elder.pk))
    assert stored.object_repr == str(elder)
    assert (stored.ip_address, stored.detail) == ("10.0.0.7", {"page": 1})
    assert stored.at is not None and stored.at.utcoffset() == dt.timedelta(0)


def test_record_without_a_user_is_attributed_to_the_system(db):
    event = record(actor=None, event="audit.nightly", region_code="610403000000")

    stored = AuditEvent.objects.get(pk=event.pk)
    assert (stored.user, stored.username, stored.region_code) == (None, "system", "610403000000")
    assert (stored.object_type, stored.object_id, stored.object_repr) == ("", "", "")


def test_a_denied_attempt_keeps_its_outcome(auditor, elder):
    event = record(actor=auditor, event="eligibility.reveal_id_number", obj=elder, outcome=AuditEvent.Outcome.DENIED)

    assert AuditEvent.objects.get(pk=event.pk).outcome == "denied"


# --- append-only ---------------------------------------------------------------------------

# SQLite's RAISE(ABORT) surfaces as IntegrityError, PostgreSQL's RAISE EXCEPTION (SQLSTATE P0001 under psycopg 3)
# as ProgrammingError; both are DatabaseError, which is what callers should expect.


@pytest.fixture
def logged(officer, elder):
    return record(actor=officer, event="eligibility.elder_update", obj=elder, detail={"fields": ["phone"]})


def _untouched(event: AuditEvent) -> bool:
    stored = AuditEvent.objects.filter(pk=event.pk).values("event", "username", "detail").first()
    return stored == {"event": "eligibility.elder_update", "username": "officer", "detail": {"fields": ["phone"]}}


def test_an_event_cannot_be_changed_through_the_queryset(logged):
    with pytest.raises(DatabaseError, match=APPEND_ONLY), transaction.atomic():
        AuditEvent.objects.filter(pk=logged.pk).update(event="eligibility.elder_view")

    assert _untouched(logged)


def test_an_event_cannot_be_changed_by_saving_it_again(logged):
    logged.username = "someone_else"

    with pytest.raises(DatabaseError, match=APPEND_ONLY), transaction.atomic():
        logged.save()

    assert _untouched(logged)


def test_an_event_cannot_be_deleted(logged):
    with pytest.raises(DatabaseError, match=APPEND_ONLY), transaction.atomic():
        logged.delete()

    assert _untouched(logged)


def test_the_log_cannot_be_emptied_with_a_bulk_delete(logged):
    with pytest.raises(DatabaseError, match=APPEND_ONLY), transaction.atomic():
        AuditEvent.objects.all().delete()

    assert _untouched(logged)


def test_raw_sql_cannot_rewrite_an_event_either(logged):
    with pytest.raises(DatabaseError, match=APPEND_ONLY), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("UPDATE audit_auditevent SET username = 'nobody' WHERE id = %s", [logged.pk])

    assert _untouched(logged)


# --- retention -----------------------------------------------------------------------------


def test_the_retention_period_is_at_least_190_days():
    assert settings.AUDIT_RETENTION_DAYS >= 190


def _recorded_days_ago(now: dt.datetime, days: float, label: str) -> AuditEvent:
    with time_machine.travel(now - dt.timedelta(days=days), tick=False):
        return record(actor=None, event="test.retention", detail={"label": label})


def test_the_purge_deletes_only_events_older_than_the_retention_period(db):
    now = timezone.now()
    keep = settings.AUDIT_RETENTION_DAYS
    expired = [_recorded_days_ago(now, keep + 400, "ancient"), _recorded_days_ago(now, keep + 1, "just expired")]
    kept = [
        _recorded_days_ago(now, keep - 1, "almost expired"),
        _recorded_days_ago(now, 10, "recent"),
        record(actor=None, event="test.retention", detail={"label": "now"}),
    ]
    assert AuditEvent.objects.get(pk=expired[0].pk).at < now - dt.timedelta(days=keep + 399)

    deleted = purge_expired(now=now)

    remaining = set(AuditEvent.objects.filter(event="test.retention").values_list("pk", flat=True))
    assert deleted == 2
    assert remaining == {e.pk for e in kept}


def test_a_second_purge_deletes_nothing(db):
    now = timezone.now()
    _recorded_days_ago(now, settings.AUDIT_RETENTION_DAYS + 30, "expired")
    first = purge_expired(now=now)

    second = purge_expired(now=now)

    assert (first, second) == (1, 0)
    assert not AuditEvent.objects.filter(event="test.retention").exists()


def test_the_purge_runs_as_the_nightly_task(db):
    from audit.tasks import purge_expired as purge_task

    _recorded_days_ago(timezone.now(), settings.AUDIT_RETENTION_DAYS + 2, "expired")

    assert purge_task.apply().get() == 1
    assert not AuditEvent.objects.filter(event="test.retention").exists()


def test_a_purge_inside_a_larger_transaction_leaves_the_log_append_only(logged):
    with transaction.atomic():  # e.g. an admin action or a request wrapped in a transaction
        purge_expired()

        with pytest.raises(DatabaseError, match=APPEND_ONLY), transaction.atomic():
            logged.delete()

    assert _untouched(logged)
