"""The waiting list of a public facility: the list, applying, withdrawing."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.shortcuts import render
from django.utils import timezone
from django.views import View

from .. import forms, selectors, services
from ..choices import WaitlistStatus
from .access import FacilityAccessMixin, FacilityFormView


class WaitlistView(FacilityAccessMixin, View):
    action_perm = "facilities.view_waitlistapplication"

    def get(self, request, pk):
        facility = self.get_facility(pk)
        can_write, perm = self.can_manage(facility), request.user.has_perm
        return render(request, "facilities/waitlist.html", {
            "facility": facility,
            "rows": selectors.waitlist(facility, today=timezone.localdate()) if facility.is_public else [],
            "rules": selectors.effective_priority_rules(facility.region_code),
            "can_apply": can_write and perm("facilities.add_waitlistapplication"),
            "can_withdraw": can_write and perm("facilities.change_waitlistapplication"),
            "can_admit": can_write and perm("facilities.add_admission"),
        })


class WaitlistApplyView(FacilityFormView):
    action_perm, form_class, form_needs = "facilities.add_waitlistapplication", forms.WaitlistApplyForm, ("facility", "user")
    title, submit, success_view = "登记轮候申请", "登记申请", "facilities:waitlist"

    def perform(self, form):
        return services.waitlist_apply(actor=self.request.user, facility=self.object, **form.cleaned_data)

    def success_message(self, application):
        row = selectors.waitlist_position(application, today=timezone.localdate())
        return f"已登记 {application.elder.name} 的轮候申请。{row.reason if row else ''}"


class WaitlistWithdrawView(FacilityFormView):
    action_perm, form_class, success_view = "facilities.change_waitlistapplication", forms.WithdrawForm, "facilities:waitlist"
    title, submit, success = "撤回轮候申请：{object.elder.name}", "确认撤回", "已撤回 {object.elder.name} 的轮候申请"

    def get_object(self):
        application = self.get_application(self.kwargs["pk"])
        if application.status != WaitlistStatus.WAITING:
            raise PermissionDenied
        return application

    def perform(self, form):
        return services.waitlist_withdraw(
            actor=self.request.user, application=self.object, on=timezone.localdate(), note=form.cleaned_data["note"]
        )
