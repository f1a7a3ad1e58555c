from django.contrib import admin
from django.db.models import Q

from core.admin import AdminRulesMixin, ScopedAdminMixin
from core.scoping import area_prefixes, code_within, filter_for_area, prefix_q

from .models import IndicatorTarget, WorkforceCount


@admin.register(IndicatorTarget)
class IndicatorTargetAdmin(AdminRulesMixin, admin.ModelAdmin):
    """The seeds' targets as data: a county changes a target by decree here, never in code."""

    list_display = ("indicator", "jurisdiction_name", "jurisdiction_prefix", "target", "deadline", "source")
    list_filter = ("indicator",)
    search_fields = ("jurisdiction_name", "jurisdiction_prefix", "source")

    def get_queryset(self, request):
        """The targets that apply to the area (the national, province's and city's above it) and the
        area's own; never another county's."""
        def reach(prefixes):
            above = {p[:n] for p in prefixes for n in range(len(p))}
            return prefix_q("jurisdiction_prefix", prefixes) | Q(jurisdiction_prefix__in=above)

        return filter_for_area(super().get_queryset(request), request.user, reach)

    def has_change_permission(self, request, obj=None):
        """Every target is readable, but a county changes only the ones set for its own area: the
        national, a province's or another city's target would move every county under it."""
        if not super().has_change_permission(request, obj):
            return False
        prefixes = area_prefixes(request.user)
        return obj is None or code_within(obj.jurisdiction_prefix, prefixes)

    def get_readonly_fields(self, request, obj=None):
        # Nor may a county move its own target to a wider jurisdiction.
        return () if request.user.is_superuser else ("indicator", "jurisdiction_prefix")


@admin.register(WorkforceCount)
class WorkforceCountAdmin(ScopedAdminMixin, admin.ModelAdmin):
    """Headcounts the register does not hold, entered by the county administrator."""

    list_display = ("kind", "region", "as_of", "count", "source", "entered_by")
    list_filter = ("kind",)
    readonly_fields = ("entered_by", "entered_at")
    date_hierarchy = "as_of"

    def save_model(self, request, obj, form, change):
        obj.entered_by = request.user
        super().save_model(request, obj, form, change)
