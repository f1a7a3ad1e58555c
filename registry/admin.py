import tablib
from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.forms.models import construct_instance
from import_export.admin import ImportExportMixin
from import_export.formats.base_formats import CSV, XLSX
from simple_history.admin import SimpleHistoryAdmin

from audit.services import client_ip, record
from core.admin import ScopedAdminMixin
from imports.admin_import import EngineImportFormatsMixin

from . import rules, services
from .models import Elder, Household
from .resources import ElderResource, HouseholdResource


class ElderAdminForm(forms.ModelForm):
    """Same rules as the staff portal: sex and birth date come from the ID number."""

    class Meta:
        model = Elder
        fields = "__all__"

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in ("sex", "birth_date"):
            if name in self.fields:
                self.fields[name].required = False

    def _post_clean(self):
        opts = self._meta
        self.instance = construct_instance(self, self.instance, opts.fields, opts.exclude)
        self.instance.sex = self.instance.sex or ""
        try:
            services.elder_validate(elder=self.instance)
        except ValidationError as exc:
            self._update_errors(exc)


class ReadOnlyHistoryMixin:
    """Change history is visible in the admin but can never be reverted or edited there (the rules —
    area, view permission, read-only versions, masks — are core.admin.AdminRulesMixin's)."""

    history_list_display = ["history_user"]


PERSONAL_DATA = rules.PERSONAL_DATA


class ScopedImportExportMixin(EngineImportFormatsMixin, ImportExportMixin):
    """Import and export with our templates, scoped to the admin user's area, behind explicit permissions.

    Import needs imports.add_importbatch plus add/change on the model; export needs imports.export_rows
    (名册含个人信息) plus view. Import is the engine's (imports/admin_import.py): a strict batch, previewed
    then confirmed, with the importer kind's rules, area and audit.
    """

    formats = [XLSX, CSV]

    def get_resource_kwargs(self, request, *args, **kwargs):
        return {"user": request.user}

    def has_import_permission(self, request):
        opts = self.opts
        return request.user.has_perm("imports.add_importbatch") and all(
            request.user.has_perm(f"{opts.app_label}.{action}_{opts.model_name}") for action in ("add", "change")
        )

    def has_export_permission(self, request):
        opts = self.opts
        return request.user.has_perm("imports.export_rows") and request.user.has_perm(
            f"{opts.app_label}.view_{opts.model_name}"
        )

    def get_data_for_export(self, request, queryset, **kwargs):
        """Masks what the user may not see in full, and logs every export with its row count."""
        data = super().get_data_for_export(request, queryset, **kwargs)
        masked = []
        for field in sorted(self.hidden_fields(request)):
            column = str(self.model._meta.get_field(field).verbose_name)
            if column in (data.headers or []):
                masked.append(field)
                index = data.headers.index(column)
                mask = self.sensitive_fields[field][1]
                rows = [list(row) for row in data]
                for row in rows:
                    row[index] = mask(str(row[index] or ""))
                data = tablib.Dataset(*rows, headers=data.headers)
        record(
            actor=request.user, event="admin.export", ip_address=client_ip(request),
            detail={"model": self.opts.label_lower, "rows": len(data), "masked": masked},
        )
        return data


@admin.register(Household)
class HouseholdAdmin(ScopedImportExportMixin, ReadOnlyHistoryMixin, ScopedAdminMixin, SimpleHistoryAdmin):
    resource_classes = [HouseholdResource]
    list_display = ("household_number", "region", "hukou_type", "head_name", "address")
    list_filter = ("hukou_type",)
    search_fields = ("household_number", "head_name", "region__name", "region_code")
    autocomplete_fields = ("region",)
    list_select_related = ("region",)
    ordering = ("household_number", "pk")  # a stable order for the autocomplete's pages too
    show_full_result_count = False


@admin.register(Elder)
class ElderAdmin(ScopedImportExportMixin, ReadOnlyHistoryMixin, ScopedAdminMixin, SimpleHistoryAdmin):
    resource_classes = [ElderResource]
    sensitive_fields = PERSONAL_DATA
    list_display = ("name", "masked_id", "sex", "birth_date", "region", "economic_status", "ability_level", "deceased_on")
    list_filter = ("sex", "economic_status", "living_arrangement", "ability_level", "care_setting", "local_hukou")
    search_fields = ("=id_number", "name", "=phone")
    autocomplete_fields = ("region", "household")
    list_select_related = ("region",)
    readonly_fields = ("region_code", "assessment_due_on", "created_at", "updated_at")
    show_full_result_count = False
    list_per_page = 50

    @admin.display(description="身份证号码")
    def masked_id(self, obj):
        return obj.masked_id_number

    form = ElderAdminForm

    def change_view(self, request, object_id, form_url="", extra_context=None):
        response = super().change_view(request, object_id, form_url, extra_context)
        # The change page shows the full ID number to roles allowed to see it: a reveal, logged as the
        # portal's edit form logs it.
        if request.method == "GET" and response.status_code == 200 and not self.hidden_fields(request):
            elder = self.get_object(request, object_id)
            services.elder_reveal_id_number(actor=request.user, elder=elder, ip_address=client_ip(request))
        return response

    def save_model(self, request, obj, form, change):
        """Through the services, so the area check, the audit row and the history user apply."""
        data = {f: getattr(obj, f) for f in services.ELDER_FIELDS}
        if change:
            services.elder_update(actor=request.user, elder=Elder.objects.get(pk=obj.pk), data=data)
        else:
            saved = services.elder_create(actor=request.user, data=data)
            obj.pk = saved.pk
