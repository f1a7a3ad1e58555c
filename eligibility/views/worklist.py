"""The township worklist (服务找人): candidates, stop proposals, last night's automatic enrolments;
bulk approve/reject/stop; exports. Thin: parse, call a selector or service, render."""

from __future__ import annotations

from urllib.parse import urlsplit

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponseRedirect
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.generic import ListView, View

from audit.services import client_ip, record
from core import spreadsheets
from core.mixins import AreaScopedMixin

from ..forms.worklist import DecisionForm, WorklistFilterSet
from ..models import Enrolment
from ..policy import export, selectors, services


class _WorklistBase(AreaScopedMixin):
    model = Enrolment
    permission_required = "eligibility.view_enrolment"

    def filterset(self, queryset_for):
        """The filters (forms_worklist.WorklistFilterSet) over the tab's scoped enrolments;
        ``queryset_for(tab)`` is the selector for the chosen tab ("" when none was asked for)."""
        filterset = WorklistFilterSet(self.request.GET or None, queryset=Enrolment.objects.none(), user=self.request.user)
        self.tab = filterset.value("tab")
        filterset.queryset = queryset_for(self.tab)  # the tab's scoped rows; the filters narrow them
        return filterset


class WorklistView(_WorklistBase, ListView):
    template_name = "eligibility/worklist.html"
    context_object_name = "enrolments"

    def get_paginate_by(self, queryset):
        return settings.LIST_PAGE_SIZE

    def get_queryset(self):
        filterset = self.filterset(lambda tab: selectors.worklist(user=self.request.user, tab=tab or "candidates"))
        self.filter_form, self.tab = filterset.form, self.tab or "candidates"
        return filterset.qs

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        query = self.request.GET.copy()
        query.pop("page", None)
        context.update(
            filter_form=self.filter_form,
            tab=self.tab,
            tabs=selectors.TABS,
            counts=selectors.worklist_counts(self.request.user),
            query_string=query.urlencode(),
            can_decide=self.request.user.has_perm("eligibility.decide_enrolment"),
            decision_form=kwargs.get("decision_form") or DecisionForm(),
        )
        return context


class WorklistDecideView(_WorklistBase, View):
    """POST: one decision for the selected rows. Rows outside the user's area are a 404."""

    permission_required = ("eligibility.view_enrolment", "eligibility.decide_enrolment")
    http_method_names = ["post"]

    def post(self, request, *args, **kwargs):
        form = DecisionForm(request.POST)
        if not form.is_valid():
            return self._again(form)
        ids = set(form.cleaned_data["ids"])
        visible = Enrolment.objects.visible_to(request.user).filter(pk__in=ids)
        if visible.count() != len(ids):
            raise Http404("没有找到该记录")
        try:
            changed = services.enrolments_decide(
                actor=request.user, enrolments=visible, decision=form.cleaned_data["action"],
                note=form.cleaned_data["note"], ip_address=client_ip(request),
            )
        except ValidationError as exc:
            form.add_error(None, exc)
            return self._again(form)
        messages.success(request, f"已{services.DECISIONS[form.cleaned_data['action']]} {len(changed)} 条记录")
        return HttpResponseRedirect(_safe_next(request))

    def _again(self, form):
        view = WorklistView()
        view.setup(self.request)
        view.object_list = view.get_queryset()
        return view.render_to_response(view.get_context_data(decision_form=form))


def _safe_next(request) -> str:
    """Where to land after a decision: the page the form came from if it is one of ours, else the worklist.

    ``next`` comes from the browser, so an absolute URL to another host (or a scheme-relative
    ``//evil``) would make the portal an open redirect; the decide URL itself answers only POST.
    """
    fallback = reverse("eligibility:worklist")
    target = request.POST.get("next") or ""
    if not target or not url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return fallback
    if urlsplit(target).path.rstrip("/") == reverse("eligibility:worklist_decide").rstrip("/"):
        return fallback
    return target


class EnrolmentExportView(_WorklistBase, View):
    """The worklist (?tab=…) or the enrolment list (no tab) as CSV or Excel, with the same scope."""

    def get(self, request):
        qs = self.filterset(
            lambda tab: selectors.worklist(user=request.user, tab=tab or "candidates") if request.GET.get("tab")
            else selectors.enrolment_list(user=request.user)
        ).qs
        full_id = request.user.has_perm("registry.view_full_id_number")
        fmt = request.GET.get("format", "csv")
        stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
        counted = _Counted(qs.iterator(chunk_size=2000))
        sheet = export.sheet(counted, full_id=full_id)
        if fmt == "xlsx":
            response = spreadsheets.xlsx_response([sheet], f"enrolments-{stamp}.xlsx")
        else:
            response = spreadsheets.csv_response(sheet.header, sheet.rows, f"enrolments-{stamp}.csv")
        # The file is built in memory before anything is sent, so the count is what the user receives.
        record(actor=request.user, event="enrolment.export", ip_address=client_ip(request),
               detail={"filters": request.GET.dict(), "full_id": full_id, "format": fmt, "rows": counted.n})
        return response


class _Counted:
    """An iterable that counts what it hands out (the rows of an export, for the audit log)."""

    def __init__(self, rows):
        self.rows = rows
        self.n = 0

    def __iter__(self):
        for row in self.rows:
            self.n += 1
            yield row
