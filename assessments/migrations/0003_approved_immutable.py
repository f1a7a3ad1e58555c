"""An approved assessment can never be changed, by any path (DOMAIN rule: a correction is a new 复评).

UPDATE of a row whose stored status is 'approved' is refused by a trigger. DELETE is not blocked
here (Django's test flush deletes rows on SQLite); the elder FK protects rows, the admin refuses
deletion of approved ones, and no service deletes assessments.
"""

from django.db import migrations

PG_FORWARD = """
CREATE OR REPLACE FUNCTION assessment_approved_immutable() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'assessments_assessment %: an approved assessment cannot be changed', OLD.id;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER assessment_approved_immutable
    BEFORE UPDATE ON assessments_assessment
    FOR EACH ROW WHEN (OLD.status = 'approved')
    EXECUTE FUNCTION assessment_approved_immutable();
"""
PG_REVERSE = """
DROP TRIGGER IF EXISTS assessment_approved_immutable ON assessments_assessment;
DROP FUNCTION IF EXISTS assessment_approved_immutable();
"""
SQLITE_FORWARD = """
CREATE TRIGGER assessment_approved_immutable BEFORE UPDATE ON assessments_assessment
WHEN OLD.status = 'approved'
BEGIN SELECT RAISE(ABORT, 'assessments_assessment: an approved assessment cannot be changed'); END
"""
SQLITE_REVERSE = "DROP TRIGGER IF EXISTS assessment_approved_immutable"


def forward(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(PG_FORWARD, params=None)
    elif vendor == "sqlite":
        schema_editor.execute(SQLITE_FORWARD)


def reverse(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(PG_REVERSE, params=None)
    elif vendor == "sqlite":
        schema_editor.execute(SQLITE_REVERSE)


class Migration(migrations.Migration):
    dependencies = [("assessments", "0002_instrument")]
    operations = [migrations.RunPython(forward, reverse)]
