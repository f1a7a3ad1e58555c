"""Retake the README screenshots from a running demo server (synthetic demo data only).

    DEBUG=true .venv/bin/python manage.py runserver 127.0.0.1:8000   # demo data in db.sqlite3
    .venv/bin/python docs/img/make_screenshots.py [--base-url http://127.0.0.1:8000]

Logs in as the demo township officer and writes, next to this script:
  elder-list.png    the elder list (1400x900)
  elder-detail.png  the first elder's detail page (1400x900)

Uses Debian's chromium (/usr/bin/chromium); never `playwright install`. Chinese text needs a CJK
font on the machine (fonts-noto-cjk).
"""

from __future__ import annotations

import argparse
from pathlib import Path

from playwright.sync_api import expect, sync_playwright

HERE = Path(__file__).resolve().parent
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
VIEWPORT = {"width": 1400, "height": 900}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--base-url", default="http://127.0.0.1:8000")
    parser.add_argument("--username", default="township_officer")
    parser.add_argument("--password", default="yiyang-demo-2026")
    parser.add_argument("--out", type=Path, default=HERE)
    args = parser.parse_args()

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        context = browser.new_context(
            base_url=args.base_url, viewport=VIEWPORT, locale="zh-CN", timezone_id="Asia/Shanghai"
        )
        context.set_default_timeout(15_000)
        page = context.new_page()

        page.goto("/accounts/login/?next=/elders/")
        page.locator("#id_username").fill(args.username)
        page.locator("#id_password").fill(args.password)
        page.get_by_role("button", name="登录").click()
        page.wait_for_url("**/elders/", timeout=30_000)  # a reloading runserver can be slow
        expect(page.get_by_test_id("total-count")).to_be_visible()
        page.wait_for_load_state("networkidle")
        page.evaluate("document.fonts.ready")
        list_png = args.out / "elder-list.png"
        page.screenshot(path=str(list_png))
        print(f"wrote {list_png}")

        page.locator("table.table-elders tbody tr a").first.click()
        expect(page.get_by_test_id("history")).to_be_visible()
        page.wait_for_load_state("networkidle")
        page.evaluate("document.fonts.ready")
        detail_png = args.out / "elder-detail.png"
        page.screenshot(path=str(detail_png))
        print(f"wrote {detail_png}")

        browser.close()


if __name__ == "__main__":
    main()
