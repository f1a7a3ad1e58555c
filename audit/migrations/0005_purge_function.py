"""The retention purge becomes a database function, the only way for the application to delete audit events.

``audit_purge_expired(retention_days)`` runs with its owner's rights (SECURITY DEFINER: the role that ran
``migrate``, which owns the table) and deletes only events older than max(retention_days, 190) days by
the database's own clock. The application's role (DATABASE_APP_ROLE, docs/deploy.md) gets SELECT and
INSERT on the table and EXECUTE on this function, nothing else, so it can neither rewrite, delete,
truncate nor switch off the trigger — and passing a small or negative retention changes nothing.
"""

from django.db import migrations

MIN_RETENTION_DAYS = 190

PG_FORWARD = """
CREATE OR REPLACE FUNCTION {schema}.audit_purge_expired(retention_days integer) RETURNS integer
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    deleted integer;
BEGIN
    PERFORM set_config('yiyang.audit_purge', 'on', true);
    DELETE FROM {schema}.audit_auditevent
     WHERE at < now() - make_interval(days => GREATEST(COALESCE(retention_days, {minimum}), {minimum}));
    GET DIAGNOSTICS deleted = ROW_COUNT;
    PERFORM set_config('yiyang.audit_purge', 'off', true);
    RETURN deleted;
END;
$$;
REVOKE ALL ON FUNCTION {schema}.audit_purge_expired(integer) FROM PUBLIC;
"""
PG_REVERSE = "DROP FUNCTION IF EXISTS {schema}.audit_purge_expired(integer);"


def _schema(schema_editor) -> str:
    with schema_editor.connection.cursor() as cursor:
        cursor.execute("SELECT quote_ident(current_schema())")
        return cursor.fetchone()[0]


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        sql = PG_FORWARD.format(schema=_schema(schema_editor), minimum=MIN_RETENTION_DAYS)
        schema_editor.execute(sql, params=None)


def reverse(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(PG_REVERSE.format(schema=_schema(schema_editor)), params=None)


class Migration(migrations.Migration):
    dependencies = [("audit", "0004_protect_user")]
    operations = [migrations.RunPython(forward, reverse)]
