"""Admin: the per-county interval is edited here; assessments and the instrument are read-only
(assessments change only through the services, so the lifecycle and the audit log hold)."""

from django.contrib import admin

from core.admin import AdminRulesMixin, ScopedAdminMixin

from .models import Assessment, AssessmentPolicy, Indicator, Item, Option, ReassessmentRequest


class ReadOnlyAdmin(AdminRulesMixin, admin.ModelAdmin):
    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(AssessmentPolicy)
class AssessmentPolicyAdmin(ScopedAdminMixin, admin.ModelAdmin):
    list_display = ["region", "interval_months"]
    fields = ["region", "interval_months"]


@admin.register(Assessment)
class AssessmentAdmin(ScopedAdminMixin, ReadOnlyAdmin):
    list_display = ["elder", "assessed_on", "reason", "standard", "total_score", "final_level", "status", "next_due_on"]
    list_filter = ["status", "standard", "reason"]
    search_fields = ["elder__name"]
    list_select_related = ["elder"]


@admin.register(ReassessmentRequest)
class ReassessmentRequestAdmin(ScopedAdminMixin, ReadOnlyAdmin):
    list_display = ["elder", "reason", "requested_by", "requested_at", "fulfilled_by"]
    list_select_related = ["elder", "requested_by"]


class OptionInline(admin.TabularInline):
    model = Option
    extra = 0
    can_delete = False

    def has_change_permission(self, request, obj=None):
        return False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Item)
class ItemAdmin(ReadOnlyAdmin):
    list_display = ["code", "name", "indicator", "max_score"]
    inlines = [OptionInline]


@admin.register(Indicator)
class IndicatorAdmin(ReadOnlyAdmin):
    list_display = ["standard", "code", "name", "max_score"]
