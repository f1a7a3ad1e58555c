"""Admin of the facilities app. County administrators grant facility managers their facilities here.

django-guardian's object-permission pages would let any staff user who may change a facility
grant object permissions to anyone, themselves included (docs/contributing.md, known traps). Here
they are open only to superusers and holders of `facilities.grant_facility_manager` (county
administrators), only for facilities inside their area, only to active users holding the 机构管理员
role *assigned inside the granter's area* (never to oneself, never to a group), and only for
view/change; every grant is audited.
"""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.db.models import Q
from guardian.admin import AdminUserObjectPermissionsForm, GuardedModelAdmin, UserManage

from audit.services import record
from core.admin import ScopedAdminMixin
from core.scoping import area_prefixes, code_in_area, prefix_q
from regions import roles
from regions.models import Region, StaffAssignment

from .models import Admission, Bed, Facility, PriorityRule, Rating, WaitlistApplication

GRANTABLE = ("view_facility", "change_facility")


def may_grant(user) -> bool:
    return user.is_active and (user.is_superuser or user.has_perm("facilities.grant_facility_manager"))


def is_area_manager(requester, user) -> bool:
    """An active facility manager other than the requester, assigned (as manager) inside the requester's area."""
    if user.pk == requester.pk or not user.is_active or not user.groups.filter(name=roles.FACILITY_MANAGER).exists():
        return False
    return StaffAssignment.objects.visible_to(requester).filter(user=user, role__name=roles.FACILITY_MANAGER).exists()


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
        if self.requester is not None and not is_area_manager(self.requester, user):
            raise forms.ValidationError("只能授权给在您辖区内任职的机构管理员")
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
        if target is None or not is_area_manager(request.user, target):
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


class PriorityRuleForm(forms.ModelForm):
    class Meta:
        model = PriorityRule
        fields = ["jurisdiction", "tier", "name", "economic_statuses", "conditions", "min_age",
                  "requires_centralised", "active", "source"]

    def clean(self):
        cleaned = super().clean()
        jurisdiction, tier = cleaned.get("jurisdiction"), cleaned.get("tier")
        if tier is not None:
            code = jurisdiction.code if jurisdiction else ""
            if PriorityRule.objects.filter(region_code=code, tier=tier).exclude(pk=self.instance.pk).exists():
                where = f"{jurisdiction.name}（{jurisdiction.code}）" if jurisdiction else "默认规则"
                self.add_error("tier", f"{where}已有第{tier}档规则，请修改该条规则或换一个档次")
        return cleaned


@admin.register(PriorityRule)
class PriorityRuleAdmin(ScopedAdminMixin, admin.ModelAdmin):
    """Priority rules are per area. A county administrator sees the defaults (no jurisdiction) and the
    province's and city's rows over their area read-only, and adds, changes and deletes only the rows
    of their own area; a row of theirs with a default's tier replaces that tier for their facilities.
    No list_editable: a changelist formset would save rows without the per-object check."""

    form = PriorityRuleForm
    list_display = ("tier", "name", "jurisdiction", "economic_statuses", "conditions", "min_age",
                    "requires_centralised", "active")
    list_filter = ("active",)
    list_select_related = ("jurisdiction",)

    def scope_queryset(self, request, qs):
        prefixes = area_prefixes(request.user)
        if prefixes is None:
            return qs
        if not prefixes:
            return qs.none()
        above = {p[:n].ljust(12, "0") for p in prefixes for n in (2, 4) if len(p) > n}
        return qs.filter(Q(region_code="") | prefix_q("region_code", prefixes) | Q(region_code__in=above))

    def _own(self, request, obj) -> bool:
        if obj is None or request.user.is_superuser:
            return True
        return bool(obj.region_code) and code_in_area(request.user, obj.region_code)

    def has_change_permission(self, request, obj=None):
        return super().has_change_permission(request, obj) and self._own(request, obj)

    def has_delete_permission(self, request, obj=None):
        return super().has_delete_permission(request, obj) and self._own(request, obj)

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "jurisdiction":
            qs = Region.objects.filter(level__in=[Region.Level.PROVINCE, Region.Level.CITY, Region.Level.COUNTY])
            qs = qs.visible_to(request.user)
            kwargs["queryset"] = qs.order_by("code")
        field = super().formfield_for_foreignkey(db_field, request, **kwargs)
        if db_field.name == "jurisdiction" and not request.user.is_superuser:
            field.required = True
            field.help_text = "只能为本辖区制定规则；全省默认规则由系统管理员维护"
        return field

    def save_model(self, request, obj, form, change):
        if not request.user.is_superuser and not (obj.jurisdiction_id and code_in_area(request.user, obj.jurisdiction.code)):
            raise PermissionDenied
        super().save_model(request, obj, form, change)
        record(actor=request.user, event="facilities.priority_rule_change" if change else "facilities.priority_rule_add",
               obj=obj, detail={"tier": obj.tier, "changed": form.changed_data})

    def delete_model(self, request, obj):
        record(actor=request.user, event="facilities.priority_rule_delete", obj=obj, detail={"tier": obj.tier})
        super().delete_model(request, obj)
