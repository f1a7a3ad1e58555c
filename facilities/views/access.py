"""Who may open a facilities page, and the form page every facilities change goes through.

Access, in this order (the authorization matrix checks it): signed in (else the login page);
the module permission `facilities.use_facilities` (else 403); the object among facilities_for(user)
(else 404, the same answer as a missing one); the action's model permission and, for changes, a
facility the user may manage — their area, or a guardian change grant (else 403).
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404
from django.urls import reverse

from core.views import ServiceFormView

from .. import selectors
from ..models import Admission, Bed, Facility, WaitlistApplication


class FacilityAccessMixin(LoginRequiredMixin):
    """See the module docstring. Subclasses set action_perm/write and call get_facility & co."""

    gate = "facilities.use_facilities"
    action_perm: str | None = None
    write = False

    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            return self.handle_no_permission()
        if not request.user.has_perm(self.gate):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def check_action(self, facility: Facility) -> None:
        user = self.request.user
        if self.action_perm and not user.has_perm(self.action_perm):
            raise PermissionDenied
        if self.write and not self.can_manage(facility):
            raise PermissionDenied

    def can_manage(self, facility: Facility) -> bool:
        """Whether the user may change this facility: their area, or a guardian change grant."""
        return selectors.facilities_for(self.request.user, write=True).filter(pk=facility.pk).exists()

    def get_facility(self, pk: int) -> Facility:
        return self._get(selectors.facilities_for, pk, "region")

    def get_bed(self, pk: int) -> Bed:
        return self._get(selectors.beds_for, pk, "facility")

    def get_admission(self, pk: int) -> Admission:
        return self._get(selectors.admissions_for, pk, "facility", "bed", "elder")

    def get_application(self, pk: int) -> WaitlistApplication:
        return self._get(selectors.applications_for, pk, "facility", "elder")

    def _get(self, scoped: Any, pk: int, *related: str) -> Any:
        obj = get_object_or_404(scoped(self.request.user).select_related(*related), pk=pk)
        self.check_action(obj if isinstance(obj, Facility) else obj.facility)
        return obj


class FacilityFormView(FacilityAccessMixin, ServiceFormView):
    """A change on the object the URL names (``lookup``: get_facility, get_bed …; 404/403 as above,
    before the form is shown or read). ``perform`` calls the service, whose ValidationError lands on
    the form; ``title`` and ``success`` are formatted with ``object`` (and ``result``); success goes
    to ``success_view`` of the facility. ``form_needs`` names the form's extra keyword arguments."""

    template_name = "facilities/simple_form.html"
    write = True
    lookup = "get_facility"
    form_needs: tuple[str, ...] = ()
    title = success = ""
    submit = "保存"
    success_view = "facilities:facility_detail"

    def get_object(self) -> Any:
        return getattr(self, self.lookup)(self.kwargs["pk"])

    def dispatch(self, request, *args, **kwargs):
        self.object = None
        return super().dispatch(request, *args, **kwargs)

    def get(self, request, *args, **kwargs):
        self.object = self.get_object()
        return super().get(request, *args, **kwargs)

    def post(self, request, *args, **kwargs):
        self.object = self.get_object()
        return super().post(request, *args, **kwargs)

    @property
    def facility(self) -> Facility | None:
        return self.object if isinstance(self.object, Facility) or self.object is None else self.object.facility

    def get_form_kwargs(self) -> dict[str, Any]:
        extra = {"facility": self.object, "user": self.request.user}
        return {**super().get_form_kwargs(), **{name: extra[name] for name in self.form_needs}}

    def get_context_data(self, **kwargs):
        title = self.title.format(object=self.object)
        return super().get_context_data(facility=self.facility, title=title, submit=self.submit, **kwargs)

    def success_message(self, result: Any) -> str:
        return self.success.format(object=self.object, result=result)

    def get_success_url(self) -> str:
        return reverse(self.success_view, args=[self.facility.pk])
