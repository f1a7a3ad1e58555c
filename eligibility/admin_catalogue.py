"""Admin of the policy catalogue (county administrators edit the list here) and read-only views of
enrolments and sweep runs. Imported once at the end of eligibility/admin.py."""

from django.contrib import admin

from regions.admin_mixins import ScopedAdminMixin

from .models import Benefit, BenefitRule, Enrolment, EnrolmentEvent, PolicyParameter, SweepRun
from .policy.vocabulary import __doc__ as VOCABULARY_DOC


class BenefitRuleInline(admin.TabularInline):
    model = BenefitRule
    extra = 0
    fields = ("jurisdiction", "label", "effective_from", "effective_to", "amount_kind", "amount", "parameter_key")
    readonly_fields = fields
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Benefit)
class BenefitAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "service_type", "payment_kind", "enrolment_mode", "lead_department", "is_active")
    list_filter = ("service_type", "payment_kind", "enrolment_mode", "is_active")
    search_fields = ("code", "name")
    inlines = [BenefitRuleInline]


@admin.register(BenefitRule)
class BenefitRuleAdmin(admin.ModelAdmin):
    list_display = ("benefit", "label", "jurisdiction", "effective_from", "effective_to", "amount_kind", "amount", "parameter_key")
    list_filter = ("benefit", "amount_kind", "jurisdiction__level")
    search_fields = ("benefit__name", "label", "jurisdiction__name", "source")
    autocomplete_fields = ("jurisdiction",)
    list_select_related = ("benefit", "jurisdiction")
    fieldsets = (
        (None, {"fields": ("benefit", "jurisdiction", "label", "source", ("effective_from", "effective_to"))}),
        ("条件", {"fields": ("criteria",), "description": "<pre style='white-space:pre-wrap'>%s</pre>" % VOCABULARY_DOC}),
        ("金额与起始", {"fields": ("start", "amount_kind", "amount", "parameter_key")}),
    )


@admin.register(PolicyParameter)
class PolicyParameterAdmin(admin.ModelAdmin):
    list_display = ("key", "name", "jurisdiction", "value", "effective_from", "effective_to", "note")
    list_filter = ("key",)
    search_fields = ("key", "name", "jurisdiction__name", "note")
    autocomplete_fields = ("jurisdiction",)
    list_select_related = ("jurisdiction",)


class _ReadOnly:
    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Enrolment)
class EnrolmentAdmin(_ReadOnly, ScopedAdminMixin, admin.ModelAdmin):
    list_display = ("elder", "benefit", "status", "start_period", "end_period", "amount", "source", "updated_at")
    list_filter = ("status", "benefit", "source")
    search_fields = ("=elder__id_number", "elder__name")
    list_select_related = ("elder", "benefit")
    show_full_result_count = False


@admin.register(EnrolmentEvent)
class EnrolmentEventAdmin(_ReadOnly, admin.ModelAdmin):
    list_display = ("enrolment", "at", "kind", "status", "amount", "actor")
    list_filter = ("kind",)
    show_full_result_count = False

    def get_queryset(self, request):
        from .models import Enrolment as E

        visible = E.objects.visible_to(request.user).values("pk")
        return super().get_queryset(request).filter(enrolment__in=visible)


@admin.register(SweepRun)
class SweepRunAdmin(_ReadOnly, admin.ModelAdmin):
    list_display = (
        "county_code", "as_of", "period", "status", "mode", "evaluated", "started_at", "finished_at", "total_changes",
    )
    list_filter = ("status",)

    @admin.display(description="测算方式")
    def mode(self, obj: SweepRun) -> str:
        return obj.mode_label
