"""Staff pages of visits and care. Every view goes through AreaScopedMixin (core/mixins.py)."""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.views.generic import DetailView, ListView, TemplateView

from audit.services import client_ip
from audit.services import record as audit
from core import spreadsheets
from core.mixins import AreaScopedMixin
from core.views import FilteredListView

from . import exports, rules, selectors, services
from .filters import FollowUpFilterSet
from .forms import CONTENT_AREAS, BulkAssignForm, FollowUpCloseForm, VisitRecordForm
from .models import FollowUp, Visit, VisitorAssignment

TABS = {"today": "今天", "week": "本周", "overdue": "逾期", "open": "全部待访"}


def _month(request) -> dt.date:
    text = request.GET.get("month", "")
    try:
        year, month = (int(x) for x in text.split("-")[:2])
        return dt.date(year, month, 1)
    except (ValueError, TypeError):
        return rules.month_start(timezone.localdate())


class MyVisitsView(AreaScopedMixin, ListView):
    """我的探访: a visitor's open visits on a phone."""

    model = Visit
    permission_required = "visits.view_visit"
    template_name = "visits/my_visits.html"
    context_object_name = "visits"
    paginate_by = 50

    def get_queryset(self):
        self.tab = self.request.GET.get("tab") if self.request.GET.get("tab") in TABS else "open"
        return selectors.my_visits(self.request.user, self.tab, timezone.localdate())

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(tab=self.tab, tabs=TABS, counts=selectors.my_visit_counts(self.request.user, timezone.localdate()),
                       today=timezone.localdate())
        return context


class VisitRecordView(AreaScopedMixin, DetailView):
    """The phone form: record one visit. A visit outside the area is a 404 like a missing one."""

    model = Visit
    permission_required = "visits.add_visitrecord"
    template_name = "visits/record_form.html"
    context_object_name = "visit"

    def get_queryset(self):
        return super().get_queryset().select_related("elder", "elder__region", "rule")

    def _form(self, data=None):
        return VisitRecordForm(data, allowed_modes=self.object.rule.modes)

    def get(self, request, *args, **kwargs):
        self.object = self.get_object()
        return self.render_to_response(self.get_context_data(form=self._form()))

    def post(self, request, *args, **kwargs):
        self.object = visit = self.get_object()
        form = self._form(request.POST)
        if form.is_valid():
            cd = form.cleaned_data
            referrals = [(kind, cd.get("referral_note") or "") for kind in cd.get("referrals") or []]
            try:
                outcome = services.visit_record_create(
                    actor=request.user, visit=visit, idempotency_key=cd["idempotency_key"], visited_at=cd["visited_at"],
                    mode=cd["mode"], people_present=cd["people_present"], checklists=form.checklists(),
                    notes=cd["notes"], risk_level=cd["risk_level"], referrals=referrals,
                )
            except ValidationError as exc:
                if hasattr(exc, "error_dict"):
                    for name, errors in exc.message_dict.items():
                        for e in errors:
                            form.add_error(name if name in form.fields else None, e)
                else:
                    for e in exc.messages:
                        form.add_error(None, e)
            else:
                if outcome.created:
                    messages.success(request, f"已登记 {visit.elder.name} 的探访" + (f"，转介 {len(referrals)} 项" if referrals else ""))
                else:
                    messages.info(request, "这次探访已经登记过了（重复提交只保存一次）")
                for flag in outcome.flags:
                    messages.warning(request, flag)
                return redirect(reverse("visits:my_visits"))
        return self.render_to_response(self.get_context_data(form=form), status=200)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["content_areas"] = CONTENT_AREAS
        context["last_records"] = self.object.elder.visit_records.order_by("-visited_at")[:3]
        return context


class FollowUpListView(AreaScopedMixin, FilteredListView):
    """转介待办: open referrals of the area; the officer closes them."""

    model = FollowUp
    permission_required = "visits.view_followup"
    template_name = "visits/follow_ups.html"
    context_object_name = "follow_ups"
    paginate_by = 50
    filterset_class = FollowUpFilterSet

    def get_queryset(self):
        return super().get_queryset().select_related("elder", "elder__region", "created_by", "record").order_by("created_at", "pk")

    def get_context_data(self, **kwargs):
        return super().get_context_data(status=self.filterset.value("status", FollowUp.Status.OPEN),
                                        high_risk=bool(self.filterset.value("risk")), **kwargs)


class FollowUpCloseView(AreaScopedMixin, DetailView):
    model = FollowUp
    permission_required = "visits.change_followup"
    template_name = "visits/follow_up_close.html"
    context_object_name = "follow_up"

    def get_queryset(self):
        return super().get_queryset().select_related("elder", "record", "created_by")

    def get(self, request, *args, **kwargs):
        self.object = self.get_object()
        return self.render_to_response(self.get_context_data(form=FollowUpCloseForm()))

    def post(self, request, *args, **kwargs):
        self.object = self.get_object()
        form = FollowUpCloseForm(request.POST)
        if form.is_valid():
            try:
                services.follow_up_close(actor=request.user, follow_up=self.object, note=form.cleaned_data["note"])
            except ValidationError as exc:
                form.add_error(None, exc)
            else:
                messages.success(request, f"已办结：{self.object.elder.name} {self.object.get_kind_display()}")
                return redirect(reverse("visits:follow_ups"))
        return self.render_to_response(self.get_context_data(form=form))


class AssignmentView(AreaScopedMixin, ListView):
    """探访人分配: unassigned elders by village, and bulk assignment of a village to one visitor."""

    model = VisitorAssignment
    permission_required = "visits.view_visitorassignment"
    template_name = "visits/assignments.html"
    context_object_name = "unassigned"
    paginate_by = 50

    def get_queryset(self):
        return selectors.unassigned_elders(self.request.user)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.setdefault("form", BulkAssignForm(user=self.request.user))
        context["by_village"] = selectors.unassigned_by_village(self.request.user)
        context["can_assign"] = self.request.user.has_perm("visits.add_visitorassignment")
        return context

    def post(self, request, *args, **kwargs):
        if not request.user.has_perm("visits.add_visitorassignment"):
            raise PermissionDenied
        form = BulkAssignForm(request.POST, user=request.user)
        if form.is_valid():
            cd = form.cleaned_data
            try:
                n = services.visitor_assign_bulk(actor=request.user, village=cd["village"], visitor=cd["visitor"],
                                                 kind=cd["kind"], only_unassigned=cd["only_unassigned"])
            except ValidationError as exc:
                form.add_error(None, exc)
            else:
                messages.success(request, f"已为 {cd['village'].name} 的 {n} 位老人分配探访人 {cd['visitor']}")
                return redirect(reverse("visits:assignments"))
        self.object_list = self.get_queryset()
        return self.render_to_response(self.get_context_data(form=form))


CHART_W, CHART_H = 600, 200
# 逾期未访 is paged (?overdue_page=) rather than cut off, so the section (#overdue, linked from the
# home page) reaches every overdue visit its count announces.
OVERDUE_PAGE_SIZE = 200


class ReportView(AreaScopedMixin, TemplateView):
    """探访统计: the month's visit rate per township and village, overdue and high-risk lists,
    visits per visitor and the rate over 12 months (inline SVG, no JavaScript)."""

    model = Visit
    permission_required = "visits.view_visit_report"
    template_name = "visits/report.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        user, month = self.request.user, _month(self.request)
        history = selectors.rate_history(user, month)
        bar_w = CHART_W / len(history)
        for i, point in enumerate(history):
            rate = point["rate"] or 0.0
            point["x"] = round(i * bar_w + 6, 1)
            point["w"] = round(bar_w - 12, 1)
            point["h"] = round(rate / 100 * (CHART_H - 30), 1)
            point["y"] = round(CHART_H - 20 - point["h"], 1)
            point["tx"] = round(i * bar_w + bar_w / 2, 1)
            point["ty"] = round(point["y"] - 3, 1)
        context.update(
            month=month, prev=rules.add_months(month, -1), next=rules.add_months(month, 1),
            report=selectors.visit_rate_report(user, month), history=history, chart_w=CHART_W, chart_h=CHART_H,
            overdue=Paginator(selectors.overdue_visits(user), OVERDUE_PAGE_SIZE).get_page(
                self.request.GET.get("overdue_page")),
            high_risk=selectors.high_risk_records(user, month)[:200],
            per_visitor=selectors.visits_per_visitor(user, month),
        )
        return context


class ReportExportView(AreaScopedMixin, TemplateView):
    model = Visit
    permission_required = "visits.view_visit_report"

    def get(self, request, *args, **kwargs):
        user, month = request.user, _month(request)
        report = selectors.visit_rate_report(user, month)

        def rate_rows(rows):
            return [[r.code, r.name, r.in_scope, r.visited, r.rate] for r in rows]

        header = ["区划代码", "名称", "应探访人数", "已探访人数", "月探访率(%)"]
        overdue = [[v.elder.name, v.elder.masked_id_number, v.elder.region.name, v.rule.name, str(v.due_on),
                    str(v.visitor or "")] for v in selectors.overdue_visits(user)]
        high = [[r.elder.name, r.elder.masked_id_number, r.elder.region.name, timezone.localtime(r.visited_at).strftime("%Y-%m-%d %H:%M"),
                 r.get_mode_display(), r.notes] for r in selectors.high_risk_records(user, month)]
        per = [[p["recorded_by__first_name"] or p["recorded_by__username"], p["records"], p["elders"], p["home"]]
               for p in selectors.visits_per_visitor(user, month)]
        data = exports.workbook([
            ("乡镇(街道)探访率", header, rate_rows(report["townships"]) + rate_rows([report["total"]])),
            ("村(社区)探访率", header, rate_rows(report["villages"])),
            ("逾期未访", ["姓名", "身份证号", "村(社区)", "探访规则", "应探访日期", "探访人"], overdue),
            ("高风险", ["姓名", "身份证号", "村(社区)", "探访时间", "方式", "情况记录"], high),
            ("探访人工作量", ["探访人", "探访次数", "探访人数", "上门次数"], per),
        ])
        audit(actor=user, event="visits.report_export", ip_address=client_ip(request),
              detail={"month": f"{month:%Y-%m}", "overdue": len(overdue), "high_risk": len(high),
                      "rows": len(overdue) + len(high)})
        return spreadsheets.xlsx_response(data, f"visits-{month:%Y-%m}.xlsx")
