"""Each task family, through a real worker when a broker is configured."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.utils import timezone

from audit.models import AuditEvent
from audit.services import record
from audit.tasks import purge_expired

from .celery_helpers import real_worker_if_broker


@pytest.mark.celery_worker
@pytest.mark.django_db(transaction=True)
def test_audit_purge_task_removes_only_expired_events_and_is_idempotent(settings):
    with time_machine.travel(timezone.now() - dt.timedelta(days=settings.AUDIT_RETENTION_DAYS + 5)):
        record(actor=None, event="test.old")
    record(actor=None, event="test.recent")
    with real_worker_if_broker():
        first = purge_expired.delay().get(timeout=60)
        second = purge_expired.delay().get(timeout=60)
    assert (first, second) == (1, 0)
    assert list(AuditEvent.objects.filter(event__startswith="test.").values_list("event", flat=True)) == ["test.recent"]


@pytest.mark.django_db
def test_audit_purge_is_scheduled_nightly_in_beijing_time():
    from django_celery_beat.models import PeriodicTask

    task = PeriodicTask.objects.get(task="audit.purge_expired")
    assert (task.crontab.hour, task.crontab.minute, str(task.crontab.timezone)) == ("3", "30", "Asia/Shanghai")
    assert task.enabled
