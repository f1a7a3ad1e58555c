"""Celery application. Without CELERY_BROKER_URL tasks run eagerly in-process (embedded demo).

Every task is a ``core.tasks.ReliableTask``: published from a web request it reaches the broker within
a second or two or raises ``BrokerUnavailable`` (docs/deploy.md "Tasks")."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("yiyang", task_cls="core.tasks:ReliableTask")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
