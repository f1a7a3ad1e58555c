"""Login, sessions and passwords as a clerk meets them."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys

import pytest
import time_machine
from django.conf import settings as django_settings
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone

from tests.conftest import PASSWORD


def _login(client, username, password):
    return client.post(reverse("login"), {"username": username, "password": password})


def test_login_lands_on_the_home_page(client, officer):
    response = _login(client, "officer", PASSWORD)
    assert response.status_code == 302 and response["Location"] == reverse("home")


def test_wrong_password_is_refused_in_chinese(client, officer):
    response = _login(client, "officer", "wrong-password-123")
    assert response.status_code == 200
    assert "用户名或密码不正确" in response.content.decode()


def test_account_is_locked_after_repeated_failures_even_with_the_right_password(client, officer, settings):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        _login(client, "officer", "wrong-password-123")
    response = _login(client, "officer", PASSWORD)
    assert response.status_code == 429
    assert "账号已被暂时锁定" in response.content.decode()


def test_idle_session_expires_after_the_configured_minutes(client, officer):
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        _login(client, "officer", PASSWORD)
        assert client.get(reverse("home")).status_code == 200
    with time_machine.travel(start + dt.timedelta(minutes=django_settings.SESSION_IDLE_TIMEOUT_MINUTES - 5), tick=False):
        assert client.get(reverse("home")).status_code == 200  # activity pushes the expiry forward
    idle_until = start + dt.timedelta(minutes=2 * django_settings.SESSION_IDLE_TIMEOUT_MINUTES - 4)
    with time_machine.travel(idle_until, tick=False):
        response = client.get(reverse("home"))
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))


def test_short_and_common_passwords_are_refused():
    with pytest.raises(ValidationError) as short:
        validate_password("Ab1!short")
    assert any("12" in m for m in short.value.messages)
    with pytest.raises(ValidationError):
        validate_password("password1234")


def test_complexity_rule_can_be_switched_on_for_dengbao_level_3():
    validators = django_settings.AUTH_PASSWORD_VALIDATORS + [{"NAME": "regions.passwords.ComplexityValidator"}]
    with override_settings(AUTH_PASSWORD_VALIDATORS=validators):
        with pytest.raises(ValidationError) as exc:
            validate_password("correcthorsebatterystaple")
        assert "三类" in " ".join(exc.value.messages)
        validate_password("Correct-horse-battery-9")


def test_expired_password_must_be_changed_before_anything_else(client, officer, settings):
    settings.PASSWORD_MAX_AGE_DAYS = 90
    client.force_login(officer)
    with time_machine.travel(timezone.now() + dt.timedelta(days=91)):
        client.force_login(officer)
        response = client.get(reverse("eligibility:elder_list"))
        assert response.status_code == 302 and "expired=1" in response["Location"]
        page = client.get(response["Location"])
        assert "您的密码已超过有效期" in page.content.decode()
        changed = client.post(
            reverse("password_change"),
            {"old_password": PASSWORD, "new_password1": "a-fresh-long-passphrase-7", "new_password2": "a-fresh-long-passphrase-7"},
        )
        assert changed.status_code == 302
        assert client.get(reverse("eligibility:elder_list")).status_code == 200


def test_check_deploy_is_clean_with_production_settings(tmp_path):
    env = {
        **{k: v for k, v in os.environ.items() if k != "DJANGO_ALLOW_ASYNC_UNSAFE"},  # set by the browser tests
        "DEBUG": "false",
        "SECRET_KEY": "x" * 20 + "a-production-secret-key-that-is-long-enough-1234567890",
        "SECURE_SSL_REDIRECT": "true",
        "ALLOWED_HOSTS": "yiyang.example.gov.cn",
    }
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=django_settings.BASE_DIR, env=env, capture_output=True, text=True, timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
