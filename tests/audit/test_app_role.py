"""The application's own database role cannot erase or rewrite the audit log (issue 14.6).

The test database is created by the superuser (as CI's test run does); these tests then connect the
way the deployed application does — as DATABASE_APP_ROLE, which owns nothing — after the grant step
that `migrate` runs, and try every way of removing history.
"""

from __future__ import annotations

import datetime as dt

import psycopg
import pytest
import time_machine
from django.conf import settings
from django.db import connection
from django.utils import timezone

from audit.dbroles import grant_app_role
from audit.models import AuditEvent
from audit.services import record
from tests.concurrency import require_postgres

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

APP_ROLE = settings.DATABASE_APP_ROLE or "yiyang_app"


@pytest.fixture
def app_db():
    """A connection logged in as the application role, after the post-migrate grant step."""
    require_postgres("database roles and privileges are a PostgreSQL feature; the SQLite demo has one user")
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", [APP_ROLE])
        if cursor.fetchone() is None:
            try:
                cursor.execute(f'CREATE ROLE "{APP_ROLE}" LOGIN')
            except Exception:  # noqa: BLE001 - created meanwhile by a parallel run
                pass
    grant_app_role(APP_ROLE)
    params = connection.get_connection_params()
    params.pop("password", None)
    params.pop("cursor_factory", None)
    params.pop("context", None)
    params["user"] = APP_ROLE
    conn = psycopg.connect(**params, autocommit=True)
    with conn.cursor() as cursor:
        cursor.execute("SELECT current_user, session_user")
        assert cursor.fetchone() == (APP_ROLE, APP_ROLE)
    yield conn
    conn.close()


@pytest.fixture
def history(db):
    now = timezone.now()

    def at(days, label):
        with time_machine.travel(now - dt.timedelta(days=days), tick=False):
            return record(actor=None, event="test.history", detail={"label": label})

    return {"ancient": at(400, "ancient"), "old": at(191, "old"), "kept": at(189, "kept"), "recent": at(3, "recent")}


def _events() -> set[str]:
    return set(AuditEvent.objects.filter(event="test.history").values_list("detail__label", flat=True))


def _refused(conn, *statements: str) -> str:
    with pytest.raises(psycopg.Error) as exc, conn.transaction():
        for statement in statements:
            conn.execute(statement)
    return exc.value.sqlstate


ALL = {"ancient", "old", "kept", "recent"}


def test_the_app_role_reads_and_appends_to_the_log(app_db, history):
    count = app_db.execute("SELECT count(*) FROM audit_auditevent WHERE event = 'test.history'").fetchone()[0]
    app_db.execute(
        "INSERT INTO audit_auditevent (at, username, region_code, event, object_type, object_id, object_repr, outcome, detail)"
        " VALUES (now(), 'app', '', 'test.history', '', '', '', 'ok', '{\"label\": \"appended\"}')"
    )

    assert count == 4 and _events() == ALL | {"appended"}


def test_attack_app_role_deletes_audit_events(app_db, history):
    assert _refused(app_db, "DELETE FROM audit_auditevent") == "42501"  # insufficient_privilege
    assert _events() == ALL


def test_attack_app_role_sets_the_purge_flag_and_deletes(app_db, history):
    sqlstate = _refused(app_db, "SET LOCAL yiyang.audit_purge = 'on'", "DELETE FROM audit_auditevent")

    assert sqlstate == "42501" and _events() == ALL


def test_attack_app_role_rewrites_an_audit_event(app_db, history):
    assert _refused(app_db, "UPDATE audit_auditevent SET username = 'nobody'") == "42501"
    assert _events() == ALL


def test_attack_app_role_truncates_the_audit_log(app_db, history):
    assert _refused(app_db, "TRUNCATE audit_auditevent") == "42501"
    assert _events() == ALL


def test_attack_app_role_disables_the_append_only_trigger(app_db, history):
    sqlstate = _refused(app_db, "ALTER TABLE audit_auditevent DISABLE TRIGGER audit_event_append_only")

    assert sqlstate == "42501"  # must be owner of table
    with connection.cursor() as cursor:
        cursor.execute("SELECT tgenabled FROM pg_trigger WHERE tgname = 'audit_event_append_only'")
        assert cursor.fetchone() == ("O",)


def test_attack_app_role_drops_or_replaces_the_log(app_db, history):
    assert _refused(app_db, "DROP TABLE audit_auditevent CASCADE") == "42501"
    assert _refused(app_db, "ALTER TABLE audit_auditevent RENAME TO audit_old") == "42501"
    assert _refused(app_db, "CREATE OR REPLACE FUNCTION audit_event_append_only() RETURNS trigger"
                            " AS $$ BEGIN RETURN OLD; END $$ LANGUAGE plpgsql") == "42501"
    assert _events() == ALL


@pytest.mark.parametrize("retention", [1, 0, -5, None])
def test_attack_app_role_purges_with_a_tiny_retention_is_clamped_to_190_days(app_db, history, retention):
    deleted = app_db.execute("SELECT audit_purge_expired(%s)", [retention]).fetchone()[0]

    assert deleted == 2 and _events() == {"kept", "recent"}


def test_the_purge_function_honours_a_longer_retention(app_db, history):
    deleted = app_db.execute("SELECT audit_purge_expired(365)").fetchone()[0]

    assert deleted == 1 and _events() == {"old", "kept", "recent"}


def test_the_purge_leaves_the_log_append_only_afterwards_in_the_same_transaction(app_db, history):
    with app_db.transaction():
        app_db.execute("SELECT audit_purge_expired(190)")
        setting = app_db.execute("SELECT current_setting('yiyang.audit_purge', true)").fetchone()[0]

    assert setting == "off" and _events() == {"kept", "recent"}
