"""Staff pages of the facilities app. Thin: check access, call a selector or service, render.

Access, in this order (the authorization matrix checks it): signed in (else the login page);
the module permission `facilities.use_facilities` (else 403); the object among facilities_for(user)
(else 404, the same answer as a missing one); the action's model permission and, for changes, a
facility the user may manage — their area, or a guardian change grant (else 403).
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, Q
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import timezone
from django.views import View

from audit.services import client_ip, record
from core import spreadsheets

from . import exports, forms, qr, selectors, services
from .choices import BedStatus, WaitlistStatus
from .models import Admission, Bed, Facility, WaitlistApplication

NURSING_BED_TARGET = getattr(settings, "FACILITIES_NURSING_BED_TARGET_PERCENT", 60)


def add_errors(form: Any, exc: ValidationError) -> None:
    """Put a service's ValidationError on the form: on the field when it has one, else on top."""
    items = exc.message_dict.items() if hasattr(exc, "error_dict") else [(None, exc.messages)]
    for field, errors in items:
        form.add_error(field if field in form.fields else None, errors)


class FacilityAccessMixin(LoginRequiredMixin):
    """See the module docstring. Subclasses set action_perm/write and call get_facility & co."""

    gate = "facilities.use_facilities"
    action_perm: str | None = None
    write = False

    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            return self.handle_no_permission()
        if not request.user.has_perm(self.gate):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def check_action(self, facility: Facility) -> None:
        user = self.request.user
        if self.action_perm and not user.has_perm(self.action_perm):
            raise PermissionDenied
        if self.write and not selectors.facilities_for(user, write=True).filter(pk=facility.pk).exists():
            raise PermissionDenied

    def get_facility(self, pk: int) -> Facility:
        facility = get_object_or_404(selectors.facilities_for(self.request.user).select_related("region"), pk=pk)
        self.check_action(facility)
        return facility

    def get_bed(self, pk: int) -> Bed:
        bed = get_object_or_404(selectors.beds_for(self.request.user).select_related("facility"), pk=pk)
        self.check_action(bed.facility)
        return bed

    def get_admission(self, pk: int) -> Admission:
        admission = get_object_or_404(
            selectors.admissions_for(self.request.user).select_related("facility", "bed", "elder"), pk=pk
        )
        self.check_action(admission.facility)
        return admission

    def get_application(self, pk: int) -> WaitlistApplication:
        application = get_object_or_404(
            selectors.applications_for(self.request.user).select_related("facility", "elder"), pk=pk
        )
        self.check_action(application.facility)
        return application

    def can(self, facility: Facility, perm: str, *, write: bool = True) -> bool:
        user = self.request.user
        if not user.has_perm(perm):
            return False
        return not write or selectors.facilities_for(user, write=True).filter(pk=facility.pk).exists()


class FacilityListView(FacilityAccessMixin, View):
    def get(self, request):
        form = forms.FacilityFilterForm(request.GET or None)
        filters = form.cleaned_data if form.is_valid() else {}
        facilities = selectors.facility_list(request.user, kind=filters.get("kind", ""), q=filters.get("q", ""))
        today = timezone.localdate()
        rows = list(facilities[:500])
        for f in rows:
            f.rating_status = selectors.rules.rating_status(f.rating_expires_on, today) if f.rating_expires_on else ""
        return render(request, "facilities/facility_list.html", {
            "facilities": rows, "filter_form": form, "can_add": request.user.has_perm("facilities.add_facility"),
            "today": today,
        })


class _FacilityFormView(FacilityAccessMixin, View):
    template_name = "facilities/facility_form.html"

    def render_form(self, form, facility=None):
        return render(self.request, self.template_name, {"form": form, "facility": facility, "title": self.title})


class FacilityCreateView(_FacilityFormView):
    action_perm = "facilities.add_facility"
    title = "登记养老机构"

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and request.user.has_perm(self.gate) and not request.user.has_perm(self.action_perm):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def get(self, request):
        return self.render_form(forms.FacilityForm(user=request.user))

    def post(self, request):
        form = forms.FacilityForm(request.POST, user=request.user)
        if form.is_valid():
            try:
                facility = services.facility_create(actor=request.user, data=form.service_data())
            except ValidationError as exc:
                add_errors(form, exc)
            else:
                messages.success(request, f"已登记 {facility.name}")
                return HttpResponseRedirect(reverse("facilities:facility_detail", args=[facility.pk]))
        return self.render_form(form)


class FacilityUpdateView(_FacilityFormView):
    action_perm = "facilities.change_facility"
    write = True
    title = "修改机构信息"

    def get(self, request, pk):
        facility = self.get_facility(pk)
        return self.render_form(forms.FacilityForm(instance=facility, user=request.user), facility)

    def post(self, request, pk):
        facility = self.get_facility(pk)
        form = forms.FacilityForm(request.POST, instance=Facility.objects.get(pk=pk), user=request.user)
        if form.is_valid():
            try:
                services.facility_update(actor=request.user, facility=facility, data=form.service_data())
            except ValidationError as exc:
                add_errors(form, exc)
            else:
                messages.success(request, "已保存修改")
                return HttpResponseRedirect(reverse("facilities:facility_detail", args=[facility.pk]))
        return self.render_form(form, facility)


class FacilityDetailView(FacilityAccessMixin, View):
    def get(self, request, pk):
        facility = self.get_facility(pk)
        today = timezone.localdate()
        beds = list(Bed.objects.filter(facility=facility).order_by("location", "room", "code"))
        counts = Bed.objects.filter(facility=facility).aggregate(
            total=Count("id"), vacant=Count("id", filter=Q(status=BedStatus.VACANT)),
            occupied=Count("id", filter=Q(status=BedStatus.OCCUPIED)),
        )
        ratings = list(facility.ratings.all())
        for r in ratings:
            r.status = r.status_on(today)
        can_write = selectors.facilities_for(request.user, write=True).filter(pk=facility.pk).exists()
        perms = request.user.has_perm
        return render(request, "facilities/facility_detail.html", {
            "facility": facility,
            "beds": beds,
            "bed_counts": counts,
            "ratings": ratings,
            "current_rating": ratings[0] if ratings else None,
            "residents": selectors.open_admissions(facility),
            "past": Admission.objects.filter(facility=facility, discharged_on__isnull=False)
            .select_related("elder", "bed").order_by("-discharged_on", "-id")[:20],
            "waiting": facility.waitlist_applications.filter(status=WaitlistStatus.WAITING).count(),
            "can_edit": can_write and perms("facilities.change_facility"),
            "can_rate": can_write and perms("facilities.add_rating"),
            "can_add_beds": can_write and perms("facilities.add_bed"),
            "can_change_beds": can_write and perms("facilities.change_bed"),
            "can_admit": can_write and perms("facilities.add_admission"),
            "can_discharge": can_write and perms("facilities.change_admission"),
            "can_see_waitlist": perms("facilities.view_waitlistapplication"),
            "today": today,
        })


class RatingCreateView(FacilityAccessMixin, View):
    action_perm = "facilities.add_rating"
    write = True

    def get(self, request, pk):
        facility = self.get_facility(pk)
        return self._render(facility, forms.RatingForm(facility=facility))

    def post(self, request, pk):
        facility = self.get_facility(pk)
        form = forms.RatingForm(request.POST, facility=facility)
        if form.is_valid():
            try:
                services.rating_add(actor=request.user, facility=facility, **form.cleaned_data)
            except ValidationError as exc:
                add_errors(form, exc)
            else:
                messages.success(request, "已登记评定结果")
                return HttpResponseRedirect(reverse("facilities:facility_detail", args=[facility.pk]))
        return self._render(facility, form)

    def _render(self, facility, form):
        return render(self.request, "facilities/simple_form.html", {
            "facility": facility, "form": form, "title": "登记等级/星级评定", "submit": "保存",
        })


class BedCreateView(FacilityAccessMixin, View):
    action_perm = "facilities.add_bed"
    write = True

    def get(self, request, pk):
        facility = self.get_facility(pk)
        return self._render(facility, forms.BedCreateForm())

    def post(self, request, pk):
        facility = self.get_facility(pk)
        form = forms.BedCreateForm(request.POST)
        if form.is_valid():
            try:
                beds = services.bed_create(actor=request.user, facility=facility, **form.cleaned_data)
            except ValidationError as exc:
                add_errors(form, exc)
            else:
                messages.success(request, f"已添加 {len(beds)} 张床位：{beds[0].code}{' 等' if len(beds) > 1 else ''}")
                return HttpResponseRedirect(reverse("facilities:facility_detail", args=[facility.pk]))
        return self._render(facility, form)

    def _render(self, facility, form):
        return render(self.request, "facilities/simple_form.html", {
            "facility": facility, "form": form, "title": "添加床位", "submit": "添加床位",
        })


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


class BedStatusView(FacilityAccessMixin, View):
    action_perm = "facilities.change_bed"
    write = True

    def get(self, request, pk):
        bed = self.get_bed(pk)
        return self._render(bed, forms.BedStatusForm(initial={"status": bed.status}))

    def post(self, request, pk):
        bed = self.get_bed(pk)
        form = forms.BedStatusForm(request.POST)
        if form.is_valid():
            try:
                services.bed_set_status(actor=request.user, bed=bed, status=form.cleaned_data["status"])
            except ValidationError as exc:
                add_errors(form, exc)
            else:
                messages.success(request, f"床位 {bed.code} 状态已更新")
                return HttpResponseRedirect(reverse("facilities:facility_detail", args=[bed.facility_id]))
        return self._render(bed, form)

    def _render(self, bed, form):
        return render(self.request, "facilities/simple_form.html", {
            "facility": bed.facility, "form": form, "title": f"床位 {bed.code} 状态", "submit": "保存",
        })


class AdmitView(FacilityAccessMixin, View):
    action_perm = "facilities.add_admission"
    write = True

    def get(self, request, pk):
        facility = self.get_facility(pk)
        initial = {}
        application_id = request.GET.get("application")
        if application_id and application_id.isdigit():
            app = WaitlistApplication.objects.filter(pk=int(application_id), facility=facility).select_related("elder").first()
            if app is not None and request.user.has_perm("registry.view_full_id_number"):
                initial["elder"] = app.elder.id_number
            elif app is not None:
                # A facility manager may not read the full ID (docs/security.md): they take it from the
                # applicant's ID card; the page names whom they are admitting.
                messages.info(request, f"候补申请人：{app.elder.name}（{app.elder.masked_id_number}），"
                                       "请核对本人身份证后填写身份证号码")
        return self._render(facility, forms.AdmitForm(facility=facility, user=request.user, initial=initial))

    def post(self, request, pk):
        facility = self.get_facility(pk)
        form = forms.AdmitForm(request.POST, facility=facility, user=request.user)
        if form.is_valid():
            data = form.cleaned_data
            try:
                admission = services.admission_admit(
                    actor=request.user, bed=data["bed"], elder=data["elder"], admitted_on=data["admitted_on"]
                )
            except ValidationError as exc:
                add_errors(form, exc)
            else:
                messages.success(request, f"{admission.elder.name} 已入住床位 {admission.bed.code}")
                return HttpResponseRedirect(reverse("facilities:facility_detail", args=[facility.pk]))
        return self._render(facility, form)

    def _render(self, facility, form):
        return render(self.request, "facilities/simple_form.html", {
            "facility": facility, "form": form, "title": "办理入住", "submit": "确认入住",
        })


class DischargeView(FacilityAccessMixin, View):
    action_perm = "facilities.change_admission"
    write = True

    def get(self, request, pk):
        admission = self._open(pk)
        return self._render(admission, forms.DischargeForm(initial={"discharged_on": timezone.localdate()}))

    def post(self, request, pk):
        admission = self._open(pk)
        form = forms.DischargeForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            try:
                services.admission_discharge(
                    actor=request.user, admission=admission, discharged_on=data["discharged_on"],
                    reason=data["reason"], note=data["note"],
                )
            except ValidationError as exc:
                add_errors(form, exc)
            else:
                text = f"{admission.elder.name} 已办理离开，床位 {admission.bed.code} 已空出"
                if data["reason"] == "death":
                    text += "；请在老年人信息中登记死亡日期"
                messages.success(request, text)
                return HttpResponseRedirect(reverse("facilities:facility_detail", args=[admission.facility_id]))
        return self._render(admission, form)

    def _open(self, pk):
        admission = self.get_admission(pk)
        if admission.discharged_on is not None:
            raise PermissionDenied  # nothing to discharge
        return admission

    def _render(self, admission, form):
        return render(self.request, "facilities/simple_form.html", {
            "facility": admission.facility, "form": form, "admission": admission,
            "title": f"办理离开：{admission.elder.name}（{admission.bed.code}）", "submit": "确认离开",
        })


class TransferView(DischargeView):
    def get(self, request, pk):
        admission = self._open(pk)
        return self._render(admission, self._form(admission))

    def post(self, request, pk):
        admission = self._open(pk)
        form = self._form(admission, request.POST)
        if form.is_valid():
            try:
                new = services.admission_transfer(
                    actor=request.user, admission=admission, to_bed=form.cleaned_data["to_bed"], on=form.cleaned_data["on"]
                )
            except ValidationError as exc:
                add_errors(form, exc)
            else:
                messages.success(request, f"{new.elder.name} 已转至 {new.facility.name} 床位 {new.bed.code}")
                return HttpResponseRedirect(reverse("facilities:facility_detail", args=[new.facility_id]))
        return self._render(admission, form)

    def _form(self, admission, data=None):
        beds = selectors.beds_for(self.request.user, write=True).exclude(pk=admission.bed_id).filter(
            status__in=[BedStatus.VACANT, BedStatus.RESERVED]
        )
        return forms.TransferForm(data, beds=beds)

    def _render(self, admission, form):
        return render(self.request, "facilities/simple_form.html", {
            "facility": admission.facility, "form": form, "admission": admission,
            "title": f"转床：{admission.elder.name}（{admission.bed.code}）", "submit": "确认转床",
        })


class WaitlistView(FacilityAccessMixin, View):
    action_perm = "facilities.view_waitlistapplication"

    def get(self, request, pk):
        facility = self.get_facility(pk)
        today = timezone.localdate()
        can_write = selectors.facilities_for(request.user, write=True).filter(pk=facility.pk).exists()
        return render(request, "facilities/waitlist.html", {
            "facility": facility,
            "rows": selectors.waitlist(facility, today=today) if facility.is_public else [],
            "rules": selectors.effective_priority_rules(facility.region_code),
            "can_apply": can_write and request.user.has_perm("facilities.add_waitlistapplication"),
            "can_withdraw": can_write and request.user.has_perm("facilities.change_waitlistapplication"),
            "can_admit": can_write and request.user.has_perm("facilities.add_admission"),
        })


class WaitlistApplyView(FacilityAccessMixin, View):
    action_perm = "facilities.add_waitlistapplication"
    write = True

    def get(self, request, pk):
        facility = self.get_facility(pk)
        return self._render(facility, forms.WaitlistApplyForm(facility=facility, user=request.user))

    def post(self, request, pk):
        facility = self.get_facility(pk)
        form = forms.WaitlistApplyForm(request.POST, facility=facility, user=request.user)
        if form.is_valid():
            try:
                application = services.waitlist_apply(actor=request.user, facility=facility, **form.cleaned_data)
            except ValidationError as exc:
                add_errors(form, exc)
            else:
                row = selectors.waitlist_position(application, today=timezone.localdate())
                messages.success(request, f"已登记 {application.elder.name} 的轮候申请。{row.reason if row else ''}")
                return HttpResponseRedirect(reverse("facilities:waitlist", args=[facility.pk]))
        return self._render(facility, form)

    def _render(self, facility, form):
        return render(self.request, "facilities/simple_form.html", {
            "facility": facility, "form": form, "title": "登记轮候申请", "submit": "登记申请",
        })


class WaitlistWithdrawView(FacilityAccessMixin, View):
    action_perm = "facilities.change_waitlistapplication"
    write = True

    def get(self, request, pk):
        application = self._waiting(pk)
        return self._render(application, forms.WithdrawForm())

    def post(self, request, pk):
        application = self._waiting(pk)
        form = forms.WithdrawForm(request.POST)
        if form.is_valid():
            try:
                services.waitlist_withdraw(
                    actor=request.user, application=application, on=timezone.localdate(), note=form.cleaned_data["note"]
                )
            except ValidationError as exc:
                add_errors(form, exc)
            else:
                messages.success(request, f"已撤回 {application.elder.name} 的轮候申请")
                return HttpResponseRedirect(reverse("facilities:waitlist", args=[application.facility_id]))
        return self._render(application, form)

    def _waiting(self, pk):
        application = self.get_application(pk)
        if application.status != WaitlistStatus.WAITING:
            raise PermissionDenied
        return application

    def _render(self, application, form):
        return render(self.request, "facilities/simple_form.html", {
            "facility": application.facility, "form": form,
            "title": f"撤回轮候申请：{application.elder.name}", "submit": "确认撤回",
        })


class IndicatorsView(FacilityAccessMixin, View):
    def get(self, request):
        data = selectors.indicators(request.user, today=timezone.localdate(), target_percent=NURSING_BED_TARGET)
        return render(request, "facilities/indicators.html", {**data, "levels": selectors.ABILITY_LEVELS})


class IndicatorsExportView(FacilityAccessMixin, View):
    def get(self, request):
        today = timezone.localdate()
        data = selectors.indicators(request.user, today=today, target_percent=NURSING_BED_TARGET)
        sheets = exports.indicators_sheets(data, today=today)
        record(actor=request.user, event="facilities.indicators_export", ip_address=client_ip(request),
               detail={"facilities": len(data["facilities"]), "rows": len(data["facilities"])})
        return spreadsheets.xlsx_response(sheets, f"facility-indicators-{today:%Y%m%d}.xlsx")


