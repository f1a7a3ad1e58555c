"""Assessment.source: 录入 (entered through the form) or 导入 (a past result imported from a file).

On SQLite, adding a column with a default rebuilds the table, which drops the table's triggers; the
immutability trigger of 0003 is created again afterwards. PostgreSQL adds the column in place (no
UPDATE of existing rows, so the trigger neither fires nor is lost).
"""

from django.db import migrations, models

SQLITE_TRIGGER = """
CREATE TRIGGER assessment_approved_immutable BEFORE UPDATE ON assessments_assessment
WHEN OLD.status = 'approved'
BEGIN SELECT RAISE(ABORT, 'assessments_assessment: an approved assessment cannot be changed'); END
"""


def restore_sqlite_trigger(apps, schema_editor):
    if schema_editor.connection.vendor == "sqlite":
        schema_editor.execute("DROP TRIGGER IF EXISTS assessment_approved_immutable")
        schema_editor.execute(SQLITE_TRIGGER)


SOURCE = models.CharField(
    choices=[("entered", "录入"), ("imported", "导入")], default="entered", editable=False, max_length=10,
    verbose_name="来源",
)


class Migration(migrations.Migration):
    dependencies = [("assessments", "0003_approved_immutable")]

    operations = [
        # (reversing: the last step restores the trigger after the table was rebuilt without the column)
        migrations.RunPython(migrations.RunPython.noop, restore_sqlite_trigger),
        migrations.AddField(model_name="assessment", name="source", field=SOURCE.clone()),
        migrations.AddField(model_name="historicalassessment", name="source", field=SOURCE.clone()),
        migrations.RunPython(restore_sqlite_trigger, migrations.RunPython.noop),
    ]
