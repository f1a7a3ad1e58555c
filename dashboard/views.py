from django.contrib.auth.mixins import LoginRequiredMixin
from django.views.generic import TemplateView

from eligibility.models import Elder
from regions.selectors import area_roots


class HomeView(LoginRequiredMixin, TemplateView):
    """工作台. For now: the user's area and the size of the register in it."""

    template_name = "dashboard/home.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        user = self.request.user
        context["roots"] = area_roots(user)
        if user.has_perm("eligibility.view_elder"):
            context["elder_count"] = Elder.objects.visible_to(user).alive().count()
        return context
