"""Admin of the facilities app. County administrators grant facility managers their facilities here.

django-guardian's object-permission pages would let any staff user who may change a facility
grant object permissions to anyone, themselves included (docs/contributing.md, known traps). Here they are
open only to superusers and holders of `facilities.grant_facility_manager` (county administrators),
only for facilities inside their area, only to active users holding the 机构管理员 role (never to
oneself, never to a group), and only for view/change; every grant is audited.
"""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from guardian.admin import AdminUserObjectPermissionsForm, GuardedModelAdmin, UserManage

from audit.services import record
from regions import roles
from regions.admin_mixins import ScopedAdminMixin

from .models import Admission, Bed, Facility, PriorityRule, Rating, WaitlistApplication

GRANTABLE = ("view_facility", "change_facility")


def may_grant(user) -> bool:
    return user.is_active and (user.is_superuser or user.has_perm("facilities.grant_facility_manager"))


def area_staff(user) -> bool:
    return user.is_superuser or user.has_perm("facilities.view_facility")


class ManagerUserManage(UserManage):
    """Pick the user to grant: an active facility manager other than oneself."""

    def __init__(self, *args, requester=None, **kwargs):
        self.requester = requester
        super().__init__(*args, **kwargs)
        self.fields["user"].label = "机构管理员用户名"
        self.fields["user"].help_text = "只能授权给具有“机构管理员”角色的在用账号"

    def clean_user(self):
        user = super().clean_user()
        if self.requester is not None and user.pk == self.requester.pk:
            raise forms.ValidationError("不能给自己授予机构权限")
        if not user.is_active or not user.groups.filter(name=roles.FACILITY_MANAGER).exists():
            raise forms.ValidationError("只能授权给具有“机构管理员”角色的在用账号")
        return user


class ManagerPermissionsForm(AdminUserObjectPermissionsForm):
    def get_obj_perms_field_choices(self):
        labels = {"view_facility": "查看本机构（床位、入住、轮候）", "change_facility": "管理本机构（修改信息、床位、入住、轮候）"}
        return [(code, labels[code]) for code in GRANTABLE]

    def get_obj_perms_field_initial(self):
        return [p for p in super().get_obj_perms_field_initial() if p in GRANTABLE]


class RatingInline(admin.TabularInline):
    model = Rating
    extra = 0
    fields = ("scheme", "level", "rated_on", "rating_body", "expires_on", "note")


@admin.register(Facility)
class FacilityAdmin(ScopedAdminMixin, GuardedModelAdmin):
    list_display = ("name", "kind", "ownership", "region_code", "fire_approved", "filed")
    list_filter = ("kind", "ownership", "fire_approved", "filed")
    search_fields = ("name", "credit_code", "region_code")
    inlines = [RatingInline]

    # Area staff only: a facility manager's model permissions mean "in my granted facility", never
    # "every facility in my area", so without view_facility the admin shows them nothing.
    def has_view_permission(self, request, obj=None):
        return super().has_view_permission(request, obj) and area_staff(request.user)

    def has_change_permission(self, request, obj=None):
        return super().has_change_permission(request, obj) and area_staff(request.user)

    def _guard(self, request):
        if not may_grant(request.user):
            raise PermissionDenied

    def obj_perms_manage_view(self, request, object_pk):
        self._guard(request)
        return super().obj_perms_manage_view(request, object_pk)

    def obj_perms_manage_user_view(self, request, object_pk, user_id):
        self._guard(request)
        # The user page is reachable by URL, not only through the checked select form.
        target = get_user_model().objects.filter(pk=user_id).first() if str(user_id).isdigit() else None
        if target is None or target.pk == request.user.pk or not target.is_active or not target.groups.filter(
            name=roles.FACILITY_MANAGER
        ).exists():
            raise PermissionDenied
        response = super().obj_perms_manage_user_view(request, object_pk, user_id)
        if request.method == "POST" and response.status_code == 302:
            facility = self.get_queryset(request).get(pk=object_pk)
            record(actor=request.user, event="facilities.manager_grant", obj=facility,
                   detail={"user_id": int(user_id), "perms": request.POST.getlist("permissions")})
        return response

    def obj_perms_manage_group_view(self, request, object_pk, group_id):
        raise PermissionDenied  # a role group never gets a facility: grants are per manager

    def get_obj_perms_user_select_form(self, request):
        requester = request.user

        class Form(ManagerUserManage):
            def __init__(self, *args, **kwargs):
                super().__init__(*args, requester=requester, **kwargs)

        return Form

    def get_obj_perms_manage_user_form(self, request):
        return ManagerPermissionsForm


class ReadOnlyAdmin(ScopedAdminMixin, admin.ModelAdmin):
    """Beds, admissions and applications change through the staff pages' services only."""

    def has_view_permission(self, request, obj=None):
        return super().has_view_permission(request, obj) and area_staff(request.user)

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Bed)
class BedAdmin(ReadOnlyAdmin):
    list_display = ("code", "facility", "room", "kind", "status", "location")
    list_filter = ("kind", "status", "location")
    search_fields = ("code", "facility__name")


@admin.register(Admission)
class AdmissionAdmin(ReadOnlyAdmin):
    list_display = ("elder", "facility", "bed", "admitted_on", "discharged_on", "discharge_reason")
    list_filter = ("discharge_reason",)
    search_fields = ("facility__name", "bed__code")
    raw_id_fields = ("elder", "bed")


@admin.register(WaitlistApplication)
class WaitlistApplicationAdmin(ReadOnlyAdmin):
    list_display = ("elder", "facility", "applied_on", "status")
    list_filter = ("status",)
    raw_id_fields = ("elder",)


@admin.register(PriorityRule)
class PriorityRuleAdmin(admin.ModelAdmin):
    list_display = ("tier", "name", "economic_statuses", "conditions", "min_age", "requires_centralised", "active")
    list_editable = ("active",)
