"""Payroll pages: runs list, run detail (totals, checks, actions, exports, reconciliation), lines,
monthly report. Thin: every change goes through ``services``; every queryset through the area."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import FileResponse, HttpResponseRedirect
from django.urls import reverse
from django.views.generic import DetailView, FormView, TemplateView

from audit.services import record
from core import spreadsheets
from core.mixins import AreaScopedMixin
from core.views import FilteredListView, ServiceActionView, error_message

from . import exports, selectors, services
from .filters import LineFilterSet, RunFilterSet
from .forms import GenerateForm, ReconcileForm
from .models import BankFile, PayrollLine, PayrollRun


class RunListView(AreaScopedMixin, FilteredListView):
    """发放批次 of the user's counties, narrowed by ?status= (the home page links here with
    ``submitted`` for the reviewer and ``draft`` for the officer who submits)."""

    model = PayrollRun
    permission_required = "payouts.view_payrollrun"
    template_name = "payouts/run_list.html"
    context_object_name = "runs"
    paginate_by = 50
    filterset_class = RunFilterSet

    def get_queryset(self):
        return super().get_queryset().select_related("county", "submitted_by", "approved_by")

    def get_context_data(self, **kwargs):
        statuses = dict(PayrollRun.Status.choices)
        status = self.filterset.value("status")
        return super().get_context_data(status=status, status_label=statuses.get(status, ""),
                                        status_filters=statuses, **kwargs)


class RunGenerateView(AreaScopedMixin, FormView):
    permission_required = "payouts.add_payrollrun"
    template_name = "payouts/run_generate.html"
    form_class = GenerateForm

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "user": self.request.user}

    def form_valid(self, form):
        from core.tasks import BrokerUnavailable, enqueue

        from .tasks import generate_run

        codes = [b.code for b in form.cleaned_data["benefits"]] or None
        try:
            result = enqueue(generate_run, form.cleaned_data["county"].code, form.cleaned_data["period"], codes,
                             self.request.user.pk)
        except (ValidationError, PermissionDenied, BrokerUnavailable) as exc:  # eager mode raises here
            form.add_error(None, error_message(exc))
            return self.form_invalid(form)
        if result.ready():
            data = result.get()
            messages.success(self.request, f"已生成：{data['lines']} 笔，合计 {data['total']} 元")
            return HttpResponseRedirect(reverse("payouts:run_detail", args=[data["run"]]))
        messages.info(self.request, "已在后台开始生成，请稍后刷新")
        return HttpResponseRedirect(reverse("payouts:run_list"))


class RunDetailView(AreaScopedMixin, DetailView):
    model = PayrollRun
    permission_required = "payouts.view_payrollrun"
    template_name = "payouts/run_detail.html"
    context_object_name = "run"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        run, user = self.object, self.request.user
        checks = run.checks.visible_to(user) if not selectors.sees_whole_county(user, run) else run.checks.all()
        context.update(
            totals=selectors.run_totals(user, run),
            whole_county=selectors.sees_whole_county(user, run),
            checks=checks.select_related("elder", "line", "line__benefit")[:200],
            checks_open=run.checks.filter(acknowledged_by__isnull=True).count(),
            checks_total=run.checks.count(),
            transitions=run.transitions.select_related("user"),
            history=selectors.run_history(run),
            return_files=selectors.return_files(user, run),
            reconcile_form=kwargs.get("reconcile_form") or ReconcileForm(),
            bank_file=BankFile.objects.filter(run=run).first(),
            can=self._can(run, user),
        )
        return context

    def _can(self, run, user):
        status = run.status
        return {
            "submit": status == "draft" and user.has_perm("payouts.submit_payrollrun"),
            "review": status == "submitted" and user.has_perm("payouts.approve_payrollrun"),
            "export": status in ("approved", "exported", "reconciled", "closed") and user.has_perm("payouts.export_payrollrun"),
            "reconcile": status == "exported" and user.has_perm("payouts.reconcile_payrollrun"),
            "close": status == "reconciled" and user.has_perm("payouts.reconcile_payrollrun"),
            "regenerate": status == "draft" and user.has_perm("payouts.add_payrollrun"),
        }


class _RunAction(ServiceActionView, RunDetailView):
    """POST an action on a run; the page is shown again with the outcome (a refusal changes nothing)."""


class RunSubmitView(_RunAction):
    action_permission = "payouts.submit_payrollrun"

    def act(self, run):
        services.payroll_submit(actor=self.request.user, run=run, note=self.request.POST.get("note", "")[:300])
        return "已提交，等待财务审核（审核人不能是提交人）"


class RunReturnView(_RunAction):
    action_permission = "payouts.approve_payrollrun"

    def act(self, run):
        services.payroll_return(actor=self.request.user, run=run, note=self.request.POST.get("note", "")[:300])
        return "已退回为草稿"


class RunAcknowledgeView(_RunAction):
    action_permission = "payouts.approve_payrollrun"

    def act(self, run):
        raw = self.request.POST.get("expected", "")
        n = services.checks_acknowledge(actor=self.request.user, run=run, expected=int(raw) if raw.isdigit() else None)
        return f"已确认{n}项审核前检查"


class RunApproveView(_RunAction):
    action_permission = "payouts.approve_payrollrun"

    def act(self, run):
        services.payroll_approve(actor=self.request.user, run=run, note=self.request.POST.get("note", "")[:300])
        return "已审核通过，可以导出银行文件"


class RunCloseView(_RunAction):
    action_permission = "payouts.reconcile_payrollrun"

    def act(self, run):
        services.payroll_close(actor=self.request.user, run=run)
        return "已关闭本月发放"


class RunReconcileView(_RunAction):
    """Upload the bank's return file for this run: it goes through the import engine (validate the
    whole file → preview → confirm), so the clerk lands on the import batch's page."""

    action_permission = "payouts.reconcile_payrollrun"

    def post(self, request, pk):
        self.object = run = self.get_object()
        if not request.user.has_perm(self.action_permission):
            raise PermissionDenied
        self.form = ReconcileForm(request.POST, request.FILES)
        if self.form.is_valid():
            from imports.reading import FileRejected

            upload = self.form.cleaned_data["file"]
            try:
                batch = services.payroll_reconcile_upload(actor=request.user, run=run, file=upload, filename=upload.name,
                                                          mode=self.form.cleaned_data["mode"])
            except (ValidationError, PermissionDenied) as exc:
                messages.error(request, error_message(exc))
            except FileRejected as exc:
                self.form.add_error("file", str(exc))
            else:
                messages.success(request, "回盘文件已上传，正在校验；请核对预览后确认导入")
                return HttpResponseRedirect(reverse("imports:batch_detail", args=[batch.pk]))
        return self.render_to_response(self.get_context_data(reconcile_form=self.form))


class RunExportView(RunDetailView):
    """The bank file and the public notice of a run (``?what=bank|notice&format=csv|xlsx``).

    GET never changes a run: it downloads the public notice, re-sends a bank file that has already
    been produced (the same bytes; the re-send is audited), or shows the confirmation page. POST
    produces the bank file — once per run, 已审核 → 已导出 (``services.payroll_export``) — and
    downloads it; a POST for a run that already has its file re-sends that file."""

    http_method_names = ["get", "post"]
    confirm_template = "payouts/run_export_confirm.html"

    def _start(self, request):
        self.object = run = self.get_object()
        if not request.user.has_perm("payouts.export_payrollrun"):
            raise PermissionDenied
        fmt = "xlsx" if (request.POST.get("format") or request.GET.get("format")) == "xlsx" else "csv"
        return run, fmt

    def _refused(self, exc):
        messages.error(self.request, error_message(exc))
        return self.render_to_response(self.get_context_data())

    def get(self, request, *args, **kwargs):
        run, fmt = self._start(request)
        if request.GET.get("what") == "notice":
            return self._notice(run, fmt)
        bank = BankFile.objects.filter(run=run).first()
        if bank is None:
            try:
                services.require_exportable(run)
            except ValidationError as exc:
                return self._refused(exc)
            context = self.get_context_data(file_format=fmt)
            return self.response_class(request=request, template=[self.confirm_template], context=context,
                                       using=self.template_engine)
        return self._send(run, fmt)

    def post(self, request, *args, **kwargs):
        run, fmt = self._start(request)
        if (request.POST.get("what") or request.GET.get("what")) == "notice":
            return self._notice(run, fmt)
        return self._send(run, fmt, produce=True)

    def _send(self, run, fmt, *, produce=False):
        try:
            bank, _ = services.payroll_export(actor=self.request.user, run=run, file_format=fmt, produce=produce)
            handle = services.open_bank_file(bank)
        except (ValidationError, PermissionDenied) as exc:
            return self._refused(exc)
        return FileResponse(handle, as_attachment=True, filename=bank.filename)

    def _notice(self, run, fmt):
        try:
            services.require_exportable(run)
        except ValidationError as exc:
            return self._refused(exc)
        record(actor=self.request.user, event="payouts.download", obj=run, region_code=run.county_code,
               detail={"what": "notice", "format": fmt, "rows": run.lines.count()})
        sheet = exports.public_notice_sheet(run)
        name = f"公示名单_{run.county_code[:6]}_{run.period_code}.{fmt}"
        if fmt == "csv":
            return spreadsheets.csv_response(sheet.header, sheet.rows, name, streaming=True)
        return spreadsheets.xlsx_response([sheet], name, streaming=True)


class RunLinesView(RunDetailView):
    """Drill-down: the lines of a run the user may see, filtered by benefit, township, kind, status."""

    template_name = "payouts/run_lines.html"

    def get_context_data(self, **kwargs):
        context = DetailView.get_context_data(self, **kwargs)
        lines = selectors.run_lines(self.request.user, self.object).select_related("elder", "benefit")
        filterset = LineFilterSet(self.request.GET or None, queryset=lines)
        page = Paginator(filterset.qs.order_by("region_code", "id"), 100).get_page(self.request.GET.get("page"))
        context.update(filter_form=filterset.form, page_obj=page, lines=page.object_list)
        return context


class LineDetailView(AreaScopedMixin, DetailView):
    """One payment line and its history: generated, carried, paid or failed by the bank's return."""

    model = PayrollLine
    permission_required = "payouts.view_payrollline"
    template_name = "payouts/line_detail.html"
    context_object_name = "line"

    def get_queryset(self):
        return super().get_queryset().select_related("run", "run__county", "elder", "benefit")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["events"] = selectors.line_events(self.object)
        return context


class MonthlyReportView(AreaScopedMixin, TemplateView):
    """Monthly totals (per month, county, benefit and kind) over the lines the user may see;
    ?format=xlsx downloads the same table."""

    permission_required = "payouts.view_payrollrun"
    template_name = "payouts/report.html"

    def get(self, request, *args, **kwargs):
        data = selectors.monthly_report(request.user)
        if request.GET.get("format") == "xlsx":
            record(actor=request.user, event="payouts.report_export", detail={"rows": len(data)})
            return spreadsheets.xlsx_response([exports.monthly_report_sheet(data)], "补贴发放月报.xlsx", streaming=True)
        return self.render_to_response(self.get_context_data(rows=data))

