"""PostgreSQL roles: the application never connects as the owner of its tables (docs/deploy.md).

``migrate`` runs as the owner role (MIGRATE_DATABASE_URL); afterwards ``grant_app_role`` gives the
application's login role (DATABASE_APP_ROLE) plain data rights on every table and sequence — except
the audit log, where it may only read and append. Not owning anything, the application role cannot
TRUNCATE, ALTER (disable the append-only trigger) or DROP; the retention purge goes through the
owner's ``audit_purge_expired`` function.
"""

from __future__ import annotations

from django.conf import settings
from django.db import connections

AUDIT_TABLE = "audit_auditevent"


def grant_app_role(role: str, *, using: str = "default") -> None:
    """Idempotent; run after every migrate by the post_migrate hook. PostgreSQL only."""
    connection = connections[using]
    if connection.vendor != "postgresql" or not role:
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", [role])
        if cursor.fetchone() is None:
            raise RuntimeError(
                f"DATABASE_APP_ROLE {role!r} does not exist: create it first (docs/deploy.md, 'Database roles')"
            )
        cursor.execute("SELECT quote_ident(%s), quote_ident(current_schema()), quote_ident(current_user)", [role])
        app, schema, owner = cursor.fetchone()
        if app == owner:
            raise RuntimeError("DATABASE_APP_ROLE must not be the role that runs migrate (the owner of the tables)")
        statements = [
            f"GRANT USAGE ON SCHEMA {schema} TO {app}",
            f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA {schema} TO {app}",
            f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA {schema} TO {app}",
            f"ALTER DEFAULT PRIVILEGES IN SCHEMA {schema} GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO {app}",
            f"ALTER DEFAULT PRIVILEGES IN SCHEMA {schema} GRANT USAGE, SELECT ON SEQUENCES TO {app}",
            # The audit log: read and append only.
            f"REVOKE ALL ON {schema}.{AUDIT_TABLE} FROM {app}",
            f"GRANT SELECT, INSERT ON {schema}.{AUDIT_TABLE} TO {app}",
            f"REVOKE ALL ON FUNCTION {schema}.audit_purge_expired(integer) FROM PUBLIC",
            f"GRANT EXECUTE ON FUNCTION {schema}.audit_purge_expired(integer) TO {app}",
        ]
        for statement in statements:
            cursor.execute(statement)


def grant_after_migrate(sender, using="default", **kwargs) -> None:
    grant_app_role(settings.DATABASE_APP_ROLE, using=using)
