"""The admin side of the scoping rule: non-superusers see and pick only rows inside their area."""

from __future__ import annotations

from .scoping import ScopedQuerySet


class ScopedAdminMixin:
    """For ModelAdmins of scoped models: rows, search results and region choices follow the area."""

    def get_queryset(self, request):
        qs = super().get_queryset(request)
        if isinstance(qs, ScopedQuerySet):
            return qs.visible_to(request.user)
        return qs  # pragma: no cover - guarded by the meta-test on scoped models

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        related = db_field.remote_field.model
        qs = kwargs.get("queryset", related._default_manager.all())
        if isinstance(qs, ScopedQuerySet):
            kwargs["queryset"] = qs.visible_to(request.user)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)
