"""Benchmark of the monthly payroll: ``python -m bench payroll`` (or ``python -m bench.payroll``).

Needs the elders of ``python -m bench generate`` (1M in yiyang_bench). Setup, set-based and not
timed: a benefit ``bench_payroll`` (monthly, **inactive** so the nightly sweep and its benchmark
never touch it) with two tiers (60–79 周岁 100 元, 80+ 200 元) and one active enrolment per elder
(up to ``--enrolments``, default 1,000,000), all attributed to one county, 610424: the enrolment's
region_code is ``610424`` + the elder's township/village digits. No real county has 1M elders in the
bench data (the largest has ~73k), and a run is per county; the elders themselves are untouched, so
the join to them and the tier CASE cost what a real 1M-elder county would.

Cases, each ``--runs`` times (median/min/max, rows/s, peak memory):

- ``generate``: ``payouts.services.payroll_generate`` for a fresh run (the previous run is deleted
  and the lines and check tables vacuumed first, untimed) — normal lines, arrears window, recoveries, carried lines, the four checks, totals.
- ``regenerate``: the same on the unchanged draft (delete its lines + insert again).
- ``export csv``: the bank file of the run to a temp file, in a forked child so its peak RSS is its own.
- baseline ``python loop``: the naive path on a ``--sample`` of enrolments — read enrolments with their
  elders into Python, decide the amount per elder, ``bulk_create(ignore_conflicts=True)`` — timed and
  extrapolated to N; the printed ratio is baseline / ``generate`` median.

Everything the benchmark wrote (runs, lines, enrolments, the benefit) is deleted at the end unless
``--keep``. Targets (issue 8): generate ≤ 60 s, regenerate ≤ 30 s, export ≤ 30 s with flat memory.
"""

from __future__ import annotations

import argparse
import datetime as dt
import multiprocessing
import os
import resource
import statistics
import sys
import tempfile
import time

BENEFIT = "bench_payroll"
COUNTY = "610424"
PERIOD = dt.date(2026, 12, 1)
TARGETS_S = {"generate": 60.0, "regenerate": 30.0, "export csv": 30.0}


def _parser() -> argparse.ArgumentParser:
    from . import database

    parser = argparse.ArgumentParser(prog="python -m bench payroll", description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", default=database.default_database_url())
    parser.add_argument("--enrolments", type=int, default=1_000_000)
    parser.add_argument("--sample", type=int, default=50_000, help="enrolments for the Python baseline")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--name", default="payroll")
    parser.add_argument("--keep", action="store_true", help="keep the benchmark's rows afterwards")
    return parser


def setup(n: int) -> int:
    """The bench benefit, its rules and N active enrolments (set-based). Returns N actually created."""
    from decimal import Decimal

    from django.db import connection, transaction

    from eligibility.models import Benefit, BenefitRule
    from regions.models import Region

    cleanup()
    with transaction.atomic():
        benefit = Benefit.objects.create(code=BENEFIT, name="发放基准测试", service_type="material",
                                         payment_kind="monthly", enrolment_mode="automatic", is_active=False)
        county = Region.objects.get(code=COUNTY + "000000")
        for label, lo, hi, amount in (("60–79周岁", 60, 80, "100"), ("80周岁以上", 80, None, "200")):
            BenefitRule.objects.create(benefit=benefit, jurisdiction=county, label=label, effective_from=dt.date(2020, 1, 1),
                                       criteria={"age": {"min": lo, "max": hi}}, amount=Decimal(amount))
        rule = benefit.rules.order_by("amount").first()
        with connection.cursor() as cursor:
            cursor.execute(
                """
                INSERT INTO eligibility_enrolment (elder_id, benefit_id, rule_id, region_code, status, start_period,
                    amount, source, reason, review_reason, decision_note, change_kind, created_at, updated_at)
                SELECT e.id, %s, %s, %s || substr(e.region_code, 7), 'active', DATE '2026-01-01', 100, 'manual',
                       'bench', '', '', '', now(), now()
                FROM eligibility_elder e WHERE e.deceased_on IS NULL ORDER BY e.id LIMIT %s
                """,
                [benefit.pk, rule.pk, COUNTY, n],
            )
            created = cursor.rowcount
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE eligibility_enrolment")
    return created


def cleanup() -> None:
    from django.db import connection, transaction

    from eligibility.models import Benefit
    from payouts.models import PayrollRun

    benefit = Benefit.objects.filter(code=BENEFIT).first()
    if benefit is None:
        return
    with transaction.atomic():
        runs = PayrollRun.objects.filter(county_code=COUNTY + "000000", benefit_key=BENEFIT)
        _drop_runs(runs)
        with connection.cursor() as cursor:
            cursor.execute("DELETE FROM payouts_payrollline WHERE benefit_id = %s", [benefit.pk])
            cursor.execute("DELETE FROM eligibility_enrolmentevent WHERE enrolment_id IN "
                           "(SELECT id FROM eligibility_enrolment WHERE benefit_id = %s)", [benefit.pk])
            cursor.execute("DELETE FROM eligibility_enrolment WHERE benefit_id = %s", [benefit.pk])
        benefit.rules.all().delete()
        benefit.delete()


def _drop_runs(runs) -> None:
    from django.db import connection

    ids = list(runs.values_list("pk", flat=True))
    if not ids:
        return
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM payouts_checkitem WHERE run_id = ANY(%s)", [ids])
        cursor.execute("DELETE FROM payouts_payrollline WHERE run_id = ANY(%s)", [ids])
    runs.delete()


def vacuum() -> None:
    """Untimed, after dropping a run: a real month's generation does not start right after a million
    lines were deleted, so their dead tuples must not be counted against it (without this, every
    round also scanned the previous rounds' dead lines and check items)."""
    from django.db import connection

    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE payouts_payrollline")
            cursor.execute("VACUUM ANALYZE payouts_checkitem")


def generate():
    from payouts import services

    return services.payroll_generate(county_code=COUNTY, period=PERIOD, benefit_codes=[BENEFIT])


def _export_child(run_id: int, queue) -> None:
    from django.db import connections

    connections.close_all()  # a forked child needs its own connection
    from payouts import exports
    from payouts.models import PayrollRun

    run = PayrollRun.objects.get(pk=run_id)
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    with tempfile.NamedTemporaryFile("wb", suffix=".csv") as out:
        start = time.perf_counter()
        for chunk in exports.bank_csv(run):
            out.write(chunk)
        out.flush()
        seconds = time.perf_counter() - start
        size = os.path.getsize(out.name)
    queue.put((seconds, before, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, size))


def export_once(run_id: int) -> tuple[float, int, int, int]:
    from django.db import connections

    connections.close_all()
    ctx = multiprocessing.get_context("fork")
    queue = ctx.Queue()
    child = ctx.Process(target=_export_child, args=(run_id, queue))
    child.start()
    result = queue.get()
    child.join()
    return result


def baseline(sample: int) -> float:
    """The naive path on ``sample`` enrolments: Python decides each amount, bulk_create inserts.
    Rolled back afterwards. Returns seconds."""
    from django.db import transaction

    from eligibility.models import Enrolment
    from eligibility.policy.catalogue import applicable_rules
    from eligibility.policy.reference import matches
    from payouts.models import PayrollLine, PayrollRun
    from regions.models import Region

    start = time.perf_counter()
    with transaction.atomic():
        run = PayrollRun.objects.create(county=Region.objects.get(code=COUNTY + "000000"), county_code=COUNTY + "000000",
                                        period=dt.date(2027, 1, 1), benefit_key="bench_baseline")
        enrolments = list(Enrolment.objects.filter(benefit__code=BENEFIT, status="active").select_related("elder")[:sample])
        applied = applicable_rules(enrolments[0].benefit, COUNTY + "000000", run.period)
        lines = []
        for e in enrolments:
            amount = next((a.amount for a in applied if matches(a.rule.criteria, e.elder, period=run.period, start=a.rule.start)), e.amount)
            lines.append(PayrollLine(run=run, elder_id=e.elder_id, benefit_id=e.benefit_id, enrolment=e, period=run.period,
                                     kind="normal", amount=amount, region_code=e.region_code, bank_name=e.elder.bank_name,
                                     bank_account=e.elder.bank_account))
        PayrollLine.objects.bulk_create(lines, batch_size=2000, ignore_conflicts=True)
        seconds = time.perf_counter() - start
        transaction.set_rollback(True)
    return seconds


def run_benchmark(*, n: int, sample: int, runs: int, keep: bool = False) -> dict:
    from . import report
    from payouts.models import PayrollRun

    t0 = time.perf_counter()
    created = setup(n)
    setup_s = time.perf_counter() - t0
    print(f"setup: {created:,} active enrolments of {BENEFIT} in county {COUNTY} in {setup_s:.1f} s", flush=True)
    gen, regen, export, peaks = [], [], [], []
    run = None
    try:
        for i in range(runs):
            _drop_runs(PayrollRun.objects.filter(county_code=COUNTY + "000000", benefit_key=BENEFIT))
            vacuum()
            start = time.perf_counter()
            run = generate()
            gen.append(time.perf_counter() - start)
            print(f"  round {i + 1}: generate {gen[-1]:.1f} s ({run.totals['count']:,} lines, {run.totals['total']} 元)",
                  flush=True)
        for i in range(runs):
            start = time.perf_counter()
            run = generate()
            regen.append(time.perf_counter() - start)
            print(f"  round {i + 1}: regenerate {regen[-1]:.1f} s", flush=True)
        for i in range(runs):
            seconds, before, after, size = export_once(run.pk)
            export.append(seconds)
            peaks.append(after)
            print(f"  round {i + 1}: export csv {seconds:.1f} s, {size / 1e6:.0f} MB, child peak RSS {after / 1024:.0f} MiB "
                  f"(at start {before / 1024:.0f} MiB)", flush=True)
        base = baseline(min(sample, created))
        base_extrapolated = base * created / max(1, min(sample, created))
        print(f"  baseline python loop: {base:.1f} s for {min(sample, created):,} → {base_extrapolated:.0f} s for {created:,}",
              flush=True)
        lines = run.totals["count"]
    finally:
        if not keep:
            cleanup()

    def m(name, samples, rows, peak=None, **details):
        return report.Measurement(benchmark=name, samples_ms=[s * 1000 for s in samples],
                                  rows_per_second=rows / statistics.median(samples), peak_memory_kib=peak or 0,
                                  details=details)

    measurements = [
        m("generate", gen, lines, report.process_peak_rss_kib()),
        m("regenerate (unchanged draft)", regen, lines, report.process_peak_rss_kib()),
        m("export csv", export, lines, max(peaks), peak_memory="forked child ru_maxrss"),
        m("baseline python loop (extrapolated)", [base_extrapolated], created, sample=min(sample, created),
          measured_s=round(base, 2)),
    ]
    medians = {"generate": statistics.median(gen), "regenerate": statistics.median(regen),
               "export csv": statistics.median(export)}
    return {
        "enrolments": created, "lines": lines, "setup_s": round(setup_s, 1), "measurements": measurements,
        "baseline_ratio": base_extrapolated / medians["generate"],
        "targets_s": TARGETS_S, "met": {k: medians[k] <= v for k, v in TARGETS_S.items()},
    }


def main(argv: list[str] | None = None) -> int:
    import django

    from . import database, report

    args = _parser().parse_args(argv)
    if database.is_postgres(args.database_url) and database.ensure_postgres_database(args.database_url):
        print(f"created database {args.database_url}")
    database.use_database(args.database_url)
    django.setup()
    database.migrate()
    outcome = run_benchmark(n=args.enrolments, sample=args.sample, runs=args.runs, keep=args.keep)
    print()
    print(report.format_table(outcome["measurements"]))
    print(f"\nbaseline ratio (python loop extrapolated / generate median): {outcome['baseline_ratio']:.1f}×")
    print("targets: " + ", ".join(f"{k} ≤ {v:.0f} s {'met' if outcome['met'][k] else 'MISSED'}"
                                  for k, v in outcome["targets_s"].items()))
    path = report.write_json(args.name, {
        "machine": report.machine_info(),
        **{k: v for k, v in outcome.items() if k != "measurements"},
        "measurements": [x.as_dict() for x in outcome["measurements"]],
    })
    print(f"written {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
