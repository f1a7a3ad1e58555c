from django import forms
from django.contrib import admin, messages
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.contrib.auth.models import Group
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Q

from core.admin import AdminRulesMixin, ScopedAdminMixin
from core.scoping import code_under

from . import roles, services
from .models import PasswordChange, Region, StaffAssignment


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
    """What the user holds, read-only: grants are made, approved and revoked on 人员辖区分配 where
    the rules of regions.services apply (one form, one path)."""

    model = StaffAssignment
    fk_name = "user"
    extra = 0
    fields = ("region", "role", "status", "granted_by", "approved_by", "created_at")
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class StaffAssignmentForm(forms.ModelForm):
    """The grant form: the rules of regions.services.grant_refusal, as a form error in Chinese."""

    class Meta:
        model = StaffAssignment
        fields = ("user", "region", "role")

    request = None  # set by StaffAssignmentAdmin.get_form

    def clean(self):
        cleaned = super().clean()
        user, region, role = cleaned.get("user"), cleaned.get("region"), cleaned.get("role")
        if user is not None and region is not None and role is not None and self.request is not None:
            reason = services.grant_refusal(actor=self.request.user, user=user, region=region, role=role)
            if reason:
                raise forms.ValidationError(reason)
        return cleaned


@admin.register(StaffAssignment)
class StaffAssignmentAdmin(ScopedAdminMixin, admin.ModelAdmin):
    """Grant (add), approve (action) and revoke (delete) roles. A grant is never edited in place:
    revoke it and grant anew, so every change passes the same rules and leaves an audit event."""

    form = StaffAssignmentForm
    list_display = ("user", "role", "region", "region_code", "status", "granted_by", "approved_by", "created_at")
    list_filter = ("status", "role")
    search_fields = ("user__username", "user__first_name", "region__name", "region_code")
    autocomplete_fields = ("user", "region")
    list_select_related = ("user", "role", "region", "granted_by", "approved_by")
    readonly_fields = ("status", "granted_by", "created_at", "approved_by", "approved_at")
    actions = ["approve_selected"]

    def get_fields(self, request, obj=None):
        if obj is None:
            return ("user", "region", "role")
        return ("user", "region", "role", *self.readonly_fields)

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return ()
        return ("user", "region", "role", *self.readonly_fields)

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        return type(form.__name__, (form,), {"request": request})

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "role":
            names: list[str] = list(roles.ROLE_NAMES)
            if not request.user.is_superuser:
                names = sorted({r for _, grantable in services.grant_scopes(request.user) for r in grantable})
            kwargs["queryset"] = Group.objects.filter(name__in=names).order_by("name")
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def save_model(self, request, obj, form, change):
        if change:  # pragma: no cover - every field is read-only once granted
            raise PermissionDenied
        try:
            created = services.staff_assignment_create(
                actor=request.user, user=obj.user, region=obj.region, role=obj.role
            )
        except ValidationError as exc:  # the rules changed between clean() and save (a race)
            raise PermissionDenied("；".join(exc.messages)) from exc
        obj.pk = created.pk
        obj.status = created.status
        if created.status == StaffAssignment.Status.PENDING:
            messages.warning(request, f"“{obj.role.name}”是双人复核角色：授权已提交，须由另一名管理员批准后生效。")

    def has_change_permission(self, request, obj=None):
        return False if obj is not None else super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        if not super().has_delete_permission(request, obj):
            return False
        if obj is None or request.user.is_superuser:
            return True
        return any(
            code_under(obj.region_code, prefix) and obj.role.name in grantable
            for prefix, grantable in services.grant_scopes(request.user)
        )

    def delete_model(self, request, obj):
        try:
            services.staff_assignment_revoke(actor=request.user, assignment=obj)
        except ValidationError as exc:
            raise PermissionDenied("；".join(exc.messages)) from exc

    def delete_queryset(self, request, queryset):
        assignments = list(queryset.select_related("role", "region"))
        refused = [a for a in assignments if not self.has_delete_permission(request, a)]
        if refused:
            raise PermissionDenied(f"您无权撤销：{'、'.join(map(str, refused))}")
        for assignment in assignments:
            self.delete_model(request, assignment)

    @admin.action(description="批准所选的待批准授权（须由另一名管理员批准）", permissions=["add"])
    def approve_selected(self, request, queryset):
        approved = 0
        for assignment in queryset.select_related("user", "role", "region"):
            if assignment.status != StaffAssignment.Status.PENDING:
                continue
            try:
                services.staff_assignment_approve(actor=request.user, assignment=assignment)
            except ValidationError as exc:
                messages.error(request, f"{assignment}：{'；'.join(exc.messages)}")
            else:
                approved += 1
        if approved:
            messages.success(request, f"已批准 {approved} 项授权，现已生效。")
        elif not queryset.filter(status=StaffAssignment.Status.PENDING).exists():
            messages.info(request, "所选授权中没有待批准的。")


User = get_user_model()
admin.site.unregister(User)


@admin.register(User)
class UserAdmin(AdminRulesMixin, BaseUserAdmin):
    inlines = [StaffAssignmentInline]
    # Roles come from staff assignments; only a superuser may set raw permissions, groups, superuser
    # or staff status (is_staff follows the admin roles: regions.services.sync_user_roles).
    PRIVILEGED_FIELDS = ("is_staff", "is_superuser", "groups", "user_permissions")

    def get_readonly_fields(self, request, obj=None):
        readonly = list(super().get_readonly_fields(request, obj))
        if not request.user.is_superuser:
            readonly += list(self.PRIVILEGED_FIELDS)
        return readonly

    def get_inline_instances(self, request, obj=None):
        return super().get_inline_instances(request, obj) if obj is not None else []  # a new account holds nothing

    def has_change_permission(self, request, obj=None):
        """Change page and password page: only accounts the user may manage (manage_refusal);
        the others are shown read-only (change) or refused (password)."""
        if not super().has_change_permission(request, obj):
            return False
        return obj is None or services.manage_refusal(actor=request.user, user=obj) is None

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        services.sync_user_roles(user=form.instance)

    def get_queryset(self, request):
        """County administrators see the users assigned inside their area, and new accounts that
        have no area yet (so they can give them one); never superusers or other areas' staff.

        Subqueries, not a join: a join on assignments repeats a user once per assignment, and the
        change page's get() then fails (HTTP 500) for anyone with two."""
        qs = super().get_queryset(request)
        if request.user.is_superuser:
            return qs
        visible = StaffAssignment.objects.visible_to(request.user).values("user_id")
        assigned = StaffAssignment.objects.values("user_id")
        return qs.filter(Q(pk__in=visible) | ~Q(pk__in=assigned), is_superuser=False)


@admin.register(PasswordChange)
class PasswordChangeAdmin(AdminRulesMixin, admin.ModelAdmin):
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
