"""运行状况: the broker, the workers, the last sweep per county, and the runs and batches that are stuck
or were interrupted — with 「重新运行」 (POST, audited). For the superuser and county administrators
(``dashboard.view_health``), scoped: a county administrator sees their county's sweeps and batches."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin, PermissionRequiredMixin
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import F, OuterRef, Q, Subquery
from django.http import Http404
from django.utils import timezone
from django.views.generic import TemplateView

from audit.services import client_ip
from core.scoping import counties_covered_q, filter_for_area
from core.tasks import BrokerUnavailable, broker_reachable, workers_alive
from eligibility.public import SweepRun, sweep_retry
from imports import recovery
from imports.models import ImportBatch

B = ImportBatch.Status
R = SweepRun.Status


def visible_runs(user):
    """Sweep runs of the counties the user's area covers whole (a county administrator: theirs)."""
    return filter_for_area(SweepRun.objects.all(), user, lambda prefixes: counties_covered_q("county_code", prefixes))


NOT_STARTED = Q(task_started_at__isnull=True) | Q(task_started_at__lt=F("queued_at"))


def stuck_batches(user, now: dt.datetime) -> list[ImportBatch]:
    """Interrupted batches, batches whose task was never queued or never started, and batches working
    for longer than the grace (shown, not retried: their task may be alive). Each carries
    ``health`` (the row's explanation) and ``retryable``."""
    grace = now - dt.timedelta(seconds=settings.RELIABILITY_REAP_GRACE)
    rows = (
        ImportBatch.objects.visible_to(user)
        .filter(
            Q(status=B.FAILED) & ~Q(interrupted="")
            | Q(status=B.PENDING, queued_at__isnull=True, created_at__lt=grace)
            | Q(status__in=[B.PENDING, B.COMMITTING], queued_at__lt=grace) & NOT_STARTED
            | Q(status__in=[B.VALIDATING, B.COMMITTING], task_started_at__lt=grace)
        )
        .select_related("uploaded_by")
        .order_by("-created_at")[:100]
    )
    batches = []
    for batch in rows:
        not_started = batch.task_started_at is None or (batch.queued_at and batch.task_started_at < batch.queued_at)
        if batch.can_retry:
            batch.health, batch.retryable = batch.message, True
        elif batch.status == B.PENDING and batch.queued_at is None:
            batch.health, batch.retryable = "任务未送达后台（当时消息队列不可用），文件已保存", True
        elif batch.status in (B.PENDING, B.COMMITTING) and not_started:
            batch.health, batch.retryable = "任务已投递但尚未开始执行", True
        else:
            batch.health, batch.retryable = "正在执行，用时较长；后台进程若已退出，清理程序会将其标记为失败", False
        batches.append(batch)
    return batches


class HealthView(LoginRequiredMixin, PermissionRequiredMixin, TemplateView):
    permission_required = "dashboard.view_health"
    template_name = "dashboard/health.html"
    raise_exception = False

    def handle_no_permission(self):
        if self.request.user.is_authenticated:
            self.raise_exception = True
        return super().handle_no_permission()

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        user, now = self.request.user, timezone.now()
        reachable, detail = broker_reachable(timeout=1.0)
        runs = visible_runs(user)
        latest = runs.filter(pk=Subquery(
            SweepRun.objects.filter(county_code=OuterRef("county_code")).order_by("-started_at", "-id").values("pk")[:1]
        )).order_by("county_code")
        since = now - dt.timedelta(days=7)
        grace = now - dt.timedelta(seconds=settings.RELIABILITY_REAP_GRACE)
        context.update(
            eager=bool(settings.CELERY_TASK_ALWAYS_EAGER),
            broker_ok=reachable, broker_detail=detail,
            workers=workers_alive(timeout=1.0) if reachable and not settings.CELERY_TASK_ALWAYS_EAGER else [],
            latest_runs=latest[:200],
            problem_runs=runs.filter(Q(status=R.FAILED, started_at__gte=since) | Q(status=R.RUNNING, started_at__lt=grace))[:100],
            batches=stuck_batches(user, now),
            can_rerun=user.has_perm("eligibility.rerun_sweeprun"),
            can_retry_batch=user.has_perm("imports.add_importbatch"),
        )
        return context


class HealthRetryView(HealthView):
    """POST kind=run|batch, pk: 「重新运行」. The page is shown again with the outcome."""

    http_method_names = ["post"]

    def post(self, request):
        kind, pk = request.POST.get("kind", ""), request.POST.get("pk", "")
        try:
            if kind == "run" and pk.isdigit():
                run = visible_runs(request.user).filter(pk=int(pk)).first()
                if run is None:
                    raise Http404("没有找到该运行记录")
                sweep_retry(actor=request.user, run=run)
                messages.success(request, f"已重新运行 {run.county_code} {run.as_of} 的服务找人")
            elif kind == "batch" and pk.isdigit():
                batch = ImportBatch.objects.visible_to(request.user).filter(pk=int(pk)).first()
                if batch is None:
                    raise Http404("没有找到该导入批次")
                if not request.user.has_perm("imports.add_importbatch"):
                    raise PermissionDenied("无权操作导入批次")
                self._retry_batch(batch)
            else:
                messages.error(request, "请选择要重新运行的运行记录或导入批次")
        except (ValidationError, PermissionDenied) as exc:
            messages.error(request, "；".join(getattr(exc, "messages", None) or [str(exc) or "无权操作"]))
        except BrokerUnavailable as exc:
            messages.error(request, str(exc))
        return self.render_to_response(self.get_context_data())

    def _retry_batch(self, batch: ImportBatch) -> None:
        request = self.request
        if batch.can_retry:
            recovery.batch_retry(actor=request.user, batch=batch)
            messages.success(request, f"已重新运行导入批次 {batch.pk}（{batch.filename}）")
            return
        recovery.batch_requeue(actor=request.user, batch=batch, ip_address=client_ip(request))
        messages.success(request, f"已重新投递导入批次 {batch.pk}（{batch.filename}）")
