from django.contrib import admin

from regions.admin_mixins import ScopedAdminMixin

from .models import ImportBatch


@admin.register(ImportBatch)
class ImportBatchAdmin(ScopedAdminMixin, admin.ModelAdmin):
    """Read-only history of imports in the admin (imports are made in the staff portal or the CLI)."""

    list_display = ("filename", "kind", "mode", "status", "uploaded_by", "created_at", "committed_at")
    list_filter = ("kind", "status", "mode")
    search_fields = ("filename",)
    readonly_fields = [f.name for f in ImportBatch._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
