"""Facilities: the list, registering and editing a facility, its page, ratings, the indicators."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Q
from django.shortcuts import render
from django.utils import timezone
from django.views import View

from audit.services import client_ip, record
from core import spreadsheets
from core.views import FilteredListView

from .. import exports, forms, selectors, services
from ..choices import BedStatus, WaitlistStatus
from ..filters import FacilityFilterSet
from ..models import Admission, Bed, Facility
from .access import FacilityAccessMixin, FacilityFormView

NURSING_BED_TARGET = getattr(settings, "FACILITIES_NURSING_BED_TARGET_PERCENT", 60)
# The facility page's buttons: each needs the permission and a facility the user may manage.
WRITE_FLAGS = {"can_edit": "change_facility", "can_rate": "add_rating", "can_add_beds": "add_bed",
               "can_change_beds": "change_bed", "can_admit": "add_admission", "can_discharge": "change_admission"}


class FacilityListView(FacilityAccessMixin, FilteredListView):
    template_name = "facilities/facility_list.html"
    context_object_name = "facilities"
    filterset_class = FacilityFilterSet
    paginate_by = 0  # one page of at most 500 rows, as before

    def get_queryset(self):
        return selectors.facility_list(self.request.user)

    def get_context_data(self, **kwargs):
        today = timezone.localdate()
        rows = list(self.object_list[:500])
        for f in rows:
            f.rating_status = selectors.rules.rating_status(f.rating_expires_on, today) if f.rating_expires_on else ""
        return super().get_context_data(
            object_list=rows, can_add=self.request.user.has_perm("facilities.add_facility"), today=today, **kwargs
        )


class FacilityCreateView(FacilityFormView):
    template_name, form_class, form_needs = "facilities/facility_form.html", forms.FacilityForm, ("user",)
    action_perm, title, success = "facilities.add_facility", "登记养老机构", "已登记 {result.name}"

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and request.user.has_perm(self.gate) and not request.user.has_perm(self.action_perm):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def get_object(self):
        return None

    def perform(self, form):
        self.object = services.facility_create(actor=self.request.user, data=form.service_data())
        return self.object


class FacilityUpdateView(FacilityFormView):
    template_name, form_class, form_needs = "facilities/facility_form.html", forms.FacilityForm, ("user",)
    action_perm, title, success = "facilities.change_facility", "修改机构信息", "已保存修改"

    def get_form_kwargs(self):
        # POST edits a fresh copy: the service compares it with the facility as it was.
        instance = self.object if self.request.method == "GET" else Facility.objects.get(pk=self.object.pk)
        return {**super().get_form_kwargs(), "instance": instance}

    def perform(self, form):
        return services.facility_update(actor=self.request.user, facility=self.object, data=form.service_data())


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
        can_write, perms = self.can_manage(facility), request.user.has_perm
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
            **{flag: can_write and perms(f"facilities.{perm}") for flag, perm in WRITE_FLAGS.items()},
            "can_see_waitlist": perms("facilities.view_waitlistapplication"),
            "today": today,
        })


class RatingCreateView(FacilityFormView):
    action_perm, form_class, form_needs = "facilities.add_rating", forms.RatingForm, ("facility",)
    title, success = "登记等级/星级评定", "已登记评定结果"

    def perform(self, form):
        return services.rating_add(actor=self.request.user, facility=self.object, **form.cleaned_data)


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
