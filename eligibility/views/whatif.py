"""Policy what-if (政策测算) for the county administrator: thin — parse the form, call the service."""

from __future__ import annotations

from django.utils import timezone
from django.views.generic import TemplateView

from core.mixins import AreaScopedMixin
from registry.public import Elder

from ..forms.whatif import WhatIfForm
from ..policy.whatif import DraftError, what_if


class WhatIfView(AreaScopedMixin, TemplateView):
    """GET: the form; with a valid draft, the per-township table. Writes nothing."""

    template_name = "eligibility/whatif.html"
    permission_required = "eligibility.change_benefitrule"

    def get_context_data(self, **kwargs):
        today = timezone.localdate()
        form = WhatIfForm(self.request.GET or None, user=self.request.user, today=today)
        result = None
        if form.is_bound and form.is_valid():
            try:
                result = what_if(
                    draft=form.cleaned_data["draft"], county=form.cleaned_data["county"],
                    elders=Elder.objects.visible_to(self.request.user), period=form.chosen_period(), today=today,
                )
            except DraftError as exc:
                form.add_error(None, str(exc))
        context = super().get_context_data(**kwargs)
        context.update(form=form, result=result)
        return context
