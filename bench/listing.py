"""The township officer's elder list, timed through the real view, against a naive baseline.

What is timed, per case (page 1 / page 200, without and with a typical filter):

- ``view``: ``django.test.Client.get`` on ``eligibility:elder_list`` as a logged-in township
  officer — middleware, session, scoping, the filter form, count + page queries and the template.
  This is the number the target (median < 150 ms at 1M elders) is about.
- ``query``: the same selector and filters (``registry.selectors.elder_list`` narrowed by
  ``registry.forms.ElderFilterSet``) through a ``Paginator``: count + one page, no HTTP and no template.
- ``naive``: the same page built the way the composite index avoids — the same filters, but scoped
  by ``region_id IN (<the township's village ids>)`` and ordered by (name, id), so PostgreSQL can
  only use the plain foreign-key index (or the name index) and must sort or filter a lot.

``naive / query`` is printed as a ratio: both are measured in the same process, interleaved, so the
ratio survives a noisy shared machine better than either absolute time.
"""

from __future__ import annotations

import math
import statistics
import time
import tracemalloc
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.paginator import Paginator
from django.db import connection
from django.test import Client
from django.urls import reverse

from registry import selectors
from registry.forms import ElderFilterSet
from registry.models import Elder, ElderQuerySet
from regions import roles
from regions.models import Region, StaffAssignment
from regions.services import staff_assignment_create

from .generate import largest_townships
from .report import Measurement

BENCH_USERNAME = "bench_township_officer"
DEFAULT_PAGES = (1, 200)
# A typical officer's question: the 80–89 year-olds (≈ 12 % of the elders), e.g. for the
# high-age allowance. Broad enough that page 200 exists in a large township at N = 1M.
DEFAULT_FILTERS: dict[str, dict[str, str]] = {"all": {}, "age 80-89": {"age_band": "80-89"}}

T = TypeVar("T")


@dataclass
class ListCase:
    label: str
    page: int
    requested_page: int
    params: dict[str, str]
    expected_count: int
    status_code: int = 0  # of the warm-up response, kept as evidence in the JSON
    shows_total: bool = False  # whether that page showed "共 <expected_count> 人"


def township_with_most_elders() -> Region:
    ranking = largest_townships(limit=1)
    if not ranking:
        raise RuntimeError("no elders in this database: run `python -m bench generate` first")
    return Region.objects.get(code=ranking[0][0])


def bench_officer(township: Region):
    """The bench user: exactly one township-officer assignment, on ``township`` (reused if so)."""
    user, _ = get_user_model().objects.get_or_create(
        username=BENCH_USERNAME, defaults={"first_name": "基准测试经办人"}
    )
    role = Group.objects.get(name=roles.TOWNSHIP_OFFICER)
    current = list(StaffAssignment.objects.filter(user=user).values_list("region_id", "role_id"))
    if current != [(township.pk, role.pk)]:
        StaffAssignment.objects.filter(user=user).delete()
        staff_assignment_create(actor=None, user=user, region=township, role=role)
    return get_user_model().objects.get(pk=user.pk)  # fresh: no cached area prefixes or permissions


def filtered(user, qs: ElderQuerySet, params: dict[str, str]) -> ElderQuerySet:
    """What the view does with these query parameters: the FilterSet over the scoped queryset."""
    return ElderFilterSet(params or None, queryset=qs, user=user).qs


def app_queryset(user, params: dict[str, str]) -> ElderQuerySet:
    return filtered(user, selectors.elder_list(user=user, area=None), params)


def naive_queryset(village_ids: list[int], params: dict[str, str]) -> ElderQuerySet:
    """The app's filters and joins, but scoped by village ids and ordered by (name, id).

    ``elder_list`` with an unsaved superuser is the unscoped register; the same filters, then the
    naive scoping and ordering replace the prefix filter and the (region_code, name, id) order.
    """
    unrestricted = get_user_model()(is_superuser=True, is_active=True)
    qs = filtered(unrestricted, selectors.elder_list(user=unrestricted, area=None), params)
    return qs.filter(region_id__in=village_ids).order_by("name", "id")


def build_page(qs, page_number: int) -> tuple[int, list[Elder]]:
    """Count + one page through a Paginator, as ListView does."""
    paginator = Paginator(qs, settings.LIST_PAGE_SIZE)
    page = paginator.page(page_number)
    return paginator.count, list(page.object_list)


def make_cases(user, pages, filters) -> list[ListCase]:
    """One case per (filter, page); a page past the end is clamped to the last page (tiny scales)."""
    cases = []
    for filter_label, params in filters.items():
        count = app_queryset(user, params).count()
        last_page = max(1, math.ceil(count / settings.LIST_PAGE_SIZE))
        for requested in pages:
            page = min(requested, last_page)
            label = f"page {page}" + (f" (asked {requested})" if page != requested else "")
            cases.append(ListCase(f"{label}, {filter_label}", page, requested, dict(params), count))
    return cases


def _check_response(response, case: ListCase) -> None:
    """A fast wrong page is no result: it must be a 200 that shows the selector's total."""
    case.status_code = response.status_code
    case.shows_total = f"共 {case.expected_count} 人".encode() in response.content
    if case.status_code != 200:
        raise AssertionError(f"{case.label}: HTTP {response.status_code}")
    if not case.shows_total:
        raise AssertionError(f"{case.label}: the page does not show the total count {case.expected_count}")


def _timed_ms(fn: Callable[[], T]) -> tuple[float, T]:
    started = time.perf_counter()
    value = fn()
    return (time.perf_counter() - started) * 1000.0, value


def _peak_kib(fn) -> int:
    """Peak Python allocation of one call (tracemalloc slows the call, so it is never timed)."""
    tracemalloc.start()
    try:
        fn()
        return tracemalloc.get_traced_memory()[1] // 1024
    finally:
        tracemalloc.stop()


def run_list_benchmark(
    *, runs: int = 3, requests: int = 15, pages=DEFAULT_PAGES, filters=None, township: Region | None = None
) -> dict:
    """Time the list page for the bench township officer; return measurements and context."""
    filters = DEFAULT_FILTERS if filters is None else filters
    township = township or township_with_most_elders()
    user = bench_officer(township)
    village_ids = list(Region.objects.filter(parent=township, level=Region.Level.VILLAGE).values_list("pk", flat=True))
    client = Client()
    client.force_login(user)
    url = reverse("eligibility:elder_list")
    cases = make_cases(user, pages, filters)

    def get(case: ListCase):
        return client.get(url, {**case.params, "page": case.page})

    measurements: dict[tuple[str, str], Measurement] = {}
    for case in cases:
        _check_response(get(case), case)  # warm-up: templates, plans, caches; not timed
        naive_count, _ = build_page(naive_queryset(village_ids, case.params), case.page)
        if naive_count != case.expected_count:
            raise AssertionError(f"{case.label}: naive count {naive_count} != {case.expected_count}")
        for kind in ("view", "query", "naive"):
            measurements[(case.label, kind)] = Measurement(
                benchmark=f"list {kind}: {case.label}",
                details={"page": case.page, "requested_page": case.requested_page, "params": case.params,
                         "total_count": case.expected_count, "kind": kind},
            )

    # Rounds interleave the cases and the three kinds, so background noise hits all of them alike.
    for _ in range(runs):
        for case in cases:
            round_samples: dict[str, list[float]] = {"view": [], "query": [], "naive": []}
            for i in range(requests):
                elapsed, response = _timed_ms(lambda: get(case))
                if i == 0:
                    _check_response(response, case)
                elif response.status_code != 200:
                    raise AssertionError(f"{case.label}: HTTP {response.status_code}")
                round_samples["view"].append(elapsed)
                elapsed, _ = _timed_ms(lambda: build_page(app_queryset(user, case.params), case.page))
                round_samples["query"].append(elapsed)
                elapsed, _ = _timed_ms(lambda: build_page(naive_queryset(village_ids, case.params), case.page))
                round_samples["naive"].append(elapsed)
            for kind, samples in round_samples.items():
                m = measurements[(case.label, kind)]
                m.samples_ms += samples
                m.run_medians_ms.append(statistics.median(samples))

    for case in cases:
        measurements[(case.label, "view")].peak_memory_kib = _peak_kib(lambda: get(case))
        measurements[(case.label, "query")].peak_memory_kib = _peak_kib(
            lambda: build_page(app_queryset(user, case.params), case.page)
        )
        measurements[(case.label, "naive")].peak_memory_kib = _peak_kib(
            lambda: build_page(naive_queryset(village_ids, case.params), case.page)
        )

    ratios = {
        case.label: measurements[(case.label, "naive")].median_ms / measurements[(case.label, "query")].median_ms
        for case in cases
        if measurements[(case.label, "query")].median_ms > 0
    }
    return {
        "township": {"code": township.code, "name": township.name, "villages": len(village_ids)},
        "elders_in_township": Elder.objects.in_area(township.prefix).count(),
        "elders_total": Elder.objects.count(),
        "page_size": settings.LIST_PAGE_SIZE,
        "runs": runs,
        "requests": requests,
        "cases": [case.__dict__ for case in cases],
        "measurements": [measurements[(case.label, kind)] for case in cases for kind in ("view", "query", "naive")],
        "baseline_ratio": ratios,  # naive median / query median, per case
        "vendor": connection.vendor,
    }
