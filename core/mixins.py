"""The view side of the scoping rule (core/scoping.py). Every staff view that shows scoped rows uses
AreaScopedMixin."""

from __future__ import annotations

from django.contrib.auth.mixins import LoginRequiredMixin, PermissionRequiredMixin

from .scoping import area_prefixes


class AreaScopedMixin(LoginRequiredMixin, PermissionRequiredMixin):
    """Login required, model permission required, and the queryset limited to the user's area.

    An object outside the area is not in the queryset, so DetailView/UpdateView answer 404 with
    the same message as for a missing one (no probing whether an ID exists elsewhere).
    """

    raise_exception = False  # anonymous → login page; authenticated without permission → 403
    # The rows: core.scoping ``visible_to(user, scope_action)``. None: the area only — the page's own
    # ``permission_required`` is the action (some pages act on a model through another model's
    # permission, e.g. an assessor opens an elder with ``assessments.add_assessment``).
    scope_action: str | None = None

    def handle_no_permission(self):
        if self.request.user.is_authenticated:
            self.raise_exception = True
        return super().handle_no_permission()

    def get_queryset(self):
        return super().get_queryset().visible_to(self.request.user, self.scope_action)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["area_prefixes"] = area_prefixes(self.request.user)
        return context
