"""Staff pages of ability assessments. Thin: parse, call a selector or service, render.

POST actions (submit, approve, return, request) answer like the import pages: they show the
detail page again with a message (the authorization matrix expects 200/403/404 from them).
"""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils import timezone
from django.views.generic import DetailView, TemplateView
from django.views.generic.edit import FormView

from core.mixins import AreaScopedMixin
from core.views import ServiceActionView, error_message
from registry.public import Elder

from . import rules, selectors, services
from .forms import AssessmentForm, ReasonForm
from .models import Assessment, Status

TABS = {
    "due": "应评估",
    "soon": "30天内到期",
    "submitted": "待审核",
    "draft": "草稿",
}


class WorklistView(AreaScopedMixin, TemplateView):
    """Due, due soon, awaiting approval and drafts in the user's area."""

    model = Assessment
    permission_required = "assessments.view_assessment"
    template_name = "assessments/worklist.html"

    def get_queryset(self):
        return Assessment.objects.visible_to(self.request.user)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        user = self.request.user
        today = timezone.localdate()
        tab = self.request.GET.get("tab") if self.request.GET.get("tab") in TABS else "due"
        lists = {
            "due": lambda: selectors.elders_due_for_assessment(user, today).select_related("region", "region__parent")
            .order_by("next_due_on", "region_code", "name", "id"),
            "soon": lambda: selectors.elders_due_soon(user, today).select_related("region", "region__parent")
            .order_by("next_due_on", "region_code", "name", "id"),
            "submitted": lambda: selectors.awaiting_approval(user),
            "draft": lambda: selectors.drafts(user),
        }
        page = Paginator(lists[tab](), settings.LIST_PAGE_SIZE).get_page(self.request.GET.get("page"))
        context.update(
            tab=tab, tabs=TABS, page_obj=page, rows=page.object_list, today=today,
            counts={"submitted": selectors.awaiting_approval(user).count(), "draft": selectors.drafts(user).count()},
            can_add=user.has_perm("assessments.add_assessment"),
        )
        return context


class ElderAssessmentsView(AreaScopedMixin, DetailView):
    """One elder's assessments: history, level trend, new assessment, request an immediate one."""

    model = Elder
    permission_required = "assessments.view_assessment"
    template_name = "assessments/elder_assessments.html"
    context_object_name = "elder"

    def get_queryset(self):
        return Elder.objects.visible_to(self.request.user).select_related("region", "region__parent")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        history = selectors.elder_history(self.request.user, self.object)
        context.update(
            history=history, trend=selectors.level_trend(history), open_request=selectors.open_request(self.object),
            request_form=kwargs.get("request_form") or ReasonForm(), today=timezone.localdate(),
        )
        return context


class RequestImmediateView(ElderAssessmentsView):
    """POST: request an immediate reassessment (即时评估) of the elder."""

    http_method_names = ["post"]

    def post(self, request, pk):
        self.object = self.get_object()
        if not request.user.has_perm("assessments.add_reassessmentrequest"):
            raise PermissionDenied
        form = ReasonForm(request.POST)
        form.is_valid()
        try:
            services.assessment_request_immediate(
                actor=request.user, elder=self.object, reason=form.cleaned_data.get("reason") or ""
            )
            messages.success(request, "已申请即时评估，该老年人已列入应评估名单")
            form = ReasonForm()
        except ValidationError as exc:
            messages.error(request, error_message(exc))
        return self.render_to_response(self.get_context_data(request_form=form))


class _AssessmentFormView(AreaScopedMixin, FormView):
    form_class = AssessmentForm
    template_name = "assessments/assessment_form.html"

    def get_form_kwargs(self):
        kwargs = super().get_form_kwargs()
        kwargs["elder"] = self.elder
        return kwargs

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        form = context["form"]
        context.update(
            elder=self.elder, sections=form.sections(), bands=rules.LEVEL_BANDS, level_labels=rules.LEVEL_LABELS,
            age=self.elder.age_on(timezone.localdate()), today=timezone.localdate(),
        )
        return context

    def form_valid(self, form):
        try:
            assessment = self.save(form)
        except ValidationError as exc:
            form.add_service_errors(exc.message_dict if hasattr(exc, "error_dict") else {"__all__": exc.messages})
            return self.form_invalid(form)
        return HttpResponseRedirect(reverse("assessments:detail", args=[assessment.pk]))


class AssessmentCreateView(_AssessmentFormView):
    model = Elder
    permission_required = "assessments.add_assessment"
    extra_context = {"title": "新建能力评估"}

    def get_queryset(self):
        return Elder.objects.visible_to(self.request.user)

    def dispatch(self, request, *args, **kwargs):
        if not self.has_permission():
            return self.handle_no_permission()
        self.elder = get_object_or_404(
            Elder.objects.visible_to(request.user).select_related("region", "region__parent"), pk=kwargs["pk"]
        )
        return super().dispatch(request, *args, **kwargs)

    def get_initial(self):
        has_history = Assessment.objects.filter(elder=self.elder).exists()
        initial = {"assessed_on": timezone.localdate(), "reason": "routine" if has_history else "first"}
        if self.request.user.has_perm("assessments.add_assessment") and selectors.is_assessor_for(
            self.request.user, self.elder.region_code
        ):
            initial["assessor_1"] = self.request.user.pk
        return initial

    def save(self, form):
        assessment = services.assessment_create(actor=self.request.user, elder=self.elder, data=form.service_data())
        messages.success(self.request, f"已保存评估草稿：总分 {assessment.total_score}，最终等级 {rules.level_label(assessment.final_level)}")
        return assessment


class AssessmentUpdateView(_AssessmentFormView):
    model = Assessment
    permission_required = "assessments.change_assessment"
    extra_context = {"title": "修改能力评估"}

    def get_queryset(self):
        return Assessment.objects.visible_to(self.request.user)

    def dispatch(self, request, *args, **kwargs):
        if not self.has_permission():
            return self.handle_no_permission()
        self.assessment = get_object_or_404(
            self.get_queryset().select_related("elder", "elder__region", "elder__region__parent"), pk=kwargs["pk"]
        )
        self.elder = self.assessment.elder
        if not self.assessment.is_editable:
            messages.error(
                request,
                "已审核的评估不能修改；如需更正，请新建一条“复评”记录"
                if self.assessment.status == Status.APPROVED
                else "已提交审核的评估不能修改；如需修改，请审核人先退回",
            )
            return HttpResponseRedirect(reverse("assessments:detail", args=[self.assessment.pk]))
        return super().dispatch(request, *args, **kwargs)

    def get_initial(self):
        return AssessmentForm.initial_from(self.assessment)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["assessment"] = self.assessment
        return context

    def save(self, form):
        assessment = services.assessment_update(
            actor=self.request.user, assessment=self.assessment, data=form.service_data()
        )
        messages.success(self.request, "已保存修改")
        return assessment


class AssessmentDetailView(AreaScopedMixin, DetailView):
    model = Assessment
    permission_required = "assessments.view_assessment"
    template_name = "assessments/assessment_detail.html"
    context_object_name = "assessment"

    def get_queryset(self):
        return super().get_queryset().select_related(
            "elder", "elder__region", "elder__region__parent", "assessor_1", "assessor_2", "approved_by", "created_by"
        )

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        a = self.object
        user = self.request.user
        sections = selectors.instrument_sections(a.standard)
        answered = []
        for indicator in sections:
            rows = []
            for item in indicator.items.all():
                score = (a.answers or {}).get(item.code)
                chosen = next((o for o in item.options.all() if o.score == score), None)
                rows.append((item, score, chosen))
            answered.append((indicator, rows, (a.subtotals or {}).get(indicator.code)))
        involved = user.pk in {a.assessor_1_id, a.assessor_2_id, a.created_by_id}
        context.update(
            sections=answered,
            age=a.elder.age_on(a.assessed_on),
            can_edit=a.status == Status.DRAFT and user.has_perm("assessments.change_assessment"),
            can_submit=a.status == Status.DRAFT and user.has_perm("assessments.change_assessment"),
            can_approve=a.status == Status.SUBMITTED and user.has_perm("assessments.approve_assessment") and not involved,
            involved=involved,
            can_reassess=a.status == Status.APPROVED and user.has_perm("assessments.add_assessment"),
            return_form=kwargs.get("return_form") or ReasonForm(),
            level_labels=rules.LEVEL_LABELS,
        )
        return context


class AssessmentPrintView(AssessmentDetailView):
    template_name = "assessments/assessment_print.html"


class _AssessmentAction(ServiceActionView, AssessmentDetailView):
    """POST on one assessment: view permission + area (404 outside), then the action's permission (403)."""


class AssessmentSubmitView(_AssessmentAction):
    action_permission = "assessments.change_assessment"

    def act(self, assessment):
        services.assessment_submit(actor=self.request.user, assessment=assessment)
        return "已提交审核"


class AssessmentApproveView(_AssessmentAction):
    action_permission = "assessments.approve_assessment"

    def act(self, assessment):
        done = services.assessment_approve(actor=self.request.user, assessment=assessment)
        return (
            f"已审核通过：最终等级 {rules.level_label(done.final_level)}，已更新老年人能力等级；"
            f"下次评估到期日 {done.next_due_on:%Y-%m-%d}"
        )


class AssessmentReturnView(_AssessmentAction):
    action_permission = "assessments.approve_assessment"

    def act(self, assessment):
        form = ReasonForm(self.request.POST)
        form.is_valid()
        services.assessment_return(
            actor=self.request.user, assessment=assessment, reason=form.cleaned_data.get("reason") or ""
        )
        return "已退回评估员修改"

