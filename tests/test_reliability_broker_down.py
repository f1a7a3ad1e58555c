"""The broker is down (a closed port): every page that queues a task answers at once with a Chinese
message, keeps what the user sent, and leaves the batch where the user can act on it."""

from __future__ import annotations

import contextlib
import datetime as dt
import time

import pytest
from django.urls import reverse
from django.utils import timezone

from audit.models import AuditEvent
from core.tasks import BROKER_DOWN_MESSAGE, BrokerUnavailable, enqueue
from registry.models import Elder
from imports.models import ImportBatch
from payouts.models import PayrollRun

from .celery_helpers import tasks_eager
from .imports.helpers import new_id, roll

CLOSED_PORT = "redis://127.0.0.1:1/0"


@contextlib.contextmanager
def broker(url: str | None):
    """Point the Celery app at ``url`` (None: eager, no broker) and restore it afterwards."""
    import os

    from config.celery import app

    before = (app.conf.broker_url, os.environ.get("CELERY_BROKER_URL"))
    app.conf.broker_url = url or ""
    if url:  # Celery reads the environment variable before its configuration
        os.environ["CELERY_BROKER_URL"] = url
    try:
        with tasks_eager(url is None):
            yield
    finally:
        app.conf.broker_url = before[0]
        if before[1] is None:
            os.environ.pop("CELERY_BROKER_URL", None)
        else:
            os.environ["CELERY_BROKER_URL"] = before[1]


@pytest.fixture(autouse=True)
def _media_in_tmp(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def _upload(client, path):
    with open(path, "rb") as fh:
        return client.post(reverse("imports:upload"), {"kind": "roll", "mode": "skip", "file": fh}, follow=True)


def _ready_batch(client, tmp_path) -> ImportBatch:
    with broker(None):
        _upload(client, roll(tmp_path, [[new_id(), "张三", "H1", "凤岗路社区"]]))
    batch = ImportBatch.objects.get()
    assert batch.status == ImportBatch.Status.READY
    return batch


def test_fault_enqueue_to_a_closed_broker_port_raises_at_once():
    from audit.tasks import purge_expired

    started = time.monotonic()
    with broker(CLOSED_PORT), pytest.raises(BrokerUnavailable) as caught:
        enqueue(purge_expired)
    assert time.monotonic() - started < 3
    assert str(caught.value) == BROKER_DOWN_MESSAGE


@pytest.mark.django_db(transaction=True)
def test_fault_broker_down_at_upload_answers_at_once_keeps_the_file_and_the_reaper_validates_it_later(
    client, officer, tmp_path
):
    client.force_login(officer)
    started = time.monotonic()
    with broker(CLOSED_PORT):
        response = _upload(client, roll(tmp_path, [[new_id(), "张三", "H1", "凤岗路社区"]]))
    assert time.monotonic() - started < 3
    assert response.status_code == 200 and BROKER_DOWN_MESSAGE in response.content.decode()
    batch = ImportBatch.objects.get()
    assert batch.status == ImportBatch.Status.PENDING and batch.file and batch.queued_at is None
    assert AuditEvent.objects.filter(event="imports.batch_dispatch_failed", object_id=str(batch.pk)).exists()

    # the broker is back: the reaper's pass queues the validation that never got queued
    from core.reaper import reap

    with broker(None):
        result = reap(now=timezone.now() + dt.timedelta(minutes=5))
    assert result.requeued == [batch.pk]
    batch.refresh_from_db()
    assert batch.status == ImportBatch.Status.READY and batch.can_confirm


@pytest.mark.django_db(transaction=True)
def test_fault_broker_down_at_confirm_answers_at_once_and_the_batch_stays_confirmable(client, officer, tmp_path):
    client.force_login(officer)
    batch = _ready_batch(client, tmp_path)

    started = time.monotonic()
    with broker(CLOSED_PORT):
        response = client.post(reverse("imports:batch_confirm", args=[batch.pk]))
    assert time.monotonic() - started < 3
    assert response.status_code == 200 and BROKER_DOWN_MESSAGE in response.content.decode()
    batch.refresh_from_db()
    assert batch.status == ImportBatch.Status.READY and batch.can_confirm
    assert not Elder.objects.exists()

    with broker(None):
        client.post(reverse("imports:batch_confirm", args=[batch.pk]))
    batch.refresh_from_db()
    assert batch.status == ImportBatch.Status.DONE
    assert Elder.objects.get().name == "张三"


@pytest.mark.django_db(transaction=True)
def test_fault_broker_down_at_confirm_leaves_the_batch_cancellable(client, officer, tmp_path):
    client.force_login(officer)
    batch = _ready_batch(client, tmp_path)
    with broker(CLOSED_PORT):
        client.post(reverse("imports:batch_confirm", args=[batch.pk]))
    response = client.post(reverse("imports:batch_cancel", args=[batch.pk]))
    assert response.status_code == 200
    batch.refresh_from_db()
    assert batch.status == ImportBatch.Status.CANCELLED


@pytest.mark.django_db
def test_fault_broker_down_at_payroll_generate_answers_at_once_with_the_message(client, county_admin, regions):
    client.force_login(county_admin)
    started = time.monotonic()
    with broker(CLOSED_PORT):
        response = client.post(reverse("payouts:run_generate"),
                               {"county": regions["610403000000"].pk, "period": "2026-12"})
    assert time.monotonic() - started < 3
    assert response.status_code == 200 and BROKER_DOWN_MESSAGE in response.content.decode()
    assert not PayrollRun.objects.exists()
