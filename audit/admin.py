from django.contrib import admin

from core.admin import ScopedAdminMixin

from .models import AuditEvent


@admin.register(AuditEvent)
class AuditEventAdmin(ScopedAdminMixin, admin.ModelAdmin):
    """Read-only: the audit log is append-only (a database trigger enforces it too)."""

    list_display = ("at", "username", "event", "object_repr", "outcome", "region_code", "ip_address")
    list_filter = ("outcome", "event")
    search_fields = ("username", "event", "object_repr", "object_id", "region_code")
    date_hierarchy = "at"
    show_full_result_count = False

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
