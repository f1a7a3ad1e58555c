"""Staff pages of the elder registry. Thin: parse, call a selector or service, render."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.views.generic import DetailView, View
from django.views.generic.edit import FormView

from audit.services import client_ip
from core.mixins import AreaScopedMixin
from core.views import FilteredListView
from regions.selectors import picker_levels, resolve_area

from . import selectors, services
from .forms import ElderFilterSet, ElderForm
from .history import history_entries
from .models import Elder, Household


class ElderListView(AreaScopedMixin, FilteredListView):
    model = Elder
    permission_required = "registry.view_elder"
    template_name = "registry/elder_list.html"
    context_object_name = "elders"
    filterset_class = ElderFilterSet

    def get_queryset(self):
        self.area = resolve_area(self.request.user, self.request.GET.get("area"))
        return selectors.elder_list(user=self.request.user, area=self.area)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["picker_levels"] = picker_levels(self.request.user, self.area)
        context["selected_area"] = self.area.code if self.area else ""
        context["today"] = timezone.localdate()
        return context


class ElderDetailView(AreaScopedMixin, DetailView):
    model = Elder
    permission_required = "registry.view_elder"
    template_name = "registry/elder_detail.html"
    context_object_name = "elder"

    def get_queryset(self):
        return super().get_queryset().select_related("region", "region__parent", "household")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        elder = self.object
        user = self.request.user
        context["today"] = timezone.localdate()
        context["age"] = elder.age_on(timezone.localdate())
        context["can_reveal"] = user.has_perm("registry.view_full_id_number")
        context["can_edit"] = user.has_perm("registry.change_elder")
        context["members"] = (
            Elder.objects.visible_to(user).filter(household_id=elder.household_id).exclude(pk=elder.pk).order_by("birth_date")
            if elder.household_id
            else []
        )
        context["history"] = history_entries(elder, full_id=context["can_reveal"])
        return context


class ElderRevealIdView(AreaScopedMixin, View):
    """htmx POST: swap the masked ID for the full one; logged, and only for roles that need it."""

    model = Elder
    permission_required = "registry.view_elder"

    def get_queryset(self):
        return Elder.objects.visible_to(self.request.user)

    def post(self, request, pk):
        elder = get_object_or_404(self.get_queryset(), pk=pk)
        number = services.elder_reveal_id_number(actor=request.user, elder=elder, ip_address=client_ip(request))
        return HttpResponse(
            render_to_string("registry/_id_number_revealed.html", {"number": number}, request=request)
        )


class _ElderFormMixin(AreaScopedMixin, FormView):
    form_class = ElderForm
    template_name = "registry/elder_form.html"

    def get_form_kwargs(self):
        kwargs = super().get_form_kwargs()
        kwargs["user"] = self.request.user
        return kwargs

    def form_valid(self, form):
        try:
            elder = self.save(form)
        except ValidationError as exc:
            for field, errors in exc.message_dict.items() if hasattr(exc, "error_dict") else [(None, exc.messages)]:
                form.add_error(field if field in form.fields else None, errors)
            return self.form_invalid(form)
        return HttpResponseRedirect(reverse("eligibility:elder_detail", args=[elder.pk]))


class ElderCreateView(_ElderFormMixin):
    permission_required = "registry.add_elder"
    model = Elder
    extra_context = {"title": "登记老年人"}

    def get_queryset(self):  # nothing to look up; the area check is on the chosen village
        return Elder.objects.none()

    def save(self, form):
        elder = services.elder_create(
            actor=self.request.user, data=form.service_data(), household_number=form.cleaned_data["household_number"]
        )
        messages.success(self.request, f"已登记 {elder.name}")
        return elder


class ElderUpdateView(_ElderFormMixin):
    permission_required = "registry.change_elder"
    model = Elder
    extra_context = {"title": "修改老年人信息"}

    def dispatch(self, request, *args, **kwargs):
        if not self.has_permission():
            return self.handle_no_permission()
        self.elder = get_object_or_404(Elder.objects.visible_to(request.user), pk=kwargs["pk"])
        return super().dispatch(request, *args, **kwargs)

    def get_form_kwargs(self):
        kwargs = super().get_form_kwargs()
        kwargs["instance"] = self.elder
        return kwargs

    def get(self, request, *args, **kwargs):
        # The edit form shows the full ID number to roles allowed to see it: that is a reveal, logged.
        if request.user.has_perm("registry.view_full_id_number"):
            services.elder_reveal_id_number(actor=request.user, elder=self.elder, ip_address=client_ip(request))
        return super().get(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["elder"] = self.elder
        return context

    def save(self, form):
        # form.instance already carries the new values (ModelForm), so the service compares with a fresh copy.
        fresh = Elder.objects.get(pk=self.elder.pk)
        elder = services.elder_update(
            actor=self.request.user, elder=fresh, data=form.service_data(),
            household_number=form.cleaned_data["household_number"],
        )
        messages.success(self.request, "已保存修改")
        return elder


class HouseholdDetailView(AreaScopedMixin, DetailView):
    model = Household
    permission_required = "registry.view_household"
    template_name = "registry/household_detail.html"
    context_object_name = "household"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["members"] = (
            Elder.objects.visible_to(self.request.user).filter(household=self.object).order_by("birth_date")
        )
        context["today"] = timezone.localdate()
        return context
