"""The nightly re-eligibility sweep (服务找人) at scale, against a per-elder Python baseline.

Setup (untimed):

- ``load_policy yangling`` (idempotent), then the **bench clone**: the Yangling rules and its
  parameters are copied onto every *province* that holds generated elders (rule ``source`` =
  ``bench:clone``; replaced on every run). The Yangling list itself only covers 杨陵区 610403,
  which holds ≈ 0.6 % of the generated elders; with the clone every generated elder falls under
  the same 16 benefits / 33 rules, so "1,000,000 elders and the Yangling list" is what is timed.
  In 610403 the county's own rules win over the clone (most local jurisdiction first), exactly as
  a real county list over a provincial one.

What is timed (the sweep is ``eligibility.policy.sweep.sweep_county`` per county, in sequence,
as the Celery fan-out would run them on one worker):

- ``full``: every county from empty enrolments (enrolments, events and runs emptied before each
  of the ``runs`` rounds). Target ≤ 60 s at 1M.
- ``unchanged``: the next night with nothing changed. Target ≤ 20 s, and it must write nothing:
  every run's counts are zero and no enrolment or event row is added or changed (asserted).
- ``1 % changed``: before each round, a seeded random 1 % of the elders change economic status,
  ability level or die (one set-based UPDATE per kind, ``updated_at`` bumped), then one sweep.
  Target ≤ 30 s. The changed elders are restored afterwards (set-based), so the registry is the
  generator's again.
- ``reference``: the **baseline** — the same rules evaluated per elder in Python
  (``eligibility.policy.reference.choose_rule``) for a seeded sample of elders (10,000 at full
  scale), extrapolated to all elders. Printed ratio = extrapolated reference / full sweep median.
  The reference's decisions for the sample are also compared with the enrolments the full sweep
  wrote (they must agree).

Per county: seconds of each county in the last full round, as a distribution (min, median, p90,
max) and the slowest counties with their elder counts.
"""

from __future__ import annotations

import datetime as dt
import random
import statistics
import time
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor

from django.db import connection, transaction
from django.utils import timezone

from core.scoping import code_under_q
from eligibility.models import Benefit, BenefitRule, Enrolment, EnrolmentEvent, PolicyParameter, SweepRun
from registry.models import Elder
from eligibility.policy import catalogue, periods, reference
from eligibility.policy.loader import load_policy
from eligibility.policy.sweep import counties_with_elders, sweep_county
from regions.models import Region

from .report import Measurement, process_peak_rss_kib

CLONE_SOURCE = "bench:clone"
AS_OF = dt.date(2026, 11, 25)  # the generator's reference day: the sweep decides 2026-12
DEFAULT_SEED = 20261125
TARGETS_S = {"full": 60.0, "unchanged": 20.0, "changed": 30.0}


# ---------------------------------------------------------------------------------------- setup


def load_catalogue() -> dict:
    """Yangling list + its clone onto every province with elders. Returns what was set up."""
    from eligibility.policy.data import yangling

    load_policy("yangling")
    home = Region.objects.get(code=yangling.JURISDICTION)
    provinces = sorted({c[:2] for c in counties_with_elders()})
    targets = list(Region.objects.filter(code__in=[p + "0" * 10 for p in provinces]).exclude(pk=home.pk))
    with transaction.atomic():
        BenefitRule.objects.filter(source=CLONE_SOURCE).delete()
        PolicyParameter.objects.filter(note=CLONE_SOURCE).delete()
        rules = list(BenefitRule.objects.filter(jurisdiction=home, effective_from=yangling.EFFECTIVE_FROM))
        params = list(PolicyParameter.objects.filter(jurisdiction=home, effective_from=yangling.EFFECTIVE_FROM))
        clones, pclones = [], []
        for region in targets:
            for r in rules:
                clones.append(BenefitRule(
                    benefit_id=r.benefit_id, jurisdiction=region, label=r.label, effective_from=r.effective_from,
                    effective_to=r.effective_to, criteria=r.criteria, start=r.start, amount_kind=r.amount_kind,
                    amount=r.amount, parameter_key=r.parameter_key, source=CLONE_SOURCE,
                ))
            for p in params:
                pclones.append(PolicyParameter(
                    key=p.key, name=p.name, jurisdiction=region, value=p.value, effective_from=p.effective_from,
                    effective_to=p.effective_to, note=CLONE_SOURCE,
                ))
        BenefitRule.objects.bulk_create(clones)
        PolicyParameter.objects.bulk_create(pclones)
    return {
        "yangling_rules": len(rules),
        "cloned_onto": [r.code for r in targets],
        "benefits": Benefit.objects.filter(is_active=True).count(),
        "rules_total": BenefitRule.objects.count(),
    }


def reset_enrolments() -> None:
    """Empty enrolments, their events and the sweep runs (the 'first night')."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                f"TRUNCATE {EnrolmentEvent._meta.db_table}, {Enrolment._meta.db_table}, "
                f"{SweepRun._meta.db_table} RESTART IDENTITY CASCADE"
            )
            cursor.execute(f"ANALYZE {Enrolment._meta.db_table}")
    else:
        EnrolmentEvent.objects.all().delete()
        Enrolment.objects.all().delete()
        SweepRun.objects.all().delete()


def _analyze() -> None:
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(f"ANALYZE {Enrolment._meta.db_table}")
            cursor.execute(f"ANALYZE {Elder._meta.db_table}")


def sample_ids(n: int, seed: int, counties: list[str] | None = None) -> list[int]:
    qs = Elder.objects.order_by("pk")
    if counties is not None:
        from django.db.models import Q

        q = Q(pk__in=[])
        for c in counties:
            q |= code_under_q("region_code", c[:6])
        qs = qs.filter(q)
    ids = list(qs.values_list("pk", flat=True))
    return sorted(random.Random(seed).sample(ids, min(n, len(ids))))


ORIGINAL_FIELDS = ("economic_status", "economic_status_from", "economic_status_to", "ability_level", "deceased_on",
                   "updated_at")


def _chunks(items: list, size: int = 5000):
    for i in range(0, len(items), size):
        yield items[i:i + size]


def change_elders(ids: list[int], *, seed: int) -> dict[tuple, list[int]]:
    """Change a third each: economic status (normal ↔ 低保), ability level (+1/−1 or first
    assessment), death (on the 10th of the current month). Set-based, ``updated_at`` bumped.
    Returns the original values grouped, for ``restore_elders``."""
    originals: dict[tuple, list[int]] = defaultdict(list)
    for chunk in _chunks(ids):
        for row in Elder.objects.filter(pk__in=chunk).values_list("pk", *ORIGINAL_FIELDS):
            originals[row[1:]].append(row[0])
    rng = random.Random(f"sweep-change-{seed}")
    shuffled = list(ids)
    rng.shuffle(shuffled)
    third = len(shuffled) // 3
    economic, ability, died = shuffled[:third], shuffled[third:2 * third], shuffled[2 * third:]
    now = timezone.now()
    from django.db.models import Case, F, Value, When

    with transaction.atomic():
        for chunk in _chunks(economic):
            Elder.objects.filter(pk__in=chunk).update(
                economic_status=Case(When(economic_status="dibao", then=Value("normal")), default=Value("dibao")),
                economic_status_from=None, economic_status_to=None, updated_at=now,
            )
        for chunk in _chunks(ability):
            Elder.objects.filter(pk__in=chunk).update(
                ability_level=Case(
                    When(ability_level__isnull=True, then=Value(2)), When(ability_level__gte=4, then=Value(3)),
                    default=F("ability_level") + 1,
                ),
                updated_at=now,
            )
        for chunk in _chunks(died):
            Elder.objects.filter(pk__in=chunk).update(deceased_on=AS_OF.replace(day=10), updated_at=now)
    return originals


def restore_elders(originals: dict[tuple, list[int]]) -> None:
    """Put the changed elders' values back. A restore is a change like any other (``updated_at`` is
    bumped), so the next sweep brings their enrolments back too."""
    now = timezone.now()
    with transaction.atomic():
        for values, ids in originals.items():
            restored = dict(zip(ORIGINAL_FIELDS, values, strict=True))
            restored["updated_at"] = now
            for chunk in _chunks(ids):
                Elder.objects.filter(pk__in=chunk).update(**restored)


# -------------------------------------------------------------------------------------- timing


def sweep_all(counties: list[str], *, workers: int = 1, full: bool = False,
              elders_by_county: dict[str, int] | None = None) -> tuple[float, dict[str, float], list[SweepRun]]:
    """Sweep every county, as the nightly Celery group does: ``workers`` counties at a time (threads,
    each with its own database connection; biggest counties first so the last one is not a big one).
    Returns total seconds, seconds per county, the runs. SQLite always runs them one after another."""
    if connection.vendor != "postgresql" or connection.in_atomic_block:
        workers = 1  # other connections could not see an open transaction's rows (the smoke test's)
    sizes = elders_by_county or {}
    ordered = sorted(counties, key=lambda c: -sizes.get(c, 0))

    def one(code: str) -> tuple[str, float, SweepRun]:
        t0 = time.perf_counter()
        try:
            run = sweep_county(as_of=AS_OF, county_code=code, full=full)
        finally:
            if workers > 1:
                connection.close()
        return code, time.perf_counter() - t0, run

    started = time.perf_counter()
    if workers > 1:
        with ThreadPoolExecutor(max_workers=workers) as pool:
            results = list(pool.map(one, ordered))
    else:
        results = [one(code) for code in ordered]
    elapsed = time.perf_counter() - started
    per_county = {code: seconds for code, seconds, _ in results}
    runs = [run for _, _, run in results]
    failed = [r for r in runs if r.status != SweepRun.Status.DONE]
    if failed:
        raise AssertionError(f"sweep of {failed[0].county_code} failed: {failed[0].errors}")
    return elapsed, per_county, runs


def _evaluated(runs: list[SweepRun]) -> dict:
    modes: dict[str, int] = defaultdict(int)
    for r in runs:
        modes[(r.counts or {}).get("mode", "?")] += 1
    return {"elders_evaluated": sum(r.evaluated or 0 for r in runs), "runs_by_mode": dict(modes)}


def _state() -> tuple:
    """A fingerprint of the enrolment tables: counts and the latest change."""
    from django.db.models import Max

    agg = Enrolment.objects.aggregate(m=Max("updated_at"), c=Max("changed_run"))
    return Enrolment.objects.count(), EnrolmentEvent.objects.count(), agg["m"], agg["c"]


def reference_baseline(ids: list[int], counties: list[str]) -> tuple[float, dict[tuple[int, int], int | None]]:
    """Evaluate every benefit's rules per elder in Python; seconds and (elder, benefit) → rule id."""
    period = periods.coming_period(AS_OF)
    benefits = list(Benefit.objects.filter(is_active=True).order_by("code"))
    started = time.perf_counter()
    applied_by_county: dict[str, list[tuple[Benefit, list]]] = {}
    decisions: dict[tuple[int, int], int | None] = {}
    elders = []
    for chunk in _chunks(ids):
        elders += list(Elder.objects.filter(pk__in=chunk))
    for elder in elders:
        county = elder.region_code[:6] + "000000"
        if county not in applied_by_county:
            applied_by_county[county] = [
                (b, [a.rule for a in catalogue.applicable_rules(b, county, period)]) for b in benefits
            ]
        for benefit, ordered in applied_by_county[county]:
            rule = reference.choose_rule(elder, ordered, period=period)
            decisions[(elder.pk, benefit.pk)] = rule.pk if rule else None
    return time.perf_counter() - started, decisions


def _distribution(per_county: dict[str, float], elders_by_county: dict[str, int]) -> dict:
    values = sorted(per_county.values())

    def pct(p: float) -> float:
        return values[min(len(values) - 1, int(round(p * (len(values) - 1))))]

    slowest = sorted(per_county.items(), key=lambda kv: -kv[1])[:5]
    return {
        "counties": len(values),
        "min_s": round(values[0], 3), "median_s": round(statistics.median(values), 3), "p90_s": round(pct(0.9), 3),
        "max_s": round(values[-1], 3), "sum_s": round(sum(values), 3),
        "slowest": [
            {"county": c, "seconds": round(s, 3), "elders": elders_by_county.get(c, 0),
             "elders_per_s": round(elders_by_county.get(c, 0) / s) if s else None}
            for c, s in slowest
        ],
    }


def run_sweep_benchmark(*, runs: int = 3, sample: int = 10_000, change_share: float = 0.01,
                        seed: int = DEFAULT_SEED, counties: list[str] | None = None, workers: int = 2,
                        log=print) -> dict:
    """Time full / unchanged / 1 %-changed sweeps and the per-elder baseline; return measurements.
    ``counties`` limits the run to some counties (the smoke test); default every county with elders."""
    if not Elder.objects.exists():
        raise RuntimeError("no elders in this database: run `python -m bench generate` first")
    reset_enrolments()  # the clone's rules are replaced, and enrolments protect their rule
    setup = load_catalogue()
    counties = sorted(counties) if counties else counties_with_elders()
    from django.db.models import Count
    from django.db.models.functions import Substr

    elders_by_county = {
        row["c"] + "000000": row["n"]
        for row in Elder.objects.annotate(c=Substr("region_code", 1, 6)).values("c").annotate(n=Count("id")).order_by()
        if row["c"] + "000000" in counties
    }
    n_elders = sum(elders_by_county.values())
    log(f"{n_elders:,} elders in {len(counties)} counties; {setup['benefits']} benefits, {setup['rules_total']} rules "
        f"(Yangling {setup['yangling_rules']} rules, cloned onto {', '.join(setup['cloned_onto']) or '—'})")

    if connection.vendor != "postgresql" or connection.in_atomic_block:
        workers = 1
    log(f"{workers} worker(s): counties run {workers} at a time, as a Celery group on {workers} worker process(es)")
    sweep_kw = {"workers": workers, "elders_by_county": elders_by_county}
    full = Measurement(benchmark=f"sweep full (empty enrolments), {n_elders:,} elders")
    unchanged = Measurement(benchmark="sweep next night, nothing changed")
    changed = Measurement(benchmark=f"sweep after {change_share:.0%} of elders changed")
    monthly = Measurement(benchmark="sweep forced full re-evaluation, nothing changed (first night of a month)")
    per_county: dict[str, float] = {}
    enrolments_after_full = 0
    for i in range(runs):
        reset_enrolments()
        seconds, per_county, done = sweep_all(counties, **sweep_kw)
        full.samples_ms.append(seconds * 1000)
        enrolments_after_full = Enrolment.objects.count()
        log(f"  full round {i + 1}: {seconds:.1f} s, {enrolments_after_full:,} enrolments")
    _analyze()
    full.rows_per_second = n_elders / (full.median_ms / 1000) if full.median_ms else None
    full.peak_memory_kib = process_peak_rss_kib()
    full.details = {"enrolments": enrolments_after_full, "target_s": TARGETS_S["full"],
                    "totals": _merge_totals(done), **_evaluated(done)}

    # Baseline and agreement check while the enrolments are the full sweep's.
    ids = sample_ids(sample, seed, counties)
    ref_seconds, decisions = reference_baseline(ids, counties)
    open_rules = {
        (e, b): r
        for e, b, r in Enrolment.objects.filter(status__in=Enrolment.OPEN_STATUSES, elder_id__in=ids)
        .values_list("elder_id", "benefit_id", "rule_id")
    } if len(ids) < 30000 else {}
    disagree = sum(1 for key, rule in decisions.items() if open_rules.get(key) != rule)
    extrapolated = ref_seconds * n_elders / max(1, len(ids))
    ref = Measurement(
        benchmark=f"reference per elder in Python ({len(ids):,} elders)", samples_ms=[ref_seconds * 1000],
        rows_per_second=len(ids) / ref_seconds if ref_seconds else None,
        details={"sample": len(ids), "extrapolated_s": round(extrapolated, 1), "disagreements": disagree,
                 "decisions": len(decisions)},
    )
    if disagree:
        raise AssertionError(f"reference and sweep disagree on {disagree} of {len(decisions)} decisions")

    writes = []
    for i in range(runs):
        before = _state()
        seconds, _, done = sweep_all(counties, **sweep_kw)
        after = _state()
        changes = sum(r.total_changes for r in done)
        writes.append(changes)
        if changes or before != after:
            raise AssertionError(f"the unchanged sweep wrote: {changes} changes, state {before} → {after}")
        unchanged.samples_ms.append(seconds * 1000)
        log(f"  unchanged round {i + 1}: {seconds:.1f} s, {changes} changed rows, {_evaluated(done)}")
    unchanged.rows_per_second = n_elders / (unchanged.median_ms / 1000) if unchanged.median_ms else None
    unchanged.details = {"changed_rows": writes, "zero_writes": not any(writes), "target_s": TARGETS_S["unchanged"],
                         **_evaluated(done)}

    # The first night of a month evaluates everyone again (a new period); with nothing changed it must
    # still write nothing. One round: it is the slow case, shown for what it costs, not a target.
    before = _state()
    seconds, _, done = sweep_all(counties, full=True, **sweep_kw)
    after = _state()
    monthly_changes = sum(r.total_changes for r in done)
    if monthly_changes or before != after:
        raise AssertionError(f"the forced full sweep wrote: {monthly_changes} changes, state {before} → {after}")
    monthly.samples_ms.append(seconds * 1000)
    monthly.rows_per_second = n_elders / seconds if seconds else None
    monthly.details = {"changed_rows": monthly_changes, **_evaluated(done)}
    log(f"  forced full re-evaluation: {seconds:.1f} s, {monthly_changes} changed rows")

    # Each round: 1 % change, the timed sweep, then the elders are restored (a change too, so from the
    # second round on the timed sweep also looks at the previous round's restored elders: pessimistic)
    # and an untimed sweep brings their enrolments back.
    change_totals, evaluated = [], []
    n_change = max(1, round(n_elders * change_share))
    for i in range(runs):
        picked = sample_ids(n_change, seed + 1 + i, counties)
        originals = change_elders(picked, seed=seed + i)
        try:
            _analyze()
            seconds, _, done = sweep_all(counties, **sweep_kw)
        finally:
            restore_elders(originals)
            sweep_all(counties, **sweep_kw)
        totals = _merge_totals(done)
        change_totals.append(totals)
        evaluated.append(_evaluated(done))
        changed.samples_ms.append(seconds * 1000)
        log(f"  1 % changed round {i + 1}: {seconds:.1f} s, {n_change:,} elders changed, changes {totals}, "
            f"{evaluated[-1]}")
    changed.rows_per_second = n_elders / (changed.median_ms / 1000) if changed.median_ms else None
    changed.details = {"elders_changed": n_change, "totals": change_totals, "target_s": TARGETS_S["changed"],
                       "evaluated": evaluated}

    ratio = extrapolated / (full.median_ms / 1000) if full.median_ms else None
    return {
        "elders": n_elders,
        "counties": len(counties),
        "setup": setup,
        "as_of": AS_OF.isoformat(),
        "period": periods.coming_period(AS_OF).isoformat(),
        "runs": runs,
        "workers": workers,
        "measurements": [full, unchanged, changed, monthly, ref],
        "baseline_ratio": ratio,
        "reference_extrapolated_s": extrapolated,
        "per_county": _distribution(per_county, elders_by_county),
        "per_county_seconds": {c: round(s, 3) for c, s in per_county.items()},
        "targets_s": TARGETS_S,
        "met": {
            "full": full.median_ms / 1000 <= TARGETS_S["full"],
            "unchanged": unchanged.median_ms / 1000 <= TARGETS_S["unchanged"] and not any(writes),
            "changed": changed.median_ms / 1000 <= TARGETS_S["changed"],
        },
        "vendor": connection.vendor,
    }


def _merge_totals(runs: list[SweepRun]) -> dict[str, int]:
    totals: dict[str, int] = defaultdict(int)
    for run in runs:
        for kind, n in (run.counts or {}).get("totals", {}).items():
            totals[kind] += n
    return dict(totals)

