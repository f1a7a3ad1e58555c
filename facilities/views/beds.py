"""Beds and stays: adding beds, bed labels, a bed's status, admitting, discharging, transferring."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import render
from django.utils import timezone
from django.views import View

from .. import forms, qr, selectors, services
from ..choices import BedStatus
from ..models import Bed, WaitlistApplication
from .access import FacilityAccessMixin, FacilityFormView


class BedCreateView(FacilityFormView):
    action_perm, form_class, title = "facilities.add_bed", forms.BedCreateForm, "添加床位"
    submit = "添加床位"

    def perform(self, form):
        return services.bed_create(actor=self.request.user, facility=self.object, **form.cleaned_data)

    def success_message(self, beds):
        return f"已添加 {len(beds)} 张床位：{beds[0].code}{' 等' if len(beds) > 1 else ''}"


class BedLabelsView(FacilityAccessMixin, View):
    """一人一床一码: a printable page of labels, the code as text and as an inline SVG QR code."""

    action_perm = "facilities.view_bed"

    def get(self, request, pk):
        facility = self.get_facility(pk)
        beds = Bed.objects.filter(facility=facility).order_by("location", "room", "code")
        room = request.GET.get("room", "").strip()
        if room:
            beds = beds.filter(room=room)
        labels = [(bed, qr.svg(bed.code)) for bed in beds]
        return render(request, "facilities/bed_labels.html", {"facility": facility, "labels": labels, "room": room})


class BedStatusView(FacilityFormView):
    action_perm, form_class, lookup = "facilities.change_bed", forms.BedStatusForm, "get_bed"
    title, success = "床位 {object.code} 状态", "床位 {object.code} 状态已更新"

    def get_initial(self):
        return {"status": self.object.status}

    def perform(self, form):
        return services.bed_set_status(actor=self.request.user, bed=self.object, status=form.cleaned_data["status"])


class AdmitView(FacilityFormView):
    action_perm, form_class, form_needs = "facilities.add_admission", forms.AdmitForm, ("facility", "user")
    title, submit, success = "办理入住", "确认入住", "{result.elder.name} 已入住床位 {result.bed.code}"

    def get_initial(self):
        application_id = self.request.GET.get("application") if self.request.method == "GET" else None
        if not (application_id and application_id.isdigit()):
            return {}
        app = WaitlistApplication.objects.filter(pk=int(application_id), facility=self.object).select_related("elder").first()
        if app is not None and self.request.user.has_perm("registry.view_full_id_number"):
            return {"elder": app.elder.id_number}
        if app is not None:
            # A facility manager may not read the full ID (docs/security.md): they take it from the
            # applicant's ID card; the page names whom they are admitting.
            messages.info(self.request, f"候补申请人：{app.elder.name}（{app.elder.masked_id_number}），"
                                        "请核对本人身份证后填写身份证号码")
        return {}

    def perform(self, form):
        data = form.cleaned_data
        return services.admission_admit(
            actor=self.request.user, bed=data["bed"], elder=data["elder"], admitted_on=data["admitted_on"]
        )


class DischargeView(FacilityFormView):
    action_perm, form_class = "facilities.change_admission", forms.DischargeForm
    title, submit = "办理离开：{object.elder.name}（{object.bed.code}）", "确认离开"
    success = "{object.elder.name} 已办理离开，床位 {object.bed.code} 已空出"

    def get_object(self):
        admission = self.get_admission(self.kwargs["pk"])
        if admission.discharged_on is not None:
            raise PermissionDenied  # nothing to discharge
        return admission

    def get_initial(self):
        return {"discharged_on": timezone.localdate()}

    def get_context_data(self, **kwargs):
        return super().get_context_data(admission=self.object, **kwargs)

    def perform(self, form):
        data = form.cleaned_data
        services.admission_discharge(actor=self.request.user, admission=self.object, discharged_on=data["discharged_on"],
                                     reason=data["reason"], note=data["note"])
        return data["reason"]

    def success_message(self, reason):
        return super().success_message(reason) + ("；请在老年人信息中登记死亡日期" if reason == "death" else "")


class TransferView(DischargeView):
    form_class = forms.TransferForm
    title, submit = "转床：{object.elder.name}（{object.bed.code}）", "确认转床"
    success = "{result.elder.name} 已转至 {result.facility.name} 床位 {result.bed.code}"

    def get_initial(self):
        return {}

    def get_form_kwargs(self):
        beds = selectors.beds_for(self.request.user, write=True).exclude(pk=self.object.bed_id)
        return {**super().get_form_kwargs(), "beds": beds.filter(status__in=[BedStatus.VACANT, BedStatus.RESERVED])}

    def perform(self, form):
        self.object = services.admission_transfer(
            actor=self.request.user, admission=self.object, to_bed=form.cleaned_data["to_bed"], on=form.cleaned_data["on"]
        )
        return self.object

    def success_message(self, new):
        return self.success.format(result=new)
