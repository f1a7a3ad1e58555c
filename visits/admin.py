"""Admin of visits and care: county administrators edit their visit rules here (rules as data)."""

from __future__ import annotations

from django import forms
from django.contrib import admin

from core.admin import ScopedAdminMixin
from regions.models import Region

from .models import FollowUp, Mode, Visit, VisitorAssignment, VisitRecord, VisitRule


class VisitRuleForm(forms.ModelForm):
    modes = forms.MultipleChoiceField(label="允许方式", choices=Mode.choices, widget=forms.CheckboxSelectMultiple)

    class Meta:
        model = VisitRule
        fields = ["jurisdiction", "code", "name", "criteria", "frequency", "times", "risk_tier", "modes",
                  "in_person_monthly", "effective_from", "effective_to", "source"]


@admin.register(VisitRule)
class VisitRuleAdmin(ScopedAdminMixin, admin.ModelAdmin):
    form = VisitRuleForm
    list_display = ["code", "name", "jurisdiction", "frequency", "times", "risk_tier", "in_person_monthly", "effective_from", "effective_to"]
    list_filter = ["frequency", "risk_tier"]
    search_fields = ["code", "name"]

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "jurisdiction":
            qs = Region.objects.exclude(level=Region.Level.VILLAGE).visible_to(request.user)
            kwargs["queryset"] = qs.order_by("code")
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


@admin.register(VisitorAssignment)
class VisitorAssignmentAdmin(ScopedAdminMixin, admin.ModelAdmin):
    list_display = ["elder", "visitor", "kind", "region_code", "assigned_at"]
    raw_id_fields = ["elder", "visitor", "assigned_by"]
    search_fields = ["elder__name", "visitor__username"]


@admin.register(Visit)
class VisitAdmin(ScopedAdminMixin, admin.ModelAdmin):
    list_display = ["elder", "rule", "due_on", "status", "visitor", "region_code"]
    list_filter = ["status"]
    raw_id_fields = ["elder", "visitor"]
    search_fields = ["elder__name"]
    date_hierarchy = "due_on"


@admin.register(VisitRecord)
class VisitRecordAdmin(ScopedAdminMixin, admin.ModelAdmin):
    list_display = ["elder", "visited_at", "mode", "risk_level", "recorded_by"]
    list_filter = ["mode", "risk_level"]
    raw_id_fields = ["visit", "elder", "recorded_by"]

    def has_change_permission(self, request, obj=None):
        return False  # a record is evidence: corrected by a new visit, never edited


@admin.register(FollowUp)
class FollowUpAdmin(ScopedAdminMixin, admin.ModelAdmin):
    list_display = ["elder", "kind", "status", "created_at", "closed_at"]
    list_filter = ["kind", "status"]
    raw_id_fields = ["record", "elder", "created_by", "closed_by"]
