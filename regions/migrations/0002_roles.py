"""Create the seven role groups. Their default permissions are added after migrate (roles.py)."""

from django.db import migrations

ROLE_NAMES = (
    "县级管理员",
    "乡镇(街道)经办人",
    "村(社区)协管员",
    "评估员",
    "财务审核",
    "机构管理员",
    "监督(只读)",
)


def create_roles(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    for name in ROLE_NAMES:
        Group.objects.get_or_create(name=name)


class Migration(migrations.Migration):
    dependencies = [("regions", "0001_initial"), ("auth", "0012_alter_user_first_name_max_length")]
    operations = [migrations.RunPython(create_roles, migrations.RunPython.noop)]
