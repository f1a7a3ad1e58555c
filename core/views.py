"""Generic staff views: a filtered, paginated list; a form that calls a service; an action that
calls a service. Permission and area checks stay in the apps' scoping mixins (put them first in
the bases); these classes only turn a request into a service call and its outcome into a page.

Services raise ``ValidationError`` with a Chinese message (docs/contributing.md rule 6a); these
views show it on the form or as a message, never as a 500.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponseRedirect
from django.views.generic import ListView, View
from django.views.generic.edit import FormView


def add_service_errors(form: Any, exc: ValidationError) -> None:
    """Put a service's ValidationError on the form: on the field when it has one, else on top."""
    items = exc.message_dict.items() if hasattr(exc, "error_dict") else [(None, exc.messages)]
    for field, errors in items:
        form.add_error(field if field in form.fields else None, errors)


def error_message(exc: Exception) -> str:
    """A refusal as one Chinese sentence: the ValidationError's messages, or the PermissionDenied text."""
    if isinstance(exc, ValidationError):
        return "；".join(exc.messages)
    return str(exc) or "无权操作"


class FilteredListView(ListView):
    """A list narrowed by a FilterSet over the scoped queryset, ``settings.LIST_PAGE_SIZE`` a page.

    ``get_queryset()`` (the scoping mixin's, or the app's selector) is the already scoped queryset;
    ``filterset_class``, built from the query string, narrows it; the template gets ``filterset``, ``filter_form`` and the pager
    (templates/includes/pagination.html keeps the filters in its links).
    """

    filterset_class: Any = None
    paginate_by: int | None = None

    def get_paginate_by(self, queryset):
        return self.paginate_by if self.paginate_by is not None else settings.LIST_PAGE_SIZE

    def get_filterset_kwargs(self) -> dict[str, Any]:
        return {"data": self.request.GET or None, "request": self.request}

    def get_filterset(self, queryset):
        return self.filterset_class(queryset=queryset, **self.get_filterset_kwargs())

    def get(self, request, *args, **kwargs):
        # Scope first (get_queryset: the scoping mixin or the app's selector), then filter.
        self.filterset = self.get_filterset(self.get_queryset())
        self.object_list = self.filterset.qs
        return self.render_to_response(self.get_context_data())

    def get_context_data(self, **kwargs):
        return super().get_context_data(filterset=self.filterset, filter_form=self.filterset.form, **kwargs)


class ServiceFormView(FormView):
    """A form whose valid data goes to one service call (``perform``); the service's ValidationError
    becomes the form's error, success a message and a redirect to ``get_success_url()``."""

    def perform(self, form) -> Any:  # pragma: no cover - abstract
        raise NotImplementedError

    def success_message(self, result: Any) -> str:
        return ""

    def form_valid(self, form):
        try:
            self.result = self.perform(form)
        except ValidationError as exc:
            add_service_errors(form, exc)
            return self.form_invalid(form)
        text = self.success_message(self.result)
        if text:
            messages.success(self.request, text)
        return HttpResponseRedirect(self.get_success_url())


class ServiceActionView(View):
    """POST one action on the view's object (``get_object()``: the scoping mixin's queryset, so an
    object outside the area is a 404), after ``action_permission`` (403 without it). ``act`` calls
    the service and returns the success message; a ValidationError or PermissionDenied from the
    service becomes an error message and changes nothing. The page is the object's page again
    (``respond``), with the object read afresh.

    Combine with a DetailView that shows the object: ``class X(ServiceActionView, ThingDetailView)``.
    """

    http_method_names = ["post"]
    action_permission = ""

    def act(self, obj: Any) -> str:  # pragma: no cover - abstract
        raise NotImplementedError

    def post(self, request, *args, **kwargs):
        self.object = self.get_object()
        if self.action_permission and not request.user.has_perm(self.action_permission):
            raise PermissionDenied
        try:
            messages.success(request, self.act(self.object))
        except (ValidationError, PermissionDenied) as exc:
            messages.error(request, error_message(exc))
        self.object = self.get_object()
        return self.respond()

    def respond(self):
        return self.render_to_response(self.get_context_data())
