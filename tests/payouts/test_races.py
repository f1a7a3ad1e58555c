"""The payroll state machine under races and faults (issue 15 §1 and §8, issue 14 §8).

Replayed: a regeneration racing submit → approve → export (two bank files with the same lines), two
exports at once, raw SQL against exported lines, a GET that exported, a generation waiting forever
behind a county lock held by a dead client, and four eyes satisfied by the person who regenerated.
The races run on PostgreSQL (threads released together, ``tests/concurrency.py``); hooks inside the
services pause one side at the dangerous moment so the interleaving is the same on every run.
"""

from __future__ import annotations

import csv
import io
import threading
import time

import pytest
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.urls import reverse

from audit.models import AuditEvent
from core.locks import lock_key
from registry.models import Elder
from payouts import exports, generation, services
from payouts.models import BankFile, PayrollLine, PayrollRun
from regions import roles
from tests.concurrency import race, require_postgres
from tests.conftest import COUNTY, ensure_regions, make_staff
from tests.factories import benefit_with_tiers, elder_with_account, enrol

from .helpers import admin_and_reviewer, generate


def _world(n: int = 20):
    ensure_regions()
    b = benefit_with_tiers()
    elders = [elder_with_account() for _ in range(n)]
    for e in elders:
        enrol(e, b)
    return b, elders


def _walk_to_exported(admin, reviewer) -> None:
    """Submit → acknowledge → approve → export, as two people, each step on the run as it is then."""
    run = PayrollRun.objects.get()
    services.payroll_submit(actor=admin, run=run)
    services.checks_acknowledge(actor=reviewer, run=run)
    services.payroll_approve(actor=reviewer, run=run)
    services.payroll_export(actor=reviewer, run=run, file_format="csv")


def _file_keys(bank: BankFile) -> list[tuple[str, str, str, str]]:
    """(ID number, benefit, period, kind) of every data row of a stored bank file."""
    with services.open_bank_file(bank) as handle:
        rows = list(csv.reader(io.StringIO(handle.read().decode("utf-8-sig"))))
    return [(r[0], r[2], r[3], r[4]) for r in rows[1:-2]]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_attack_regenerate_racing_submit_approve_export_gives_one_bank_file_of_the_regenerated_lines(
        monkeypatch, settings):
    """15.1: bank accounts change, a regeneration starts; while it has deleted the stale lines the run
    is submitted, approved and exported. Before: the export shipped the old lines, the regeneration
    then reset the run to draft with new lines, and a second export shipped them again."""
    require_postgres()
    settings.PAYOUTS_LOCK_WAIT_SECONDS = 60
    b, elders = _world()
    admin, reviewer = admin_and_reviewer()
    generate()
    Elder.objects.filter(pk__in=[e.pk for e in elders]).update(bank_account="6222029999000011112")

    deleted, original = threading.Event(), generation.delete_stale_lines

    def slow_delete(run, benefits):
        n = original(run, benefits)
        deleted.set()
        time.sleep(1.5)  # the other side now tries to submit, approve and export
        return n

    monkeypatch.setattr(generation, "delete_stale_lines", slow_delete)

    def regenerate():
        generate()

    def submit_approve_export():
        assert deleted.wait(30)
        _walk_to_exported(admin, reviewer)

    assert race([regenerate, submit_approve_export]) == ["ok", "ok"]
    run = PayrollRun.objects.get()
    assert run.status == "exported"
    notes = list(run.transitions.values_list("note", "to_status"))
    assert [n for n, _ in notes][:2] == ["生成", "重新生成"]  # the regeneration finished before the submit
    assert BankFile.objects.count() == 1
    keys = _file_keys(run.bank_file)
    assert len(keys) == len(set(keys)) == 20
    # the file holds the regenerated lines: the new account on every line, in the file and the table
    assert set(run.lines.values_list("bank_account", flat=True)) == {"6222029999000011112"}
    with services.open_bank_file(run.bank_file) as handle:
        assert handle.read().decode("utf-8-sig").count("6222029999000011112") == 20
    # and the run can never be regenerated into a second file
    with pytest.raises(ValidationError, match="只有草稿可以重新生成"):
        generate()
    assert PayrollLine.objects.count() == 20


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_attack_regenerate_while_the_export_is_writing_waits_and_is_refused(monkeypatch, settings):
    """The other order: the export holds the run while it writes the file; a regeneration that starts
    then waits for it and finds an exported run — it neither deletes nor resets anything."""
    require_postgres()
    settings.PAYOUTS_LOCK_WAIT_SECONDS = 60
    b, elders = _world()
    admin, reviewer = admin_and_reviewer()
    run = generate()
    services.payroll_submit(actor=admin, run=run)
    services.checks_acknowledge(actor=reviewer, run=run)
    services.payroll_approve(actor=reviewer, run=run)
    Elder.objects.filter(pk__in=[e.pk for e in elders]).update(bank_account="6222029999000011112")

    writing, original = threading.Event(), exports.write_bank_file

    def slow_write(run, file_format, out):
        facts = original(run, file_format, out)
        writing.set()
        time.sleep(1.5)
        return facts

    monkeypatch.setattr(exports, "write_bank_file", slow_write)

    def export():
        services.payroll_export(actor=reviewer, run=run, file_format="csv")

    def regenerate():
        assert writing.wait(30)
        generate()

    outcomes = race([export, regenerate])
    assert outcomes[1] == "ok"
    assert outcomes[0].startswith("ValidationError: 只有草稿可以重新生成") and "已导出" in outcomes[0]
    run.refresh_from_db()
    assert run.status == "exported" and BankFile.objects.count() == 1
    assert set(run.lines.values_list("bank_account", flat=True)) != {"6222029999000011112"}  # untouched


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_exports_at_once_produce_one_bank_file_and_the_same_bytes():
    require_postgres()
    _world()
    admin, reviewer = admin_and_reviewer()
    run = generate()
    services.payroll_submit(actor=admin, run=run)
    services.checks_acknowledge(actor=reviewer, run=run)
    services.payroll_approve(actor=reviewer, run=run)
    got: list[tuple[bytes, bool]] = []

    def export(fmt):
        def job():
            bank, produced = services.payroll_export(actor=reviewer, run=run, file_format=fmt)
            with services.open_bank_file(bank) as handle:
                got.append((handle.read(), produced))
        return job

    assert race([export("csv"), export("xlsx")]) == ["ok", "ok"]
    assert sorted(p for _, p in got) == [False, True]
    assert got[0][0] == got[1][0]
    assert BankFile.objects.count() == 1
    run.refresh_from_db()
    assert list(run.transitions.filter(to_status="exported").values_list("from_status", flat=True)) == ["approved"]
    events = AuditEvent.objects.filter(object_id=str(run.pk))
    assert events.filter(event="payouts.export").count() == 1 and events.filter(event="payouts.export_resend").count() == 1


@pytest.mark.django_db
def test_exporting_twice_re_sends_identical_bytes_never_new_lines(regions):
    b = benefit_with_tiers()
    elders = [elder_with_account() for _ in range(3)]
    for e in elders:
        enrol(e, b)
    admin, reviewer = admin_and_reviewer()
    run = generate()
    services.payroll_submit(actor=admin, run=run)
    services.payroll_approve(actor=reviewer, run=run)
    first, produced = services.payroll_export(actor=reviewer, run=run, file_format="csv")
    with services.open_bank_file(first) as handle:
        before = handle.read()
    # a new elder enrolled since: a second export must not pick the new line up, nor any change
    enrol(elder_with_account(), b)
    Elder.objects.filter(pk=elders[0].pk).update(name="改过的名字")
    again, produced_again = services.payroll_export(actor=reviewer, run=run, file_format="xlsx")
    with services.open_bank_file(again) as handle:
        assert handle.read() == before
    assert produced and not produced_again and again.pk == first.pk and again.line_count == 3


@pytest.mark.django_db
def test_a_tampered_stored_bank_file_is_refused_not_re_made(regions):
    b = benefit_with_tiers()
    enrol(elder_with_account(), b)
    admin, reviewer = admin_and_reviewer()
    run = generate()
    services.payroll_submit(actor=admin, run=run)
    services.payroll_approve(actor=reviewer, run=run)
    bank, _ = services.payroll_export(actor=reviewer, run=run)
    with open(bank.file.path, "ab") as f:
        f.write(b"6222,extra,row\n")
    with pytest.raises(ValidationError, match="校验值不符"):
        services.open_bank_file(bank)


@pytest.mark.postgres
@pytest.mark.django_db
def test_attack_raw_sql_cannot_change_or_delete_exported_lines_or_reopen_the_run(regions):
    """The database itself refuses: UPDATE of money or identity columns, DELETE of exported lines
    (also through the generator's own stale-line delete), moving the run back before 已导出, and
    changing or deleting the stored bank file. Marking lines paid (the return file) still works."""
    require_postgres()
    b = benefit_with_tiers()
    elders = [elder_with_account() for _ in range(3)]
    for e in elders:
        enrol(e, b)
    admin, reviewer = admin_and_reviewer()
    run = generate()
    services.payroll_submit(actor=admin, run=run)
    services.payroll_approve(actor=reviewer, run=run)
    services.payroll_export(actor=reviewer, run=run)
    line = run.lines.first()
    refused = [
        ("UPDATE payouts_payrollline SET amount = amount + 1 WHERE id = %s", [line.pk]),
        ("UPDATE payouts_payrollline SET bank_account = '6222000000000000000' WHERE id = %s", [line.pk]),
        ("UPDATE payouts_payrollline SET elder_id = %s WHERE id = %s", [elder_with_account().pk, line.pk]),
        ("UPDATE payouts_payrollline SET period = period + 31 WHERE id = %s", [line.pk]),
        ("UPDATE payouts_payrollline SET kind = 'arrears' WHERE run_id = %s", [run.pk]),
        # "carrying" a line the bank did not refuse (only failed lines may move on)
        ("UPDATE payouts_payrollline SET carried_from_id = run_id, bank_account = '6222000000000000000' "
         "WHERE id = %s", [line.pk]),
        ("DELETE FROM payouts_payrollline WHERE id = %s", [line.pk]),
        ("DELETE FROM payouts_payrollline WHERE run_id = %s", [run.pk]),
        ("UPDATE payouts_payrollrun SET status = 'draft' WHERE id = %s", [run.pk]),
        ("UPDATE payouts_bankfile SET sha256 = 'x' WHERE run_id = %s", [run.pk]),
        ("DELETE FROM payouts_bankfile WHERE run_id = %s", [run.pk]),
    ]
    for sql, params in refused:
        with pytest.raises(IntegrityError, match="已导出|银行代发文件"), transaction.atomic(), connection.cursor() as c:
            c.execute(sql, params)
    Elder.objects.filter(pk__in=[e.pk for e in elders]).update(bank_account="6222029999000011112")
    with pytest.raises(IntegrityError, match="不能删除"), transaction.atomic():
        generation.delete_stale_lines(run, [b])
    assert run.lines.count() == 3 and PayrollRun.objects.get(pk=run.pk).status == "exported"
    with transaction.atomic(), connection.cursor() as c:
        c.execute("UPDATE payouts_payrollline SET status = 'paid' WHERE run_id = %s", [run.pk])
    assert set(run.lines.values_list("status", flat=True)) == {"paid"}


@pytest.mark.django_db
def test_attack_get_of_the_bank_export_url_does_not_export(client, regions):
    """14.8: a GET (a link, an <img src>, a prefetch) used to move the run to 已导出 and produce the
    file. Now it shows the confirmation page; only the POST from that page exports."""
    b = benefit_with_tiers()
    enrol(elder_with_account(), b)
    admin, reviewer = admin_and_reviewer()
    run = generate()
    services.payroll_submit(actor=admin, run=run)
    services.payroll_approve(actor=reviewer, run=run)
    client.force_login(reviewer)
    url = reverse("payouts:run_export", args=[run.pk])
    for query in ({"what": "bank", "format": "csv"}, {"what": "bank", "format": "xlsx"}, {}):
        response = client.get(url, query)
        assert response.status_code == 200 and "生成并下载" in response.content.decode()
    run.refresh_from_db()
    assert run.status == "approved" and not BankFile.objects.exists()
    assert not run.transitions.filter(to_status="exported").exists()
    assert not AuditEvent.objects.filter(event__startswith="payouts.export").exists()
    response = client.post(url, {"what": "bank", "format": "csv"})
    assert response.status_code == 200 and response["Content-Disposition"].startswith("attachment")
    assert PayrollRun.objects.get(pk=run.pk).status == "exported"


@pytest.mark.postgres
@pytest.mark.django_db
def test_generate_behind_a_county_lock_held_by_a_dead_client_answers_in_seconds(regions, settings):
    """15.8: a client killed while it held the county's lock (its backend not reaped yet) made every
    later generation wait forever. Now it answers within the configured wait, in Chinese."""
    require_postgres()
    import psycopg

    settings.PAYOUTS_LOCK_WAIT_SECONDS = 1
    b = benefit_with_tiers()
    enrol(elder_with_account(), b)
    params = connection.settings_dict
    holder = psycopg.connect(dbname=params["NAME"], user=params["USER"], host=params["HOST"] or None,
                             port=params["PORT"] or None, password=params["PASSWORD"] or None)
    try:
        holder.execute("BEGIN")
        holder.execute("SELECT pg_advisory_xact_lock(%s)", [lock_key(f"payouts.generate:{COUNTY[:6]}")])
        start = time.monotonic()
        with pytest.raises(ValidationError, match="本县工资册正在生成或办理中，请稍后再试"):
            generate()
        assert time.monotonic() - start < 5
        assert not PayrollRun.objects.exists()
    finally:
        holder.close()
    assert generate().lines.count() == 1  # the lock gone, it works


@pytest.mark.django_db
def test_attack_the_reviewer_who_regenerated_the_run_cannot_approve_it(regions):
    """14.3 (payroll part): a reviewer who also holds the administrator role regenerates the draft
    (after changing what it pays); a colleague submits; the reviewer may not approve it."""
    b = benefit_with_tiers()
    enrol(elder_with_account(), b)
    admin, reviewer = admin_and_reviewer()
    both = make_staff("both_hats_regen", roles.FINANCE_REVIEWER, COUNTY)
    both.groups.add(Group.objects.get(name=roles.COUNTY_ADMIN))
    both = type(both).objects.get(pk=both.pk)
    run = generate(actor=admin)
    generate(actor=both)  # regenerate
    services.payroll_submit(actor=admin, run=run)
    assert services.run_participant_ids(run) == {admin.pk, both.pk}
    with pytest.raises(ValidationError, match="审核人不能是本记录的录入、修改或提交人"):
        services.payroll_approve(actor=both, run=run)
    assert PayrollRun.objects.get(pk=run.pk).status == "submitted"
    assert services.payroll_approve(actor=reviewer, run=run).status == "approved"


@pytest.mark.django_db
def test_attack_submit_return_resubmit_keeps_the_first_submitter_out_of_approval(regions):
    b = benefit_with_tiers()
    enrol(elder_with_account(), b)
    admin, reviewer = admin_and_reviewer()
    both = make_staff("both_hats_sub", roles.FINANCE_REVIEWER, COUNTY)
    both.groups.add(Group.objects.get(name=roles.COUNTY_ADMIN))
    both = type(both).objects.get(pk=both.pk)
    run = generate()
    services.payroll_submit(actor=both, run=run)
    services.payroll_return(actor=reviewer, run=run, note="改")
    services.payroll_submit(actor=admin, run=run)
    assert services.run_participant_ids(run) == {admin.pk, both.pk}  # the returning reviewer is not one
    with pytest.raises(ValidationError, match="双人复核"):
        services.payroll_approve(actor=both, run=run)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_approvals_at_once_one_wins_the_other_is_told_why():
    require_postgres()
    _world(3)
    admin, reviewer = admin_and_reviewer()
    other = make_staff("pay_reviewer_2", roles.FINANCE_REVIEWER, COUNTY)
    run = generate()
    services.payroll_submit(actor=admin, run=run)
    services.checks_acknowledge(actor=reviewer, run=run)
    outcomes = race([lambda: services.payroll_approve(actor=reviewer, run=run),
                     lambda: services.payroll_approve(actor=other, run=run)])
    assert outcomes == ["ValidationError: 批次当前为“已审核”，不能变为“已审核”", "ok"]
    assert PayrollRun.objects.get(pk=run.pk).transitions.filter(to_status="approved").count() == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_return_racing_an_approval_serialises_and_the_loser_is_told_why():
    require_postgres()
    _world(3)
    admin, reviewer = admin_and_reviewer()
    run = generate()
    services.payroll_submit(actor=admin, run=run)
    outcomes = race([lambda: services.payroll_return(actor=reviewer, run=run),
                     lambda: services.payroll_approve(actor=reviewer, run=run)])
    run.refresh_from_db()
    if run.status == "approved":  # the approval came first; the return found it approved
        assert outcomes == ["ValidationError: 批次当前为“已审核”，不能变为“草稿”", "ok"]
        assert run.approved_by == reviewer and run.submitted_by == admin
    else:  # the return came first; the approval found a draft
        assert outcomes == ["ValidationError: 批次当前为“草稿”，不能变为“已审核”", "ok"]
        assert run.status == "draft" and run.submitted_by is None and run.approved_by is None
    assert run.transitions.exclude(to_status="draft", from_status="").count() == 2
