"""The default waitlist priority tiers (rules as data; a county edits them in the admin)."""

from django.db import migrations

DEFAULT_RULES = [
    {
        "tier": 1,
        "name": "特困人员申请集中供养",
        "economic_statuses": ["tekun_home", "tekun_inst"],
        "conditions": [],
        "min_age": 80,
        "requires_centralised": True,
        "source": "杨陵区清单第13项：对有集中供养意愿的特困老年人全部实现集中供养",
    },
    {
        "tier": 2,
        "name": "经济困难的失能、残疾、空巢、独居、留守、高龄或计生特殊家庭老年人",
        "economic_statuses": ["dibao", "dibao_edge", "tekun_home", "tekun_inst", "hardship"],
        "conditions": ["disabled", "handicapped", "empty_nest", "alone", "left_behind", "very_old", "special_family"],
        "min_age": 80,
        "requires_centralised": False,
        "source": "杨陵区清单第13项：重点向经济困难的空巢、留守、失能、残疾、高龄老年人以及计划生育特殊家庭老年人等提供服务",
    },
]


def load(apps, schema_editor):
    PriorityRule = apps.get_model("facilities", "PriorityRule")
    for row in DEFAULT_RULES:
        PriorityRule.objects.update_or_create(tier=row["tier"], defaults=row)


def unload(apps, schema_editor):
    PriorityRule = apps.get_model("facilities", "PriorityRule")
    PriorityRule.objects.filter(tier__in=[r["tier"] for r in DEFAULT_RULES]).delete()


class Migration(migrations.Migration):
    dependencies = [("facilities", "0001_initial")]
    operations = [migrations.RunPython(load, unload)]
