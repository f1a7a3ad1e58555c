"""Staff pages of the import flow. Thin: parse the request, call a service, render."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404, HttpResponseRedirect
from django.urls import reverse
from django.views.generic import DetailView, View
from django.views.generic.detail import SingleObjectMixin
from django.views.generic.edit import FormView

from audit.services import client_ip, record
from core import spreadsheets
from core.mixins import AreaScopedMixin
from core.tasks import BROKER_DOWN_MESSAGE, BrokerUnavailable
from core.views import FilteredListView, ServiceActionView

from . import recovery, selectors, services
from .filters import BatchFilterSet
from .forms import UploadForm
from .models import ImportBatch
from .reading import FileRejected
from .registry import all_kinds, get_kind
from .reports import template_sheets


class UploadView(AreaScopedMixin, FormView):
    permission_required = "imports.add_importbatch"
    template_name = "imports/upload.html"
    form_class = UploadForm

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "user": self.request.user}

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["kinds"] = [k for k in all_kinds() if k.portal and k.allowed_for(self.request.user)]
        context["recent"] = ImportBatch.objects.visible_to(self.request.user).select_related("uploaded_by")[:5]
        return context

    def form_valid(self, form):
        data = form.cleaned_data
        try:
            batch = services.batch_create(
                actor=self.request.user, kind=data["kind"], file=data["file"], mode=data["mode"], enqueue=False,
            )
        except FileRejected as exc:
            form.add_error("file", str(exc))
            return self.form_invalid(form)
        except PermissionDenied as exc:
            form.add_error(None, str(exc))
            return self.form_invalid(form)
        try:
            recovery.dispatch(batch, "validate")
        except BrokerUnavailable:
            # The file is kept (待校验, cancellable); the reaper queues its validation once the broker is back.
            record(actor=self.request.user, event="imports.batch_dispatch_failed", obj=batch, outcome="error",
                   detail={"stage": "validate"})
            messages.error(self.request, BROKER_DOWN_MESSAGE)
        return HttpResponseRedirect(reverse("imports:batch_detail", args=[batch.pk]))


class TemplateDownloadView(AreaScopedMixin, View):
    permission_required = "imports.add_importbatch"

    def get(self, request):
        try:
            kind = get_kind(request.GET.get("kind") or "roll")
        except LookupError:
            raise Http404("未知的导入类型") from None
        return spreadsheets.xlsx_response(template_sheets(kind), f"{kind.template_name or kind.key}.xlsx")


class BatchListView(AreaScopedMixin, FilteredListView):
    """导入记录 of the area, narrowed by ?status= (imports/filters.py)."""

    model = ImportBatch
    permission_required = "imports.view_importbatch"
    template_name = "imports/batch_list.html"
    context_object_name = "batches"
    filterset_class = BatchFilterSet

    def get_queryset(self):
        return super().get_queryset().select_related("uploaded_by")

    def get_context_data(self, **kwargs):
        status = self.filterset.value("status")
        return super().get_context_data(status=status, status_label=selectors.STATUS_FILTERS.get(status, ""),
                                        status_filters=selectors.STATUS_FILTERS, **kwargs)


class BatchDetailView(AreaScopedMixin, DetailView):
    model = ImportBatch
    permission_required = "imports.view_importbatch"
    template_name = "imports/batch_detail.html"
    context_object_name = "batch"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        batch = self.object
        context["can_act"] = self.request.user.has_perm("imports.add_importbatch")
        context["preview"] = batch.preview or {}
        context["counts"] = {key: batch.counts.get(key, 0) for key in ("new", "updated", "unchanged", "error")}
        return context


class BatchProgressView(BatchDetailView):
    """The htmx poll: a progress bar while working; once done, the page reloads into the preview."""

    template_name = "imports/_progress.html"

    def render_to_response(self, context, **kwargs):
        response = super().render_to_response(context, **kwargs)
        if getattr(self.request, "htmx", False) and not self.object.in_progress:
            response["HX-Refresh"] = "true"
        return response


class _BatchAction(ServiceActionView, BatchDetailView):
    """POST on one batch: view permission + area (404 outside), then the upload permission (403)."""

    action_permission = "imports.add_importbatch"


class BatchConfirmView(_BatchAction):
    def act(self, batch):
        try:
            services.batch_confirm(actor=self.request.user, batch=batch)
        except BrokerUnavailable:
            # The commit was not queued: the batch goes back to 待确认 (confirm again later, or cancel).
            recovery.dispatch_failed(actor=self.request.user, batch_id=batch.pk, stage="commit")
            raise ValidationError(BROKER_DOWN_MESSAGE) from None
        return "已确认，正在导入"


class BatchCancelView(_BatchAction):
    def act(self, batch):
        services.batch_cancel(actor=self.request.user, batch=batch)
        return "已取消本次导入，未写入任何数据"


class _BatchDownload(AreaScopedMixin, SingleObjectMixin, View):
    """The uploaded file or its error workbook: both hold the uploaded rows with full ID numbers, so only
    roles that may see full IDs download them (the auditor reads the preview), and every download —
    or refused attempt — is in the audit log with its row count."""

    model = ImportBatch
    permission_required = "imports.view_importbatch"
    field = "file"
    event = "imports.download_original"

    def rows(self, batch: ImportBatch) -> int | None:
        return (batch.preview or {}).get("rows")

    def get(self, request, pk):
        batch = self.get_object()
        if not request.user.has_perm("registry.view_full_id_number"):
            record(actor=request.user, event=self.event, obj=batch, outcome="denied", ip_address=client_ip(request))
            raise PermissionDenied("原始文件含完整身份证号码，您的角色无权下载")
        stored = getattr(batch, self.field)
        if not stored:
            raise Http404("没有可下载的文件")
        record(actor=request.user, event=self.event, obj=batch, ip_address=client_ip(request),
               detail={"rows": self.rows(batch)})
        name = batch.filename if self.field == "file" else f"错误清单-{batch.pk}.xlsx"
        return FileResponse(stored.open("rb"), as_attachment=True, filename=name)


class BatchFileView(_BatchDownload):
    pass


class BatchErrorReportView(_BatchDownload):
    field = "error_report"
    event = "imports.download_error_report"

    def rows(self, batch: ImportBatch) -> int | None:
        return (batch.counts or {}).get("error")
