"""The admin side of the scoping rule: the admin answers under the same rules as the staff portal.

Every ModelAdmin of the project inherits ``AdminRulesMixin`` (directly, or through
``ScopedAdminMixin`` for models that carry a ``region_code``); tests/test_admin_matrix.py enumerates
every registered admin and fails for one that does not. The rules, for every admin page:

- rows: the changelist, search, autocomplete, export and every object page see only
  ``get_queryset(request)`` — for a scoped model ``.visible_to(user)``;
- object pages (change, delete, history, history detail): first the model permission of the action
  (403 without it), then the area: an object outside it answers 404, the same as a missing one;
- history (django-simple-history): the history list and each historical version need the model's
  view (or change) permission and an object inside the area; a historical version is shown read-only
  to everyone and never accepts a POST (405) — a revert or an edit goes through the change page and
  its services, so the area check and the audit log apply;
- every add, change and delete made on an admin page is written to the audit log (``admin.add``,
  ``admin.change``, ``admin.delete``, with the model and Django's change message), beside whatever
  the services the page calls record themselves;
- personal data: fields named in ``sensitive_fields`` (the ID number, the bank account) are replaced
  by their mask on change pages, history versions and history diffs for a user without the
  permission that guards them.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponseNotAllowed

from .scoping import ScopedQuerySet

NOT_IN_AREA = "对象不存在或不在您的管辖区域内"

# (request, event, obj, detail) → writes one audit event; registered by the audit app (audit.apps)
AdminAuditWriter = Callable[[Any, str, Any, dict], None]
_audit_writer: AdminAuditWriter | None = None


def register_admin_audit(writer: AdminAuditWriter | None) -> None:
    """Called once at startup by the app that keeps the audit log (audit.apps)."""
    global _audit_writer
    _audit_writer = writer


class AdminRulesMixin:
    """Object pages in the area, by the action's permission; history read-only; masks for personal data."""

    # field name → (permission that lets a user see it in full, mask function)
    sensitive_fields: dict[str, tuple[str, Callable[[str], str]]] = {}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field, (_perm, mask) in self.sensitive_fields.items():
            setattr(self, self._masked_name(field), self._masked_display(field, mask))

    # --- every admin write in the audit log -----------------------------------------------------------
    def _audit(self, request, event: str, obj, message) -> None:
        if _audit_writer is None:  # fail closed: no admin write goes unrecorded
            raise RuntimeError("no audit writer registered (core.admin.register_admin_audit)")
        # Django's change message: a list of {"added"/"changed"/"deleted": …} (field names in Chinese)
        message = json.loads(json.dumps(message, ensure_ascii=False, default=str))
        _audit_writer(request, event, obj, {"model": obj._meta.label_lower, "message": message})

    def log_addition(self, request, obj, message):
        self._audit(request, "admin.add", obj, message)
        return super().log_addition(request, obj, message)

    def log_change(self, request, obj, message):
        self._audit(request, "admin.change", obj, message)
        return super().log_change(request, obj, message)

    def log_deletions(self, request, queryset):
        for obj in queryset:  # the rows one admin page deletes (bounded by the page's selection)
            self._audit(request, "admin.delete", obj, "")
        return super().log_deletions(request, queryset)

    # --- personal data ----------------------------------------------------------------------------
    @staticmethod
    def _masked_name(field: str) -> str:
        return f"{field}_masked"

    def _masked_display(self, field: str, mask: Callable[[str], str]):
        def display(obj):
            return mask(getattr(obj, field, "") or "")

        display.short_description = self.model._meta.get_field(field).verbose_name
        return display

    def hidden_fields(self, request) -> set[str]:
        """The sensitive fields this user may see only masked."""
        return {f for f, (perm, _mask) in self.sensitive_fields.items() if not request.user.has_perm(perm)}

    def get_list_display(self, request):
        hidden = self.hidden_fields(request)
        return [self._masked_name(f) if f in hidden else f for f in super().get_list_display(request)]

    def _mask_fields(self, request, obj, names):
        hidden = self.hidden_fields(request) if obj is not None else set()
        out = []
        for name in names:
            if isinstance(name, (list, tuple)):
                out.append(type(name)(self._mask_fields(request, obj, name)))
            else:
                out.append(self._masked_name(name) if name in hidden else name)
        return out

    def get_fieldsets(self, request, obj=None):
        fieldsets = super().get_fieldsets(request, obj)
        if obj is None or not self.hidden_fields(request):
            return fieldsets
        return [
            (title, {**options, "fields": self._mask_fields(request, obj, options.get("fields", ()))})
            for title, options in fieldsets
        ]

    def get_readonly_fields(self, request, obj=None):
        readonly = list(super().get_readonly_fields(request, obj))
        if obj is not None:
            readonly += [self._masked_name(f) for f in self.hidden_fields(request)]
        if getattr(request, "_yiyang_history_version", False):
            # A historical version is evidence to read, never a form to submit.
            opts = self.model._meta
            hidden = self.hidden_fields(request)
            readonly += [
                f.name for f in [*opts.fields, *opts.many_to_many]
                if f.editable and not f.primary_key and f.name not in hidden and f.name not in readonly
            ]
        return readonly

    def get_historical_record_context_helper(self, request, historical_record):
        helper = super().get_historical_record_context_helper(request, historical_record)
        masks = {f: self.sensitive_fields[f][1] for f in self.hidden_fields(request)}
        if masks:
            original = helper.prepare_delta_change_value

            def prepare(change, value):
                if change.field in masks:
                    return masks[change.field](value or "")
                return original(change, value)

            helper.prepare_delta_change_value = prepare
        return helper

    # --- object pages: permission first (403), then the area (404) ------------------------------------
    def object_in_area_or_404(self, request, object_id):
        obj = self.get_object(request, unquote(str(object_id)))
        if obj is None:
            raise Http404(NOT_IN_AREA)
        return obj

    def change_view(self, request, object_id, form_url="", extra_context=None):
        if not self.has_view_or_change_permission(request):
            raise PermissionDenied
        self.object_in_area_or_404(request, object_id)
        return super().change_view(request, object_id, form_url, extra_context)

    def delete_view(self, request, object_id, extra_context=None):
        if not self.has_delete_permission(request):
            raise PermissionDenied
        self.object_in_area_or_404(request, object_id)
        return super().delete_view(request, object_id, extra_context)

    def history_view(self, request, object_id, extra_context=None):
        if not self.has_view_or_change_permission(request):
            raise PermissionDenied
        obj = self.object_in_area_or_404(request, object_id)
        if not self.has_view_or_change_permission(request, obj):
            raise PermissionDenied
        return super().history_view(request, object_id, extra_context)

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        """One historical version (django-simple-history): read-only for everyone, never a POST."""
        if request.method not in ("GET", "HEAD"):
            return HttpResponseNotAllowed(["GET", "HEAD"])
        if not self.has_view_or_change_permission(request):
            raise PermissionDenied
        obj = self.object_in_area_or_404(request, object_id)
        if not self.has_view_or_change_permission(request, obj):
            raise PermissionDenied
        request._yiyang_history_version = True
        return super().history_form_view(request, object_id, version_id, extra_context)

    def revert_disabled(self, request, obj=None):
        return True

    def has_change_history_permission(self, request, obj=None):
        return False


class ScopedAdminMixin(AdminRulesMixin):
    """For ModelAdmins of scoped models: rows, search results and region choices follow the area."""

    def get_queryset(self, request):
        qs = super().get_queryset(request)
        if isinstance(qs, ScopedQuerySet):
            return self.scope_queryset(request, qs)
        return qs  # pragma: no cover - guarded by the meta-test on scoped models

    def scope_queryset(self, request, qs: ScopedQuerySet):
        """The area's rows. An admin that also shows shared rows above the area (defaults, a
        province's rules), read-only, widens this — never narrows it to nothing less than the area."""
        return qs.visible_to(request.user)

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        related = db_field.remote_field.model
        qs = kwargs.get("queryset", related._default_manager.all())
        if isinstance(qs, ScopedQuerySet):
            kwargs["queryset"] = qs.visible_to(request.user)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)
