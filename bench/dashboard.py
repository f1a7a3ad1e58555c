"""The home page and the statistics pages, timed through the real views for three roles.

What is timed, per (role, page):

- ``view``: ``django.test.Client.get`` as a logged-in user with one assignment — middleware,
  session, scoping, the grouped queries and the template (ECharts draws in the browser, so the
  server's work ends with the JSON). **Target: median < 1 s at 1M elders.**

Roles: a county administrator of the county with the most elders, a township officer of the
largest township in it, a village worker of that township's largest village.

Baselines (same process, interleaved), for the county administrator's elder statistics:

- ``query``: what the page does — ``dashboard.selectors.statistics.elder_statistics``, summing the nightly
  per-village profile (MonthlyFigure) over the county's prefix;
- ``live``: the same figures as ONE grouped SQL query over the county's elder rows (GROUP BY age
  band, sex, status, level, arrangement) — the approach measured and rejected (bench/README.md);
- ``python``: every living elder of the county fetched and counted in Python.

``python / query`` is printed as the ratio (and ``live / query``).

The nightly precompute (``dashboard.services.snapshot_month`` for the current month over the
whole register) is timed once per round as well.
"""

from __future__ import annotations

import statistics
import time
import tracemalloc
from collections import Counter
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import connection
from django.db.models import Count
from django.db.models.functions import Substr
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from dashboard.selectors import statistics as selectors
from dashboard.services import snapshot_month
from registry.models import Elder
from regions import roles
from regions.models import Region, StaffAssignment
from regions.services import staff_assignment_create

from .report import Measurement

PAGES = {
    "home": "home",
    "statistics": "dashboard:statistics",
    "services": "dashboard:statistics_services",
    "beds": "dashboard:statistics_beds",
    "indicators": "dashboard:indicators",
}


@dataclass
class Persona:
    key: str
    username: str
    role: str
    region: Region
    elders: int = 0


def _largest(prefix: str, length: int) -> tuple[str, int]:
    row = (
        Elder.objects.in_area(prefix).alive()
        .annotate(area=Substr("region_code", 1, length))
        .values("area").annotate(n=Count("id")).order_by("-n", "area").first()
    )
    if row is None:
        raise RuntimeError("no elders in this database: run `python -m bench generate` first")
    return row["area"], row["n"]


def pick_areas() -> tuple[Region, Region, Region]:
    county, _ = _largest("", 6)
    township, _ = _largest(county, 9)
    village, _ = _largest(township, 12)
    return (Region.objects.get(code=county.ljust(12, "0")), Region.objects.get(code=township.ljust(12, "0")),
            Region.objects.get(code=village))


def bench_user(username: str, role_name: str, region: Region):
    """A bench user with exactly one assignment (reused if already so)."""
    user, _ = get_user_model().objects.get_or_create(username=username, defaults={"first_name": username})
    role = Group.objects.get(name=role_name)
    current = list(StaffAssignment.objects.filter(user=user).values_list("region_id", "role_id"))
    if current != [(region.pk, role.pk)]:
        StaffAssignment.objects.filter(user=user).delete()
        staff_assignment_create(actor=None, user=user, region=region, role=role)
    return get_user_model().objects.get(pk=user.pk)


def personas() -> list[Persona]:
    county, township, village = pick_areas()
    out = [
        Persona("county admin", "bench_county_admin", roles.COUNTY_ADMIN, county),
        Persona("township officer", "bench_township_officer", roles.TOWNSHIP_OFFICER, township),
        Persona("village worker", "bench_village_worker", roles.VILLAGE_WORKER, village),
    ]
    for p in out:
        p.elders = Elder.objects.in_area(p.region.prefix).alive().count()
    return out


def _timed_ms(fn):
    started = time.perf_counter()
    value = fn()
    return (time.perf_counter() - started) * 1000.0, value


def python_elder_statistics(scope: selectors.Scope) -> Counter:
    """The baseline: every living elder of the scope fetched, banded and counted in Python."""
    today = scope.today
    counts: Counter = Counter()
    rows = selectors.elders_in_scope(scope).values_list(
        "sex", "birth_date", "economic_status", "ability_level", "living_arrangement"
    ).iterator(chunk_size=5000)
    for sex, birth, econ, level, living in rows:
        age = today.year - birth.year - ((today.month, today.day) < (birth.month, birth.day))
        band = "u60" if age < 60 else ("100+" if age >= 100 else f"{age // 5 * 5}")
        counts[("band", band, sex)] += 1
        counts[("econ", econ)] += 1
        counts[("level", level)] += 1
        counts[("living", living)] += 1
    return counts


def live_elder_statistics(scope: selectors.Scope) -> list[dict]:
    """The rejected live path: one grouped query over the scope's elder rows."""
    from django.db.models import Case, CharField, Value, When

    band = Case(*[When(selectors.band_q(lo, hi, scope.today), then=Value(key)) for key, _, lo, hi in selectors.PYRAMID_BANDS],
                default=Value("u60"), output_field=CharField())
    return list(
        selectors.elders_in_scope(scope).annotate(band=band)
        .values("band", "sex", "economic_status", "ability_level", "living_arrangement")
        .annotate(n=Count("id")).order_by()
    )


def run_dashboard_benchmark(*, runs: int = 3, requests: int = 5, pages: dict[str, str] | None = None) -> dict:
    pages = PAGES if pages is None else pages
    today = timezone.localdate()
    cast = personas()
    clients = {}
    for p in cast:
        client = Client()
        client.force_login(bench_user(p.username, p.role, p.region))
        clients[p.key] = client
    snapshot_ms, snapshot = _timed_ms(lambda: snapshot_month(period=today))  # warm-up and first figures

    measurements: dict[tuple[str, str], Measurement] = {}
    for p in cast:
        for page, url_name in pages.items():
            response = clients[p.key].get(reverse(url_name))  # warm-up: templates, plans, caches; not timed
            if response.status_code != 200:
                raise AssertionError(f"{p.key} {page}: HTTP {response.status_code}")
            measurements[(p.key, page)] = Measurement(
                benchmark=f"{p.key}: {page}",
                details={"url": reverse(url_name), "area": p.region.code, "elders_in_area": p.elders, "kind": "view"},
            )
    admin = next(p for p in cast if p.key == "county admin")
    admin_user = get_user_model().objects.get(username=admin.username)
    scope = selectors.Scope(user=admin_user, area=None, today=today)
    baseline = {
        "query": Measurement(benchmark="county admin: elder statistics, sum of the nightly profile", details={"kind": "query"}),
        "live": Measurement(benchmark="county admin: elder statistics, live grouped SQL (rejected)", details={"kind": "live"}),
        "python": Measurement(benchmark="county admin: elder statistics, per elder in Python (baseline)",
                              details={"kind": "python"}),
    }
    night = Measurement(benchmark="nightly snapshot (current month, whole register)", details={"kind": "snapshot"})

    for _ in range(runs):
        for p in cast:
            for page, url_name in pages.items():
                samples = []
                for _ in range(requests):
                    elapsed, response = _timed_ms(lambda: clients[p.key].get(reverse(url_name)))  # noqa: B023
                    if response.status_code != 200:
                        raise AssertionError(f"{p.key} {page}: HTTP {response.status_code}")
                    samples.append(elapsed)
                m = measurements[(p.key, page)]
                m.samples_ms += samples
                m.run_medians_ms.append(statistics.median(samples))
        q_samples, py_samples, live_samples = [], [], []
        for _ in range(requests):
            elapsed, sql = _timed_ms(lambda: selectors.elder_statistics(scope))
            q_samples.append(elapsed)
            elapsed, cube = _timed_ms(lambda: live_elder_statistics(scope))
            live_samples.append(elapsed)
        elapsed, counted = _timed_ms(lambda: python_elder_statistics(scope))
        py_samples.append(elapsed)
        if not sum(v for k, v in counted.items() if k[0] == "econ") == sum(r["n"] for r in cube) == sql["total"]:
            raise AssertionError("the baselines and the page disagree on the number of elders")
        for kind, samples in (("query", q_samples), ("live", live_samples), ("python", py_samples)):
            baseline[kind].samples_ms += samples
            baseline[kind].run_medians_ms.append(statistics.median(samples))
        elapsed, _ = _timed_ms(lambda: snapshot_month(period=today))
        night.samples_ms.append(elapsed)
        night.run_medians_ms.append(elapsed)

    for p in cast:
        for page, url_name in pages.items():
            tracemalloc.start()
            try:
                clients[p.key].get(reverse(url_name))
                measurements[(p.key, page)].peak_memory_kib = tracemalloc.get_traced_memory()[1] // 1024
            finally:
                tracemalloc.stop()

    view_ms = [m for m in measurements.values()]
    ratio = baseline["python"].median_ms / baseline["query"].median_ms if baseline["query"].median_ms else None
    live_ratio = baseline["live"].median_ms / baseline["query"].median_ms if baseline["query"].median_ms else None
    return {
        "personas": [{"role": p.key, "area": p.region.code, "name": p.region.name, "elders": p.elders} for p in cast],
        "elders_total": Elder.objects.count(),
        "runs": runs,
        "requests": requests,
        "target_ms": 1000,
        "all_pages_under_target": all(m.median_ms < 1000 for m in view_ms),
        "slowest_page": max(view_ms, key=lambda m: m.median_ms).benchmark if view_ms else None,
        "baseline_ratio": ratio,
        "live_ratio": live_ratio,
        "snapshot_rows": snapshot.rows,
        "first_snapshot_ms": snapshot_ms,
        "measurements": [*view_ms, baseline["query"], baseline["live"], baseline["python"], night],
        "vendor": connection.vendor,
    }
