"""Browser tests: Debian's chromium driven by Playwright's sync API against pytest-django's live_server.

- `browser` (session): one headless chromium for the run; the tests skip, saying why, when
  /usr/bin/chromium is missing. Never `playwright install`: no browser downloads here.
- `page` (function): a fresh context and page per test (base_url is the live server, so
  `page.goto("/elders/")` works); console errors and uncaught page errors go to `page.console_errors`.
- A test whose page logged a console error fails (see `pytest_runtest_call`), and a failed test
  leaves a full-page screenshot in test-artifacts/<test-name>.png.

live_server tests run on a transactional database that is flushed after each test, so whatever
the session loaded (the seed regions) may be gone: use the `regions` fixture (it calls
`ensure_regions()`) or the personas built on it.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from django.conf import settings as django_settings

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    # without these chromium keeps trying to reach Google and hangs on a closed network
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ARTIFACTS = Path(django_settings.BASE_DIR) / "test-artifacts"
TIMEOUT_MS = 10_000
LOOPBACK_HOSTS = {"localhost", "127.0.0.1", "::1"}


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    """Keep each phase's report on the item (item.rep_setup / rep_call / rep_teardown) for fixtures."""
    report = yield
    setattr(item, f"rep_{report.when}", report)
    return report


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item):
    """Fail a test that otherwise passed if its page logged a console error or threw."""
    result = yield
    page = item.funcargs.get("page")
    errors = getattr(page, "console_errors", None)
    if errors:
        pytest.fail("the browser reported errors:\n" + "\n".join(f"  {e}" for e in errors), pytrace=False)
    return result


# Browser noise that is not an application error (none known: base.html links its own favicon).
IGNORED_CONSOLE_ERRORS: list[re.Pattern] = []


@pytest.fixture(scope="module")
def browser():
    # One browser per module, not per session: Playwright keeps a driver process, its pipes and an
    # asyncio loop alive while it runs, and later tests that fork (tests/imports/test_upload_bombs.py
    # reads hostile files in a forked child) must not inherit them — a forked copy of a process with
    # those threads can hang, and its inherited pipe keeps the driver from ever stopping.
    if not CHROMIUM.exists():
        reason = f"{CHROMIUM} not found: install Debian's chromium package (apt-get install chromium)"
        print(f"\nSKIP e2e: {reason}")
        pytest.skip(reason)
    from playwright.sync_api import sync_playwright

    # Playwright's sync API keeps an asyncio loop marked as running on this thread while it is
    # alive, so Django's ORM (factories, fixtures) would refuse to run with SynchronousOnlyOperation.
    # This is the documented workaround; it is undone when the browser closes.
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    playwright = sync_playwright().start()
    chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
    try:
        yield chromium
    finally:
        chromium.close()
        playwright.stop()
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@pytest.fixture
def page(browser, live_server, settings, request):
    # The live server speaks plain http while the settings mark cookies Secure (DEBUG off).
    # Chromium treats http://localhost and 127.0.0.1 as secure contexts and keeps Secure cookies
    # there (checked), so the production cookie settings are exercised as they are; only on any
    # other host (--liveserver=name) would the session cookie be dropped, so relax them then.
    if urlsplit(live_server.url).hostname not in LOOPBACK_HOSTS:
        settings.SESSION_COOKIE_SECURE = False
        settings.CSRF_COOKIE_SECURE = False

    context = browser.new_context(
        base_url=live_server.url, locale="zh-CN", timezone_id="Asia/Shanghai", viewport={"width": 1280, "height": 900}
    )
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    page.console_errors = []

    def on_console(msg):
        if msg.type != "error":
            return
        line = f"console.error at {msg.location.get('url') or '?'}: {msg.text}"
        if not any(pattern.search(line) for pattern in IGNORED_CONSOLE_ERRORS):
            page.console_errors.append(line)

    page.on("console", on_console)
    page.on("pageerror", lambda exc: page.console_errors.append(f"uncaught exception: {exc}"))
    try:
        yield page
    finally:
        report = getattr(request.node, "rep_call", None)
        if report is not None and report.failed:
            ARTIFACTS.mkdir(exist_ok=True)
            name = re.sub(r"[^\w.-]+", "_", request.node.name)
            path = ARTIFACTS / f"{name}.png"
            try:
                page.screenshot(path=str(path), full_page=True)
                print(f"\nscreenshot of the failed page: {path}")
            except Exception as exc:  # a crashed page must not hide the real failure
                print(f"\ncould not save a screenshot: {exc}")
        context.close()
