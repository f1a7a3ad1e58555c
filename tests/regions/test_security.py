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


# --- password spraying and distributed guessing (issue 14.8) ---------------------------------


def _login_from(client, address, username, password):
    return client.post(reverse("login"), {"username": username, "password": password}, REMOTE_ADDR=address)


def test_attack_password_spraying_one_password_across_many_usernames_is_locked(client, officer, settings):
    for i in range(settings.AXES_FAILURE_LIMIT):
        _login_from(client, "10.9.9.9", f"clerk{i}", "Spring2026-spray")

    response = _login_from(client, "10.9.9.9", "officer", PASSWORD)

    assert response.status_code == 429 and "账号已被暂时锁定" in response.content.decode()
    assert _login_from(client, "10.1.1.1", "officer", PASSWORD).status_code == 302  # the officer elsewhere is fine


def test_attack_one_username_guessed_from_many_addresses_is_locked(client, officer, settings):
    for i in range(settings.AXES_FAILURE_LIMIT):
        _login_from(client, f"10.8.0.{i + 1}", "officer", f"guess-number-{i}")

    response = _login_from(client, "10.8.1.200", "officer", PASSWORD)

    assert response.status_code == 429


def test_attack_spoofed_forwarded_header_does_not_dodge_or_shift_the_lockout(client, officer, settings):
    settings.CLIENT_IP_HEADER = "HTTP_X_REAL_IP"
    settings.TRUSTED_PROXIES = ["10.0.0.5"]
    for i in range(settings.AXES_FAILURE_LIMIT):  # straight to the app, a new forged address each time
        client.post(reverse("login"), {"username": f"clerk{i}", "password": "x-spray-2026"},
                    REMOTE_ADDR="10.7.7.7", HTTP_X_REAL_IP=f"192.0.2.{i + 1}")

    assert _login_from(client, "10.7.7.7", "officer", PASSWORD).status_code == 429
    # the real proxy passes the real client's address: other users behind it are not locked out
    response = client.post(reverse("login"), {"username": "officer", "password": PASSWORD},
                           REMOTE_ADDR="10.0.0.5", HTTP_X_REAL_IP="10.2.2.2")
    assert response.status_code == 302


def test_the_client_address_comes_from_the_trusted_proxy_header_only(rf, settings):
    from audit.services import client_ip

    settings.CLIENT_IP_HEADER = "HTTP_X_FORWARDED_FOR"
    settings.TRUSTED_PROXIES = ["10.0.0.0/29"]
    via_proxy = rf.get("/", REMOTE_ADDR="10.0.0.5", HTTP_X_FORWARDED_FOR="6.6.6.6, 10.3.3.3")
    direct = rf.get("/", REMOTE_ADDR="10.4.4.4", HTTP_X_FORWARDED_FOR="10.3.3.3")
    garbage = rf.get("/", REMOTE_ADDR="10.0.0.5", HTTP_X_FORWARDED_FOR="not-an-address")

    assert (client_ip(via_proxy), client_ip(direct), client_ip(garbage)) == ("10.3.3.3", "10.4.4.4", "10.0.0.5")


@pytest.mark.parametrize("password", [
    "pwtest123456", "PWTEST123456", "PwTest!2024-0101", "tsetwp-000000", "pwtestpwtest99", "2026.pwtest.0101",
])
def test_attack_username_with_digits_is_refused_as_a_password(django_user_model, password):
    user = django_user_model(username="pwtest")

    with pytest.raises(ValidationError) as exc:
        validate_password(password, user=user)

    assert "用户名" in " ".join(exc.value.messages)


def test_a_password_merely_containing_letters_of_the_username_is_accepted(django_user_model):
    validate_password("pwtest-likes-green-tea", user=django_user_model(username="pwtest"))
