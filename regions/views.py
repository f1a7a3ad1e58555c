from django.contrib.auth import views as auth_views
from django.contrib.auth.mixins import LoginRequiredMixin
from django.views.generic import TemplateView

from .selectors import picker_levels, resolve_area


class AreaPickerView(LoginRequiredMixin, TemplateView):
    """htmx fragment: the cascading area selects, limited to the user's area."""

    template_name = "regions/_area_picker.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        selected = resolve_area(self.request.user, self.request.GET.get("area"))
        context["picker_levels"] = picker_levels(self.request.user, selected)
        context["selected_area"] = selected.code if selected else ""
        return context


class LoginView(auth_views.LoginView):
    template_name = "registration/login.html"
    redirect_authenticated_user = True
