"""Password policy switches (docs/security.md).

Default (OWASP ASVS L2): length ≥ 12 and a common/breached-password list, no composition rules,
no forced rotation. 等保 2.0 level 3 deployments set PASSWORD_REQUIRE_COMPLEXITY=true and
PASSWORD_MAX_AGE_DAYS=90.
"""

from __future__ import annotations

import datetime as dt
import re
import string

from django.conf import settings
from django.core.exceptions import ValidationError
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone


class ComplexityValidator:
    """At least three of: upper-case letters, lower-case letters, digits, symbols."""

    def validate(self, password, user=None):
        classes = [
            any(c in string.ascii_uppercase for c in password),
            any(c in string.ascii_lowercase for c in password),
            any(c.isdigit() for c in password),
            any(not c.isalnum() for c in password),
        ]
        if sum(classes) < 3:
            raise ValidationError("密码须至少包含大写字母、小写字母、数字、符号中的三类", code="password_too_simple")

    def get_help_text(self):
        return "密码须至少包含大写字母、小写字母、数字、符号中的三类。"


_PUNCTUATION = re.compile(r"[\W_]+")


class UsernameVariantValidator:
    """Refuses the user's name dressed up: ``pwtest123456``, ``PwTest!2024``, ``tsetwp-0000``, ``pwtestpwtest99``.

    Case and punctuation are ignored; once every occurrence of the username (with or without its own
    digits, forwards or backwards) is taken out, nothing but digits may be left. Django's similarity
    check misses these when enough digits make the password long.
    """

    message = "密码不能是用户名加数字或符号（包括大小写变化、倒序、重复）"

    def validate(self, password, user=None):
        name = _PUNCTUATION.sub("", (getattr(user, "username", "") or "").lower())
        if not name:
            return
        letters = re.sub(r"\d+", "", name)
        variants = sorted({v for w in (name, letters) if w for v in (w, w[::-1])}, key=len, reverse=True)
        text = _PUNCTUATION.sub("", (password or "").lower())
        found = False
        for variant in variants:
            if variant in text:
                found = True
                text = text.replace(variant, "")
        if found and (not text or text.isdigit()):
            raise ValidationError(self.message, code="password_is_username")

    def get_help_text(self):
        return self.message + "。"


class PasswordChangeRecorder:
    """Not a check: Django calls password_changed() on every validator when a password is set,
    which is where we note the date for the optional expiry rule."""

    def validate(self, password, user=None):
        return None

    def password_changed(self, password, user=None):
        if user is None or user.pk is None:
            return
        from .models import PasswordChange

        PasswordChange.objects.update_or_create(user=user, defaults={"changed_at": timezone.now()})

    def get_help_text(self):
        return ""


def password_expired(user) -> bool:
    max_age = settings.PASSWORD_MAX_AGE_DAYS
    if not max_age or not user.is_authenticated:
        return False
    from .models import PasswordChange

    record = PasswordChange.objects.filter(user=user).first()
    changed_at = record.changed_at if record else user.date_joined
    return timezone.now() - changed_at > dt.timedelta(days=max_age)


class PasswordExpiryMiddleware:
    """With PASSWORD_MAX_AGE_DAYS set, a user whose password is too old must change it first."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if settings.PASSWORD_MAX_AGE_DAYS and getattr(request, "user", None) is not None:
            exempt = (
                reverse("password_change"), reverse("password_change_done"), reverse("logout"), reverse("login"),
                "/" + settings.STATIC_URL.lstrip("/"),
            )
            if not request.path.startswith(exempt) and password_expired(request.user):
                return redirect(f"{reverse('password_change')}?expired=1")
        return self.get_response(request)
