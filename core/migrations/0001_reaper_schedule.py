"""Schedule the reaper (core.reap_stuck) every 5 minutes."""

from django.db import migrations

TASK_NAME = "系统运行：清理中断的后台任务（每5分钟）"


def create_schedule(apps, schema_editor):
    IntervalSchedule = apps.get_model("django_celery_beat", "IntervalSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    every, _ = IntervalSchedule.objects.get_or_create(every=5, period="minutes")
    PeriodicTask.objects.get_or_create(name=TASK_NAME, defaults={"task": "core.reap_stuck", "interval": every})


def remove_schedule(apps, schema_editor):
    apps.get_model("django_celery_beat", "PeriodicTask").objects.filter(name=TASK_NAME).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("django_celery_beat", "0019_alter_periodictasks_options"),
        ("eligibility", "0011_sweeprun_task_id_rerun"),
        ("imports", "0002_batch_task_bookkeeping"),
    ]
    operations = [migrations.RunPython(create_schedule, remove_schedule)]
