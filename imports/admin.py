from django.contrib import admin

from core.admin import ScopedAdminMixin

from .models import ImportBatch


PERSONAL = ("file", "error_report", "preview")


@admin.register(ImportBatch)
class ImportBatchAdmin(ScopedAdminMixin, admin.ModelAdmin):
    """Read-only history of imports in the admin (imports are made in the staff portal or the CLI).

    Neither the original file, nor the error report, nor the preview rows are shown here: they hold
    full ID numbers and bank accounts, and the portal's batch pages serve them under its own rules."""

    list_display = ("filename", "kind", "mode", "status", "uploaded_by", "created_at", "committed_at")
    list_filter = ("kind", "status", "mode")
    search_fields = ("filename",)
    exclude = PERSONAL
    readonly_fields = [f.name for f in ImportBatch._meta.fields if f.name not in PERSONAL]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
