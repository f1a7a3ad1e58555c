"""The payroll pages as a county admin, a finance reviewer and a township officer use them."""

from __future__ import annotations

import pytest
from django.urls import reverse

from payouts.models import PayrollRun
from tests.conftest import NEIGHBOUR_VILLAGE, VILLAGE
from tests.factories import benefit_with_tiers, elder_with_account, enrol

from .helpers import generate, paid_out

pytestmark = pytest.mark.django_db


@pytest.fixture
def run(regions):
    b = benefit_with_tiers()
    enrol(elder_with_account(VILLAGE, name="本乡老人"), b)
    enrol(elder_with_account(NEIGHBOUR_VILLAGE, name="邻乡老人"), b)
    enrol(elder_with_account(VILLAGE, account="", name="缺账号老人"), b)
    return generate()


def test_a_county_admin_generates_a_run_from_the_page(client, county_admin, regions, monkeypatch, eager_tasks):
    # eager_tasks: the page waits for an in-process task; a real worker is tested elsewhere
    b = benefit_with_tiers()
    enrol(elder_with_account(), b)
    client.force_login(county_admin)
    page = client.get(reverse("payouts:run_generate"))
    assert "杨陵区" in page.content.decode()
    response = client.post(reverse("payouts:run_generate"), {"county": regions["610403000000"].pk, "period": "2026-12"})
    run = PayrollRun.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("payouts:run_detail", args=[run.pk])
    assert run.created_by == county_admin and run.lines.count() == 1
    bad = client.post(reverse("payouts:run_generate"), {"county": regions["610403000000"].pk, "period": "2026-13"})
    assert "YYYY-MM" in bad.content.decode()


def test_the_run_page_shows_totals_per_benefit_and_township_and_the_checks(client, county_admin, run):
    client.force_login(county_admin)
    html = client.get(reverse("payouts:run_detail", args=[run.pk])).content.decode()
    assert "3 笔，300.00 元" in html
    assert "杨陵街道" in html and "李台街道" in html
    assert "银行账号缺失或格式不正确" in html and "缺账号老人" in html
    lines = client.get(reverse("payouts:run_lines", args=[run.pk]), {"township": "610403002000"}).content.decode()
    assert "邻乡老人" in lines and "本乡老人" not in lines


def test_a_township_officer_sees_only_their_townships_lines(client, officer, run):
    client.force_login(officer)
    html = client.get(reverse("payouts:run_detail", args=[run.pk])).content.decode()
    assert "仅您管辖区域" in html and "2 笔，200.00 元" in html and "李台街道" not in html
    lines = client.get(reverse("payouts:run_lines", args=[run.pk])).content.decode()
    assert "本乡老人" in lines and "邻乡老人" not in lines


def test_the_reviewer_acknowledges_checks_approves_and_downloads_the_bank_file(client, county_admin, finance_reviewer, run):
    client.force_login(county_admin)
    client.post(reverse("payouts:run_submit", args=[run.pk]))
    client.force_login(finance_reviewer)
    refused = client.post(reverse("payouts:run_approve", args=[run.pk])).content.decode()
    assert "还有1项审核前检查未确认" in refused
    client.post(reverse("payouts:run_acknowledge", args=[run.pk]), {"expected": "1"})
    approved = client.post(reverse("payouts:run_approve", args=[run.pk])).content.decode()
    assert "已审核通过" in approved
    confirm = client.get(reverse("payouts:run_export", args=[run.pk]), {"what": "bank", "format": "csv"})
    assert "生成并下载" in confirm.content.decode()  # a GET only asks
    assert PayrollRun.objects.get(pk=run.pk).status == "approved"
    response = client.post(reverse("payouts:run_export", args=[run.pk]), {"what": "bank", "format": "csv"})
    body = b"".join(response.streaming_content).decode("utf-8-sig")
    assert body.startswith("身份证号码,姓名") and "合计" in body
    assert PayrollRun.objects.get(pk=run.pk).status == "exported"
    again = client.get(reverse("payouts:run_export", args=[run.pk]), {"what": "bank"})
    assert b"".join(again.streaming_content).decode("utf-8-sig") == body
    xlsx = client.get(reverse("payouts:run_export", args=[run.pk]), {"what": "notice", "format": "xlsx"})
    assert xlsx["Content-Disposition"].startswith("attachment")
    from audit.models import AuditEvent

    mine = AuditEvent.objects.filter(user=finance_reviewer)
    assert mine.filter(event="payouts.export").count() == 1 and mine.filter(event="payouts.export_resend").count() == 1
    data_rows = len(body.strip().splitlines()) - 3  # header, totals and checksum rows
    notice = mine.get(event="payouts.download")
    assert (notice.detail["what"], notice.detail["rows"]) == ("notice", data_rows)


def test_exporting_a_draft_from_the_page_is_refused_with_a_message(client, finance_reviewer, run):
    client.force_login(finance_reviewer)
    html = client.get(reverse("payouts:run_export", args=[run.pk]), {"format": "csv"}).content.decode()
    assert "尚未审核" in html
    assert PayrollRun.objects.get(pk=run.pk).status == "draft"


def test_a_return_file_uploaded_on_the_run_page_reconciles_it_after_the_preview(
        client, finance_reviewer, run, settings, tmp_path, django_capture_on_commit_callbacks, eager_tasks):
    # eager_tasks: validate and commit run in-process (on PostgreSQL + Redis this test used to pass only
    # because an earlier test in this file left Celery eager)
    from django.core.files.uploadedfile import SimpleUploadedFile

    from .helpers import admin_and_reviewer

    settings.MEDIA_ROOT = tmp_path / "media"
    admin, reviewer = admin_and_reviewer()
    run = paid_out(run, admin, reviewer)
    rows = "身份证号码,金额,状态,原因\n" + "\n".join(
        f"{line.elder.id_number},{line.amount},{'失败' if not line.bank_account else '成功'},无账号"
        for line in run.lines.select_related("elder")
    )
    client.force_login(finance_reviewer)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("payouts:run_reconcile", args=[run.pk]),
                               {"file": SimpleUploadedFile("r.csv", rows.encode())}, follow=True)
    html = response.content.decode()
    assert "回盘文件已上传" in html and "银行回盘" in html
    assert PayrollRun.objects.get(pk=run.pk).status == "exported"  # nothing before the clerk confirms
    batch = response.context["batch"]
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("imports:batch_confirm", args=[batch.pk]))
    assert PayrollRun.objects.get(pk=run.pk).status == "reconciled"
    assert run.lines.filter(status="paid").count() == 2 and run.lines.filter(status="failed").count() == 1


def test_the_elder_page_shows_the_payment_history(client, officer, run):
    e = run.lines.get(elder__name="本乡老人").elder
    client.force_login(officer)
    html = client.get(reverse("eligibility:elder_detail", args=[e.pk])).content.decode()
    assert "发放记录" in html and "2026-12" in html and "100.00" in html


def test_the_monthly_report_and_its_excel_export(client, county_admin, run):
    client.force_login(county_admin)
    html = client.get(reverse("payouts:report")).content.decode()
    assert "2026-12" in html and "300.00" in html
    response = client.get(reverse("payouts:report"), {"format": "xlsx"})
    assert response["Content-Disposition"].startswith("attachment")


def test_with_a_broker_the_page_sends_the_generation_to_the_background(client, county_admin, regions, monkeypatch):
    from payouts import tasks

    class Pending:
        def ready(self):
            return False

    sent = []
    monkeypatch.setattr(tasks.generate_run, "delay", lambda *a: sent.append(a) or Pending())
    client.force_login(county_admin)
    response = client.post(reverse("payouts:run_generate"), {"county": regions["610403000000"].pk, "period": "2026-12"})
    assert response.status_code == 302 and response["Location"] == reverse("payouts:run_list")
    assert sent == [("610403000000", "2026-12", None, county_admin.pk)]


def test_the_admin_shows_runs_and_lines_read_only_within_the_area(client, county_admin, run):
    client.force_login(county_admin)
    for name in ("admin:payouts_payrollrun_changelist", "admin:payouts_payrollline_changelist"):
        response = client.get(reverse(name))
        assert response.status_code in (200, 403)
    from django.contrib import admin

    from payouts.models import PayrollLine

    assert not admin.site._registry[PayrollRun].has_change_permission(None)
    assert not admin.site._registry[PayrollLine].has_delete_permission(None)


def test_the_admin_shows_a_line_with_its_status_changes(client, superuser, run):
    line = run.lines.first()
    client.force_login(superuser)
    response = client.get(reverse("admin:payouts_payrollline_change", args=[line.pk]))
    assert response.status_code == 200 and "发放明细状态变更" in response.content.decode()
