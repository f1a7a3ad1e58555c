"""The import_roll command, the Celery tasks through a real worker, and confirming a batch twice."""

from __future__ import annotations

import json
import threading
from io import StringIO

import openpyxl
import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from registry.models import Elder
from imports import services
from imports.models import ImportBatch
from tests.celery_helpers import real_worker_if_broker

from .helpers import new_id, roll


def test_the_cli_imports_with_the_users_scope_and_prints_json_counts(officer, neighbour_elder, tmp_path):
    rows = [[new_id(), "甲", "H1", "凤岗路社区"], [neighbour_elder.id_number, "改名", "H1", "凤岗路社区"]]
    out = StringIO()
    report = tmp_path / "errors.xlsx"
    call_command("import_roll", str(roll(tmp_path, rows)), "--user", "officer", "--json",
                 "--error-report", str(report), stdout=out)
    counts = json.loads(out.getvalue())
    assert {k: counts[k] for k in ("new", "updated", "unchanged", "error")} == {
        "new": 1, "updated": 0, "unchanged": 0, "error": 1}
    assert openpyxl.load_workbook(report)["错误明细"].cell(row=2, column=1).value == 3
    neighbour_elder.refresh_from_db()
    assert neighbour_elder.name == "李建国"


def test_the_cli_dry_run_writes_nothing_and_strict_fails_loudly(officer, tmp_path):
    path = roll(tmp_path, [[new_id(), "甲", "H1", "凤岗路社区"], ["1", "乙", "H1", "凤岗路社区"]])
    out = StringIO()
    call_command("import_roll", str(path), "--user", "officer", "--dry-run", "--json", stdout=out)
    assert json.loads(out.getvalue())["new"] == 1 and not Elder.objects.exists()
    with pytest.raises(CommandError, match="严格模式"):
        call_command("import_roll", str(path), "--user", "officer", "--strict", stdout=StringIO())
    assert not Elder.objects.exists()
    with pytest.raises(CommandError, match="缺少必填列"):
        bad = tmp_path / "bad.csv"
        bad.write_text("身份证号码,姓名\n1,2\n", encoding="utf-8")
        call_command("import_roll", str(bad), "--user", "officer", "--kind", "roll", stdout=StringIO())


@pytest.mark.celery_worker
@pytest.mark.django_db(transaction=True)
def test_a_real_worker_validates_and_commits_a_batch(officer, tmp_path, settings):
    from imports.tasks import commit_batch, validate_batch

    settings.MEDIA_ROOT = tmp_path / "media"
    number = new_id()
    batch = services.batch_create(actor=officer, kind="roll", file=roll(tmp_path, [[number, "甲", "H1", "凤岗路社区"]]),
                                  enqueue=False)
    with real_worker_if_broker():
        assert validate_batch.delay(batch.pk).get(timeout=60) == "ready"  # task "imports.validate_batch"
        services.batch_confirm(actor=officer, batch=ImportBatch.objects.get(pk=batch.pk))
        assert commit_batch.delay(batch.pk).get(timeout=60) == "done"  # task "imports.commit_batch"
        assert commit_batch.delay(batch.pk).get(timeout=60) == "done"  # redelivery: a no-op
    assert Elder.objects.filter(id_number=number).count() == 1
    assert Elder.history.filter(id_number=number).count() == 1


def test_confirming_the_same_batch_twice_commits_once(officer, tmp_path, django_capture_on_commit_callbacks):
    batch = services.batch_create(actor=officer, kind="roll", file=roll(tmp_path, [[new_id(), "甲", "H1", "凤岗路社区"]]),
                                  enqueue=False)
    services.batch_validate(batch_id=batch.pk)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        services.batch_confirm(actor=officer, batch=batch)
        with pytest.raises(Exception, match="不能再次确认"):
            services.batch_confirm(actor=officer, batch=batch)
    assert len(callbacks) == 1
    services.batch_commit(batch_id=batch.pk)
    assert Elder.objects.count() == 1 and Elder.history.count() == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_simultaneous_confirms_commit_once_on_postgresql(officer, tmp_path, settings, eager_tasks):
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL row locks (select_for_update); SQLite serialises writers anyway")
    settings.MEDIA_ROOT = tmp_path / "media"
    batch = services.batch_create(actor=officer, kind="roll", file=roll(tmp_path, [[new_id(), "甲", "H1", "凤岗路社区"]]),
                                  enqueue=False)
    services.batch_validate(batch_id=batch.pk)
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def confirm():
        from django.db import connections

        barrier.wait()
        try:
            services.batch_confirm(actor=officer, batch=batch)
            outcomes.append("ok")
        except Exception as exc:  # noqa: BLE001
            outcomes.append(type(exc).__name__)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=confirm) for _ in range(2)]
    from imports import tasks

    original = tasks.commit_batch.delay
    tasks.commit_batch.delay = lambda pk: tasks.commit_batch.apply(args=[pk])
    try:
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    finally:
        tasks.commit_batch.delay = original
    assert sorted(outcomes) == ["ValidationError", "ok"]
    assert Elder.objects.count() == 1 and Elder.history.count() == 1
