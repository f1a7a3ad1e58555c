"""Elder, Household and their history models now belong to the registry app: their content types
follow them (app_label eligibility → registry), so the permissions hung on them (view_elder,
view_full_id_number, …), the groups and users holding those permissions, guardian object
permissions and admin log entries keep pointing at the same model under its new label.

If Django has already created registry content types for these models (a ``migrate`` that stopped
after registry 0001 runs post_migrate), their rows are merged into the old ones: the old content
type keeps its id, the new one's permissions and references are moved onto it, the duplicate goes.
"""

from django.db import IntegrityError, migrations, transaction

MOVED = ("elder", "household", "historicalelder", "historicalhousehold")


def _references(apps, target_model):
    """(model, field name) of every foreign key to ``target_model`` in the migration state."""
    for model in apps.get_models(include_auto_created=True):
        for field in model._meta.concrete_fields:
            if field.many_to_one and field.related_model is target_model:
                yield model, field.name


def _repoint(apps, db, target_model, source, target):
    """Move every row that references ``source`` to ``target``; a row that would then duplicate
    one already there (a group holding both permissions) is deleted instead."""
    for model, name in _references(apps, target_model):
        for row in model._base_manager.using(db).filter(**{name: source}):
            try:
                with transaction.atomic(using=db):
                    model._base_manager.using(db).filter(pk=row.pk).update(**{name: target})
            except IntegrityError:
                model._base_manager.using(db).filter(pk=row.pk).delete()


def _relabel(apps, schema_editor, old_label, new_label):
    ContentType = apps.get_model("contenttypes", "ContentType")
    Permission = apps.get_model("auth", "Permission")
    db = schema_editor.connection.alias
    types = ContentType.objects.using(db)
    for model in MOVED:
        kept = types.filter(app_label=old_label, model=model).first()
        if kept is None:
            continue  # a new database: post_migrate creates the registry's content types
        duplicate = types.filter(app_label=new_label, model=model).first()
        if duplicate is not None:
            for perm in Permission.objects.using(db).filter(content_type=duplicate):
                twin = Permission.objects.using(db).filter(content_type=kept, codename=perm.codename).first()
                if twin is None:
                    Permission.objects.using(db).filter(pk=perm.pk).update(content_type=kept)
                else:
                    _repoint(apps, db, Permission, perm, twin)
                    Permission.objects.using(db).filter(pk=perm.pk).delete()
            _repoint(apps, db, ContentType, duplicate, kept)
            types.filter(pk=duplicate.pk).delete()
        types.filter(pk=kept.pk).update(app_label=new_label)


def forwards(apps, schema_editor):
    _relabel(apps, schema_editor, "eligibility", "registry")


def backwards(apps, schema_editor):
    _relabel(apps, schema_editor, "registry", "eligibility")


class Migration(migrations.Migration):

    dependencies = [
        ("registry", "0001_initial"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("admin", "0003_logentry_add_action_flag_choices"),
        ("guardian", "0003_remove_groupobjectpermission_guardian_gr_content_ae6aec_idx_and_more"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
