from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin

from .admin_mixins import ScopedAdminMixin
from .models import PasswordChange, Region, StaffAssignment
from .services import sync_user_roles


@admin.register(Region)
class RegionAdmin(ScopedAdminMixin, admin.ModelAdmin):
    list_display = ("code", "name", "level", "parent", "valid_from", "valid_to")
    list_filter = ("level",)
    search_fields = ("code", "name")
    autocomplete_fields = ("parent",)
    list_select_related = ("parent",)
    show_full_result_count = False

    def has_add_permission(self, request):
        return request.user.is_superuser

    def has_change_permission(self, request, obj=None):
        return request.user.is_superuser

    def has_delete_permission(self, request, obj=None):
        return request.user.is_superuser


class StaffAssignmentInline(ScopedAdminMixin, admin.TabularInline):
    model = StaffAssignment
    fk_name = "user"
    extra = 0
    autocomplete_fields = ("region",)
    fields = ("region", "role", "created_at")
    readonly_fields = ("created_at",)


@admin.register(StaffAssignment)
class StaffAssignmentAdmin(ScopedAdminMixin, admin.ModelAdmin):
    list_display = ("user", "role", "region", "region_code", "created_at")
    list_filter = ("role",)
    search_fields = ("user__username", "user__first_name", "region__name", "region_code")
    autocomplete_fields = ("user", "region")
    list_select_related = ("user", "role", "region")

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        sync_user_roles(user=obj.user)

    def delete_model(self, request, obj):
        user = obj.user
        super().delete_model(request, obj)
        sync_user_roles(user=user)


User = get_user_model()
admin.site.unregister(User)


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    inlines = [StaffAssignmentInline]
    # Roles come from staff assignments; only a superuser may grant raw permissions or superuser status.
    PRIVILEGED_FIELDS = ("is_superuser", "groups", "user_permissions")

    def get_readonly_fields(self, request, obj=None):
        readonly = list(super().get_readonly_fields(request, obj))
        if not request.user.is_superuser:
            readonly += list(self.PRIVILEGED_FIELDS)
        return readonly

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        sync_user_roles(user=form.instance)

    def get_queryset(self, request):
        """County administrators see the users assigned inside their area, and new accounts that
        have no area yet (so they can give them one); never superusers or other areas' staff."""
        qs = super().get_queryset(request)
        if request.user.is_superuser:
            return qs
        visible = StaffAssignment.objects.visible_to(request.user).values("user_id")
        unassigned = qs.filter(assignments__isnull=True, is_superuser=False)
        return qs.filter(pk__in=visible, is_superuser=False) | unassigned


@admin.register(PasswordChange)
class PasswordChangeAdmin(admin.ModelAdmin):
    """Read-only record of when each user last set their password (for the expiry rule)."""

    list_display = ("user", "changed_at")
    search_fields = ("user__username",)
    readonly_fields = ("user", "changed_at")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_module_permission(self, request):
        return request.user.is_superuser

    def has_view_permission(self, request, obj=None):
        return request.user.is_superuser
