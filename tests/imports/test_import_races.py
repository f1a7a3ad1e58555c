"""Imports racing each other and database faults during an import (issue 15, findings 2 and 7).

Races run on PostgreSQL (row locks, unique indexes); each thread has its own connection and the
barrier is placed where the race used to hurt: after both imports have read the stored elders and
before either writes."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import IntegrityError, OperationalError, connection

from registry.importers import parsing
from registry.models import Elder
from imports import bulk, services
from imports.models import ImportBatch
from tests.concurrency import race, require_postgres
from tests.conftest import VILLAGE

from .helpers import import_now, new_id, roll

N = 150
HEADER = ["身份证号码", "姓名", "户号", "村(社区)", "联系电话", "现住址"]


def _ids(n: int = N) -> list[str]:
    return [new_id(birth=dt.date(1940, 1, 1) + dt.timedelta(days=i)) for i in range(n)]


def _seed(user, tmp_path, ids):
    rows = [[number, f"老人{i}", f"H{i}", VILLAGE, "13800000000", "旧址"] for i, number in enumerate(ids)]
    batch = import_now(user, roll(tmp_path, rows, header=HEADER, name="seed.xlsx"))
    assert batch.counts["new"] == len(ids)


def _barrier_before_writes(monkeypatch, parties: int = 2):
    """Hold every import at the start of its writes until all have read the stored elders."""
    barrier = threading.Barrier(parties, timeout=60)
    original = parsing._apply_updates
    seen: set[int] = set()

    def held(*args, **kwargs):
        if threading.get_ident() not in seen:
            seen.add(threading.get_ident())
            barrier.wait()
        return original(*args, **kwargs)

    monkeypatch.setattr(parsing, "_apply_updates", held)
    import registry.importers.roll as roll_module

    monkeypatch.setattr(roll_module, "_apply_updates", held)


def _in_thread(user, path):
    return lambda: import_now(user, path)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_race_two_rolls_changing_different_columns_of_the_same_elders_lose_no_update(
    county_admin, tmp_path, monkeypatch
):
    """Roll A changes every phone (and one address), roll B every address (and one phone), imported
    at once. The old chunk upsert wrote every column any row of the chunk changed, from values read
    without a lock: whichever committed second put the other's column back (1,996 phones lost)."""
    require_postgres()
    ids = _ids()
    _seed(county_admin, tmp_path, ids)
    # blank cells mean "not given": each roll only carries its own changes
    a_rows = [[n, f"老人{i}", f"H{i}", VILLAGE, "" if i == 1 else "13911112222", "A改的址" if i == 0 else ""]
              for i, n in enumerate(ids)]
    b_rows = [[n, f"老人{i}", f"H{i}", VILLAGE, "13733334444" if i == 1 else "", "" if i == 0 else "B改的址"]
              for i, n in enumerate(ids)]
    a = roll(tmp_path, a_rows, header=HEADER, name="a.xlsx")
    b = roll(tmp_path, b_rows, header=HEADER, name="b.xlsx")
    _barrier_before_writes(monkeypatch)
    assert race([_in_thread(county_admin, a), _in_thread(county_admin, b)]) == ["ok", "ok"]
    stored = {e.id_number: (e.phone, e.address) for e in Elder.objects.all()}
    assert stored[ids[0]] == ("13911112222", "A改的址")
    assert stored[ids[1]] == ("13733334444", "B改的址")
    assert all(stored[n] == ("13911112222", "B改的址") for n in ids[2:])
    for batch in ImportBatch.objects.exclude(filename="seed.xlsx"):
        assert batch.status == ImportBatch.Status.DONE and batch.counts["updated"] == N - 1  # one row changes nothing


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_race_the_same_update_file_imported_twice_at_once_writes_its_changes_and_history_once(
    county_admin, tmp_path, monkeypatch
):
    require_postgres()
    ids = _ids()
    _seed(county_admin, tmp_path, ids)
    rows = [[n, f"老人{i}", f"H{i}", VILLAGE, "13955556666", ""] for i, n in enumerate(ids)]
    path = roll(tmp_path, rows, header=HEADER, name="same.xlsx")
    _barrier_before_writes(monkeypatch)
    assert race([_in_thread(county_admin, path), _in_thread(county_admin, path)]) == ["ok", "ok"]
    assert set(Elder.objects.values_list("phone", flat=True)) == {"13955556666"}
    assert Elder.history.filter(history_type="~").count() == N  # once, not twice
    counts = sorted((b.counts["updated"], b.counts["unchanged"])
                    for b in ImportBatch.objects.filter(filename="same.xlsx"))
    assert counts == [(0, N), (N, 0)]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_race_the_same_column_changed_by_two_imports_is_reported_not_silently_overwritten(
    county_admin, tmp_path, monkeypatch
):
    """A true write-write conflict (two files, two different new phones): the import that writes
    second finds the value changed since it read it, does not overwrite it, and says so per row."""
    require_postgres()
    ids = _ids(5)
    _seed(county_admin, tmp_path, ids)
    first = roll(tmp_path, [[n, f"老人{i}", f"H{i}", VILLAGE, "13911110000", ""] for i, n in enumerate(ids)],
                 header=HEADER, name="first.xlsx")
    second = roll(tmp_path, [[n, f"老人{i}", f"H{i}", VILLAGE, "13922220000", ""] for i, n in enumerate(ids)],
                  header=HEADER, name="second.xlsx")
    _barrier_before_writes(monkeypatch)
    assert race([_in_thread(county_admin, first), _in_thread(county_admin, second)]) == ["ok", "ok"]
    phones = set(Elder.objects.values_list("phone", flat=True))
    assert len(phones) == 1  # one file's phones, whole
    loser = ImportBatch.objects.filter(filename__in=["first.xlsx", "second.xlsx"], counts__updated=0).get()
    assert loser.counts["error"] == 5
    assert "已被他人修改" in loser.preview["errors"][0]["reason"]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_race_two_imports_of_the_same_new_elders_both_end_cleanly(county_admin, tmp_path, monkeypatch):
    """The second insert of the same new elders hits the unique index: it used to fail with a raw
    IntegrityError (CLI: a traceback, the batch left 待处理). Now it is re-validated and retried: the
    elders the other import stored are then unchanged rows."""
    require_postgres()
    ids = _ids(40)
    path = roll(tmp_path, [[n, f"新人{i}", f"N{i}", VILLAGE, "", ""] for i, n in enumerate(ids)],
                header=HEADER, name="new.xlsx")
    barrier = threading.Barrier(2, timeout=60)
    original = bulk.insert_rows
    seen: set[int] = set()

    def held(*args, **kwargs):
        if threading.get_ident() not in seen:
            seen.add(threading.get_ident())
            barrier.wait()
        return original(*args, **kwargs)

    monkeypatch.setattr(bulk, "insert_rows", held)
    assert race([_in_thread(county_admin, path), _in_thread(county_admin, path)]) == ["ok", "ok"]
    assert Elder.objects.count() == 40 and Elder.history.count() == 40
    outcomes = sorted((b.status, b.counts["new"], b.counts["unchanged"]) for b in ImportBatch.objects.all())
    assert outcomes == [("done", 0, 40), ("done", 40, 0)]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_race_two_portal_commits_of_the_same_new_elders_both_end_cleanly(county_admin, tmp_path, monkeypatch):
    require_postgres()
    ids = _ids(30)
    path = roll(tmp_path, [[n, f"新人{i}", f"N{i}", VILLAGE, "", ""] for i, n in enumerate(ids)],
                header=HEADER, name="portal.xlsx")
    batches = []
    for _ in range(2):
        batch = services.batch_create(actor=county_admin, kind="roll", file=path, enqueue=False)
        services.batch_validate(batch_id=batch.pk)
        ImportBatch.objects.filter(pk=batch.pk).update(status=ImportBatch.Status.COMMITTING)
        batches.append(batch.pk)
    barrier = threading.Barrier(2, timeout=60)
    original = bulk.insert_rows
    seen: set[int] = set()

    def held(*args, **kwargs):
        if threading.get_ident() not in seen:
            seen.add(threading.get_ident())
            barrier.wait()
        return original(*args, **kwargs)

    monkeypatch.setattr(bulk, "insert_rows", held)
    assert race([lambda pk=pk: services.batch_commit(batch_id=pk) for pk in batches]) == ["ok", "ok"]
    states = sorted((b.status, b.counts["new"]) for b in ImportBatch.objects.filter(pk__in=batches))
    assert states == [("done", 0), ("done", 30)]
    assert Elder.objects.count() == 30


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_fault_import_roll_connection_killed_fails_the_batch_with_a_chinese_message(
    county_admin, tmp_path, monkeypatch
):
    """pg_terminate_backend mid-import: a raw traceback and a batch left 待处理 before."""
    require_postgres()
    path = roll(tmp_path, [[new_id(), "甲", "H1", VILLAGE, "", ""]], header=HEADER)
    original = bulk.insert_rows

    def killed(*args, **kwargs):
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_terminate_backend(pg_backend_pid())")
        return original(*args, **kwargs)

    monkeypatch.setattr(bulk, "insert_rows", killed)
    with pytest.raises(CommandError, match="数据库连接中断或数据库出错"):
        call_command("import_roll", str(path), "--user", county_admin.username)
    batch = ImportBatch.objects.get()
    assert batch.status == ImportBatch.Status.FAILED and "未写入任何数据" in batch.message
    assert not Elder.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_fault_import_roll_on_a_database_error_fails_the_batch_and_exits_non_zero(county_admin, tmp_path, monkeypatch):
    path = roll(tmp_path, [[new_id(), "甲", "H1", VILLAGE, "", ""]], header=HEADER)

    def broken(*args, **kwargs):
        raise OperationalError("server closed the connection unexpectedly")

    monkeypatch.setattr(bulk, "insert_rows", broken)
    with pytest.raises(CommandError, match="数据库连接中断或数据库出错（OperationalError）"):
        call_command("import_roll", str(path), "--user", county_admin.username)
    batch = ImportBatch.objects.get()
    assert batch.status == ImportBatch.Status.FAILED and "请稍后重新导入" in batch.message


@pytest.mark.django_db(transaction=True)
def test_fault_import_roll_unique_violation_that_persists_fails_cleanly_after_retries(
    county_admin, tmp_path, monkeypatch
):
    path = roll(tmp_path, [[new_id(), "甲", "H1", VILLAGE, "", ""]], header=HEADER)
    calls = []

    def conflict(*args, **kwargs):
        calls.append(1)
        raise IntegrityError('duplicate key value violates unique constraint "eligibility_elder_id_number_key"')

    monkeypatch.setattr(bulk, "insert_rows", conflict)
    with pytest.raises(CommandError, match="与同时进行的另一导入冲突"):
        call_command("import_roll", str(path), "--user", county_admin.username)
    assert len(calls) == services.ATTEMPTS
    batch = ImportBatch.objects.get()
    assert batch.status == ImportBatch.Status.FAILED and "已重试 3 次" in batch.message
