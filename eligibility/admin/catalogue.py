"""Admin of the policy catalogue (county administrators edit the list here) and read-only views of
enrolments and sweep runs. Imported by eligibility/admin/__init__.py."""

from django.contrib import admin
from django.core.exceptions import ValidationError
from django.db.models import Q

from core.admin import AdminRulesMixin, ScopedAdminMixin
from core.scoping import area_prefixes, code_in_area, county_reach_q, filter_for_area, prefix_q

from ..models import Benefit, BenefitRule, Enrolment, EnrolmentEvent, PolicyParameter, SweepRun
from ..policy.catalogue import covering_prefixes
from ..policy.vocabulary import __doc__ as VOCABULARY_DOC


class JurisdictionVisibleMixin:
    """Rules and parameters follow the scoping rule by their jurisdiction, with one widening: a
    county administrator also sees the province's and city's rows that apply to their area (the
    floor they may not go below, 「不得低于」). Other areas' rows are not there at all (the admin
    answers as for a missing row). Superusers see everything."""

    def get_queryset(self, request):
        def reach(prefixes):
            # The same "applies to" as the sweep's (catalogue.covering_prefixes): province, city, county.
            above = {code for prefix in prefixes for code in covering_prefixes(prefix.ljust(12, "0"))}
            return prefix_q("jurisdiction__code", prefixes) | Q(jurisdiction__code__in=above)

        return filter_for_area(super().get_queryset(request), request.user, reach)


class JurisdictionScopedAdminMixin(JurisdictionVisibleMixin):
    """…and only rows whose jurisdiction lies inside the area may be added, changed or deleted: a
    province's or city's rule moves what every county under it pays, so those stay read-only (as
    dashboard's IndicatorTargetAdmin does for targets)."""

    def _own(self, request, obj) -> bool:
        return obj is None or code_in_area(request.user, obj.jurisdiction.code)

    def has_change_permission(self, request, obj=None):
        return super().has_change_permission(request, obj) and self._own(request, obj)

    def has_delete_permission(self, request, obj=None):
        return super().has_delete_permission(request, obj) and self._own(request, obj)

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        field = super().formfield_for_foreignkey(db_field, request, **kwargs)
        if db_field.name == "jurisdiction" and field is not None and area_prefixes(request.user) is not None:
            # The autocomplete already offers only the area (RegionAdmin is scoped); this refuses a
            # posted id outside it, and names it, rather than a bare "not a valid choice".
            noun = self.model._meta.verbose_name
            user = request.user

            def inside_area(region):
                if not code_in_area(user, region.code):
                    raise ValidationError(
                        f"“{region.name}（{region.code}）”不在您的辖区内：只能为本辖区制定{noun}，"
                        f"上级或其他地区的{noun}由其主管部门维护。",
                        code="outside_area",
                    )

            field.validators = [*field.validators, inside_area]
        return field


class BenefitRuleInline(JurisdictionVisibleMixin, admin.TabularInline):
    model = BenefitRule
    extra = 0
    fields = ("jurisdiction", "label", "effective_from", "effective_to", "amount_kind", "amount", "parameter_key")
    readonly_fields = fields
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Benefit)
class BenefitAdmin(AdminRulesMixin, admin.ModelAdmin):
    """A benefit is shared by every jurisdiction that has rules for it: renaming it, switching it off
    or changing how it is granted moves every county's enrolments. A county administrator may add a
    benefit and change or delete one whose rules all lie inside their area (their own local
    benefit); the shared ones stay read-only for them."""

    list_display = ("code", "name", "service_type", "payment_kind", "enrolment_mode", "lead_department", "is_active")
    list_filter = ("service_type", "payment_kind", "enrolment_mode", "is_active")
    search_fields = ("code", "name")
    inlines = [BenefitRuleInline]

    def _own(self, request, obj) -> bool:
        prefixes = area_prefixes(request.user)
        if obj is None or prefixes is None:
            return True
        if not prefixes:
            return False
        return not BenefitRule.objects.filter(benefit=obj).exclude(prefix_q("jurisdiction__code", prefixes)).exists()

    def has_change_permission(self, request, obj=None):
        return super().has_change_permission(request, obj) and self._own(request, obj)

    def has_delete_permission(self, request, obj=None):
        return super().has_delete_permission(request, obj) and self._own(request, obj)


@admin.register(BenefitRule)
class BenefitRuleAdmin(JurisdictionScopedAdminMixin, AdminRulesMixin, admin.ModelAdmin):
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
class PolicyParameterAdmin(JurisdictionScopedAdminMixin, AdminRulesMixin, admin.ModelAdmin):
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
class EnrolmentEventAdmin(_ReadOnly, AdminRulesMixin, admin.ModelAdmin):
    list_display = ("enrolment", "at", "kind", "status", "amount", "actor")
    list_filter = ("kind",)
    show_full_result_count = False

    def get_queryset(self, request):
        from ..models import Enrolment as E

        visible = E.objects.visible_to(request.user).values("pk")
        return super().get_queryset(request).filter(enrolment__in=visible)


@admin.register(SweepRun)
class SweepRunAdmin(_ReadOnly, AdminRulesMixin, admin.ModelAdmin):
    list_display = (
        "county_code", "as_of", "period", "status", "mode", "evaluated", "started_at", "finished_at", "total_changes",
    )
    list_filter = ("status",)
    readonly_fields = ("failure_message", "task_id")
    actions = ["rerun"]

    def get_queryset(self, request):
        """A run is county-wide: a county (or wider) assignment sees its counties' runs, a township or
        village assignment its own county's (the rule of payroll runs); never another county's."""
        return filter_for_area(super().get_queryset(request), request.user,
                               lambda prefixes: county_reach_q("county_code", prefixes))

    @admin.display(description="测算方式")
    def mode(self, obj: SweepRun) -> str:
        return obj.mode_label

    @admin.display(description="失败原因")
    def failure_message(self, obj: SweepRun) -> str:
        return obj.failure_message

    def has_rerun_permission(self, request) -> bool:
        from eligibility.retry import RERUN_PERMISSION

        return request.user.has_perm(RERUN_PERMISSION)

    @admin.action(description="重新运行", permissions=["rerun"])
    def rerun(self, request, queryset):
        """Queue the county's sweep again for each selected failed run (eligibility.retry, audited)."""
        from django.contrib import messages
        from django.core.exceptions import PermissionDenied

        from eligibility.retry import sweep_retry
        from core.tasks import BrokerUnavailable

        sent = 0
        for run in queryset:
            try:
                sweep_retry(actor=request.user, run=run)
                sent += 1
            except (ValidationError, PermissionDenied) as exc:
                self.message_user(request, "；".join(getattr(exc, "messages", [str(exc)])), messages.WARNING)
            except BrokerUnavailable as exc:
                self.message_user(request, str(exc), messages.ERROR)
                break
        if sent:
            self.message_user(request, f"已重新运行 {sent} 个县的服务找人", messages.SUCCESS)
