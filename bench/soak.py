"""``python -m bench soak``: N simulated staff sessions against a real server for a bounded time.

Starts, on 127.0.0.1 only: gunicorn (the WSGI app) and one Celery worker, against the chosen
PostgreSQL database and Redis; loads the demo (``manage.py demo``: the Yangling accounts and ~2,000
elders) if it is not there; then ``--sessions`` threads, each logged in as a demo staff member, loop
over list / search / edit / import / visit until ``--seconds`` have passed. Prints p50/p95/max and
errors per action and writes bench/results/<name>.json. Everything it started is stopped at the end.

Each action is what a clerk does: ``list`` the elder register (a page), ``search`` it by name,
``edit`` an elder (GET the form, POST it back with a new phone number), ``import`` a 3-row roll
(upload → poll the progress until 待确认 → confirm → poll until 已导入, through the worker), ``visit``
(the visit worklist and the follow-up list). An error is a non-2xx/3xx answer, a timeout or an
import that does not finish.
"""

from __future__ import annotations

import argparse
import html.parser
import http.cookiejar
import io
import json
import os
import random
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PASSWORD = "yiyang-demo-2026"
USERS = ["township_officer", "village_worker", "county_admin", "neighbour_officer"]
ACTIONS = ["list", "search", "edit", "import", "visit"]
WEIGHTS = [30, 25, 20, 5, 20]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--seconds", type=int, default=300, help="how long the sessions run (default %(default)s)")
    parser.add_argument("--sessions", type=int, default=50, help="simultaneous staff sessions (default %(default)s)")
    parser.add_argument("--port", type=int, default=8765, help="gunicorn port on 127.0.0.1 (default %(default)s)")
    parser.add_argument("--web-workers", type=int, default=3, help="gunicorn worker processes (default %(default)s)")
    parser.add_argument("--threads", type=int, default=4, help="threads per gunicorn worker (default %(default)s)")
    parser.add_argument("--broker-url", default=os.environ.get("CELERY_BROKER_URL", "redis://127.0.0.1:6379/5"),
                        help="Redis broker for the worker (default: $CELERY_BROKER_URL or %(default)s)")


class _Form(html.parser.HTMLParser):
    """The first <form method=post> of a page: its field values as a browser would send them."""

    def __init__(self) -> None:
        super().__init__()
        self.fields: dict[str, str] = {}
        self._select: str | None = None
        self._textarea: str | None = None
        self._in_form = False

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form" and (a.get("method") or "").lower() == "post" and not self.fields:
            self._in_form = True
        if not self._in_form:
            return
        name = a.get("name")
        if tag == "input" and name and a.get("type") not in ("submit", "button", "file"):
            if a.get("type") in ("checkbox", "radio") and "checked" not in a:
                return
            self.fields[name] = a.get("value") or ""
        elif tag == "select" and name:
            self._select = name
            self.fields.setdefault(name, "")
        elif tag == "option" and self._select and "selected" in a:
            self.fields[self._select] = a.get("value") or ""
        elif tag == "textarea" and name:
            self._textarea = name
            self.fields[name] = ""

    def handle_data(self, data):
        if self._textarea:
            self.fields[self._textarea] += data

    def handle_endtag(self, tag):
        if tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None
        elif tag == "form" and self._in_form:
            self._in_form = False


def form_fields(page: str) -> dict[str, str]:
    parser = _Form()
    parser.feed(page)
    return parser.fields


class Session:
    def __init__(self, base: str, username: str) -> None:
        self.base = base
        self.username = username
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar))

    def csrf(self) -> str:
        return next((c.value or "" for c in self.jar if c.name == "csrftoken"), "")

    def request(self, path: str, data: bytes | None = None, content_type: str = "") -> tuple[int, str]:
        req = urllib.request.Request(self.base + path, data=data)
        if data is not None:
            req.add_header("X-CSRFToken", self.csrf())
            req.add_header("Referer", self.base + path)
            if content_type:
                req.add_header("Content-Type", content_type)
        try:
            with self.opener.open(req, timeout=60) as response:
                return response.status, response.read().decode("utf-8", "replace")
        except urllib.error.HTTPError as exc:
            return exc.code, exc.read().decode("utf-8", "replace")

    def post(self, path: str, fields: dict[str, str]) -> tuple[int, str]:
        return self.request(path, urllib.parse.urlencode(fields).encode(), "application/x-www-form-urlencoded")

    def login(self) -> None:
        self.request("/accounts/login/")
        status, page = self.post("/accounts/login/", {"username": self.username, "password": PASSWORD,
                                                      "csrfmiddlewaretoken": self.csrf()})
        if status != 200 or 'name="password"' in page:
            raise RuntimeError(f"login of {self.username} failed ({status})")


def _multipart(fields: dict[str, str], file_field: str, filename: str, content: bytes) -> tuple[bytes, str]:
    boundary = uuid.uuid4().hex
    out = io.BytesIO()
    for name, value in fields.items():
        out.write(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode())
    out.write(f'--{boundary}\r\nContent-Disposition: form-data; name="{file_field}"; filename="{filename}"\r\n'
              "Content-Type: application/vnd.openxmlformats-officedocument.spreadsheetml.sheet\r\n\r\n".encode())
    out.write(content)
    out.write(f"\r\n--{boundary}--\r\n".encode())
    return out.getvalue(), f"multipart/form-data; boundary={boundary}"


def _roll(rng: random.Random, village: str) -> bytes:
    import datetime as dt

    import openpyxl

    from tests.factories import valid_id_number

    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(["身份证号码", "姓名", "户号", "村(社区)"])
    for _ in range(3):
        birth = dt.date(1930 + rng.randrange(30), 1 + rng.randrange(12), 1 + rng.randrange(28))
        sheet.append([valid_id_number(birth, rng.choice("MF"), "610403"), "压测" + str(rng.randrange(10**6)),
                      f"S{rng.randrange(10**6)}", village])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


class Soak:
    def __init__(self, base: str, seconds: int, elder_ids: dict[str, list[int]], villages: dict[str, str]) -> None:
        self.base = base
        self.started_ns = time.time_ns()
        self.deadline = time.monotonic() + seconds
        self.elder_ids = elder_ids
        self.villages = villages
        self.samples: dict[str, list[float]] = defaultdict(list)
        self.errors: dict[str, list[str]] = defaultdict(list)
        self.lock = threading.Lock()

    def _note(self, action: str, started: float, error: str = "") -> None:
        with self.lock:
            if error:
                self.errors[action].append(error[:200])
            else:
                self.samples[action].append((time.monotonic() - started) * 1000.0)

    def run_session(self, n: int) -> None:
        # Seeded by the session and the run's start: a soak against the database of an earlier soak must
        # not upload the very rolls that run imported (nothing to import: the confirm is refused).
        rng = random.Random(f"{n}-{self.started_ns}")
        username = USERS[n % len(USERS)]
        session = Session(self.base, username)
        try:
            session.login()
        except Exception as exc:  # counted, and the session ends
            self._note("login", time.monotonic(), f"{type(exc).__name__}: {exc}")
            return
        while time.monotonic() < self.deadline:
            action = rng.choices(ACTIONS, WEIGHTS)[0]
            if action == "import" and username not in ("township_officer", "county_admin"):
                action = "list"
            started = time.monotonic()
            try:
                error = getattr(self, f"do_{action}")(session, rng)
            except Exception as exc:
                error = f"{type(exc).__name__}: {exc}"
            self._note(action, started, error or "")
            time.sleep(rng.uniform(0.2, 1.0))  # think time

    @staticmethod
    def _ok(status: int, what: str) -> str:
        return "" if 200 <= status < 400 else f"{what}: HTTP {status}"

    def do_list(self, s: Session, rng) -> str:
        return self._ok(s.request(f"/elders/?page={rng.randrange(1, 3)}")[0], "list")

    def do_search(self, s: Session, rng) -> str:
        q = urllib.parse.quote(rng.choice(["张", "王", "李", "刘", "陈", "138"]))
        return self._ok(s.request(f"/elders/?q={q}")[0], "search")

    def do_edit(self, s: Session, rng) -> str:
        ids = self.elder_ids.get(s.username) or []
        if not ids:
            return ""
        pk = rng.choice(ids)
        status, page = s.request(f"/elders/{pk}/edit/")
        if status != 200:
            return f"edit form: HTTP {status}"
        fields = form_fields(page)
        fields["phone"] = f"139{rng.randrange(10**8):08d}"
        fields["csrfmiddlewaretoken"] = s.csrf()
        status, page = s.post(f"/elders/{pk}/edit/", fields)
        if status != 200 or "errorlist" in page or "invalid-feedback" in page:
            return f"edit save: HTTP {status}" + (" (form error)" if status == 200 else "")
        return ""

    def do_import(self, s: Session, rng) -> str:
        s.request("/imports/new/")
        body, ctype = _multipart({"kind": "roll", "mode": "skip", "csrfmiddlewaretoken": s.csrf()}, "file",
                                 "roll.xlsx", _roll(rng, self.villages[s.username]))
        req = urllib.request.Request(self.base + "/imports/new/", data=body)
        req.add_header("Content-Type", ctype)
        req.add_header("X-CSRFToken", s.csrf())
        req.add_header("Referer", self.base + "/imports/new/")
        with s.opener.open(req, timeout=60) as response:
            url = response.geturl()
        if "/imports/" not in url or not url.rstrip("/").split("/")[-1].isdigit():
            return f"upload: landed on {url}"
        pk = int(url.rstrip("/").split("/")[-1])
        if not self._wait(s, pk, "待确认"):
            return "validation did not finish in 60 s"
        status, _ = s.post(f"/imports/{pk}/confirm/", {"csrfmiddlewaretoken": s.csrf()})
        if status != 200:
            return f"confirm: HTTP {status}"
        return "" if self._wait(s, pk, "已导入") else "commit did not finish in 60 s"

    def _wait(self, s: Session, pk: int, label: str) -> bool:
        limit = time.monotonic() + 60
        while time.monotonic() < limit:
            status, page = s.request(f"/imports/{pk}/")
            if status == 200 and label in page and "校验中" not in page and "导入中" not in page:
                return True
            time.sleep(0.5)
        return False

    def do_visit(self, s: Session, rng) -> str:
        status, _ = s.request("/visits/")
        if status in (200, 302):
            status2, _ = s.request("/visits/follow-ups/")
            return self._ok(status2 if status2 != 403 else 200, "follow-ups")
        return self._ok(status if status != 403 else 200, "visits")

    def report(self) -> dict:
        out = {}
        for action in sorted(set(self.samples) | set(self.errors)):
            values = sorted(self.samples.get(action, []))
            p95 = values[min(len(values) - 1, int(round(0.95 * (len(values) - 1))))] if values else None
            out[action] = {
                "requests": len(values), "errors": len(self.errors.get(action, [])),
                "p50_ms": round(statistics.median(values), 1) if values else None,
                "p95_ms": round(p95, 1) if p95 is not None else None,
                "max_ms": round(values[-1], 1) if values else None,
                "error_samples": sorted(set(self.errors.get(action, [])))[:5],
            }
        return out


def _wait_port(port: int, seconds: float = 60) -> None:
    limit = time.monotonic() + seconds
    while time.monotonic() < limit:
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.3)
    raise RuntimeError(f"nothing listens on 127.0.0.1:{port}")


def _fixtures() -> tuple[dict[str, list[int]], dict[str, str]]:
    """Elders each demo user may edit (a sample), and the village each uploader's roll names."""
    from django.contrib.auth import get_user_model

    from registry.models import Elder

    elder_ids, villages = {}, {}
    for username in USERS:
        user = get_user_model().objects.get(username=username)
        visible = Elder.objects.visible_to(user).alive().order_by("pk")
        elder_ids[username] = list(visible.values_list("pk", flat=True)[:200])
        first = visible.select_related("region").first()
        villages[username] = first.region.name if first else ""
    return elder_ids, villages


def run(args) -> int:
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.core.management import call_command

    from . import report

    if not get_user_model().objects.filter(username="township_officer").exists():
        print("loading the demo (manage.py demo) …", flush=True)
        call_command("demo")
    elder_ids, villages = _fixtures()
    db_url = os.environ["DATABASE_URL"]
    env = {**os.environ, "DATABASE_URL": db_url, "CELERY_BROKER_URL": args.broker_url, "DEBUG": "false",
           "ALLOWED_HOSTS": "127.0.0.1", "SECRET_KEY": os.environ.get("SECRET_KEY", "soak-" + uuid.uuid4().hex),
           "SECURE_SSL_REDIRECT": "false", "SESSION_COOKIE_SECURE": "false", "CSRF_COOKIE_SECURE": "false",
           "DJANGO_SETTINGS_MODULE": "config.settings", "AXES_ENABLED": "false"}
    bin_dir = Path(sys.executable).parent
    processes = [
        subprocess.Popen([str(bin_dir / "gunicorn"), "config.wsgi:application", "--bind", f"127.0.0.1:{args.port}",
                          "--workers", str(args.web_workers), "--threads", str(args.threads), "--timeout", "120",
                          "--log-level", "warning"], cwd=ROOT, env=env, start_new_session=True),
        subprocess.Popen([sys.executable, "-m", "celery", "-A", "config", "worker", "--concurrency", "1",
                          "--loglevel", "WARNING", "-n", f"soak-{os.getpid()}@%h"], cwd=ROOT, env=env,
                         start_new_session=True),
    ]
    try:
        _wait_port(args.port)
        base = f"http://127.0.0.1:{args.port}"
        soak = Soak(base, args.seconds, elder_ids, villages)
        print(f"{args.sessions} sessions for {args.seconds} s against {base} "
              f"(gunicorn {args.web_workers}×{args.threads}, 1 worker, {settings.DATABASES['default']['NAME']}) …",
              flush=True)
        started = time.monotonic()
        threads = [threading.Thread(target=soak.run_session, args=(n,), daemon=True) for n in range(args.sessions)]
        for t in threads:
            t.start()
            time.sleep(0.05)
        for t in threads:
            t.join(args.seconds + 180)
        elapsed = time.monotonic() - started
    finally:
        for p in processes:
            with _suppress():
                os.killpg(p.pid, signal.SIGTERM)
        for p in processes:
            try:
                p.wait(30)
            except subprocess.TimeoutExpired:
                os.killpg(p.pid, signal.SIGKILL)
    figures = soak.report()
    print(f"\n{'action':<8} {'requests':>8} {'errors':>6} {'p50 ms':>8} {'p95 ms':>8} {'max ms':>8}")
    for action, f in figures.items():
        print(f"{action:<8} {f['requests']:>8} {f['errors']:>6} {f['p50_ms'] or '-':>8} {f['p95_ms'] or '-':>8} "
              f"{f['max_ms'] or '-':>8}")
        for sample in f["error_samples"]:
            print(f"         error: {sample}")
    path = report.write_json(args.name or "soak", {
        "machine": report.machine_info(), "sessions": args.sessions, "seconds": args.seconds,
        "elapsed_seconds": round(elapsed, 1), "web": f"gunicorn {args.web_workers} workers × {args.threads} threads",
        "actions": figures,
    })
    print(f"written {path}")
    return 1 if any(f["errors"] for f in figures.values()) else 0


class _suppress:
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return exc[0] is not None and issubclass(exc[0], ProcessLookupError | OSError)


if __name__ == "__main__":  # pragma: no cover - run through python -m bench soak
    print(json.dumps({"usage": "python -m bench soak --seconds 300"}))
