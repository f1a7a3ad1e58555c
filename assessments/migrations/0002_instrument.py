"""Load the GB/T 42195-2022 instrument (4 indicators, 26 items, their options) into the tables."""

from django.db import migrations


def forward(apps, schema_editor):
    from assessments.instrument import load_instrument

    load_instrument(
        apps.get_model("assessments", "Indicator"),
        apps.get_model("assessments", "Item"),
        apps.get_model("assessments", "Option"),
    )


def reverse(apps, schema_editor):
    apps.get_model("assessments", "Indicator").objects.filter(standard="GB/T 42195-2022").delete()


class Migration(migrations.Migration):
    dependencies = [("assessments", "0001_initial")]
    operations = [migrations.RunPython(forward, reverse)]
