from django.contrib import admin

from core.admin import ScopedAdminMixin
from registry.public import PERSONAL_DATA

from .models import PayrollLine, PayrollLineEvent, PayrollRun, PayrollTransition


class TransitionInline(admin.TabularInline):
    model = PayrollTransition
    extra = 0
    can_delete = False
    readonly_fields = ("from_status", "to_status", "user", "at", "note")

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(PayrollRun)
class PayrollRunAdmin(ScopedAdminMixin, admin.ModelAdmin):
    """Read-only in the admin: runs change only through the payroll services (four eyes)."""

    list_display = ("county_code", "period", "status", "benefit_key", "generated_at")
    list_filter = ("status", "period")
    inlines = [TransitionInline]
    readonly_fields = [f.name for f in PayrollRun._meta.fields] + ["benefits"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class LineEventInline(admin.TabularInline):
    """The line's status changes (bank return, carried), read-only."""

    model = PayrollLineEvent
    fk_name = "line"
    extra = 0
    can_delete = False
    fields = readonly_fields = ("at", "kind", "from_status", "to_status", "reason", "source", "user")

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(PayrollLine)
class PayrollLineAdmin(ScopedAdminMixin, admin.ModelAdmin):
    inlines = [LineEventInline]
    # the account snapshot is shown masked to roles that may not see full ID numbers (as on the elder)
    sensitive_fields = {"bank_account": PERSONAL_DATA["bank_account"]}
    list_display = ("run", "elder", "benefit", "period", "kind", "amount", "status")
    list_filter = ("kind", "status")
    raw_id_fields = ("run", "elder", "enrolment", "carried_from")
    list_select_related = ("run", "elder", "benefit")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
