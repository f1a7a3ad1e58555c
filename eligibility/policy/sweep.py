"""The nightly re-eligibility sweep (服务找人, docs/architecture.md Flow 3).

For one county and the coming month, a handful of set-based statements:

0. one ``INSERT … SELECT`` reads the county's elders once and writes every benefit's decision —
   the rule that applies, its amount, the reason sentence — into a temporary table
   (``SweepDecision``); the statements below join against it;
1. open enrolments of elders who died or moved out before the month → ended at that month;
2. open enrolments whose elder no longer qualifies → ended (automatic benefits, services and
   candidates) or a review item for staff (benefits granted on verification);
3. open enrolments whose elder now falls under another rule or amount (turning 90) → the rule,
   amount and reason move, the enrolment stays;
4. new qualifiers → an active enrolment (免申即享) or a candidate on the township's worklist,
   unless staff rejected the same candidate and the elder's data has not changed since.

Each statement is built from the compiler's ``Q`` and only touches rows that change, so a second
run on the same day writes nothing. A county commits as one transaction (a crash leaves nothing
half-done) under a named advisory lock; every change also writes an ``EnrolmentEvent`` in SQL.
Never a Python loop over elders.

**Full or incremental.** When the county's last finished run decided the same month under the same
catalogue, only the elders that changed since are evaluated (``eligibility/policy/incremental.py``
decides which); a new month, a changed catalogue, a first run, too many changes or ``full=True``
evaluate every elder of the county.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
from collections import defaultdict
from typing import Any

from django.db import connection, models, transaction
from django.db.models import Case, CharField, Count, Exists, F, OuterRef, Q, Subquery, TextField, Value, When
from django.db.models.functions import Cast, Concat, Substr, TruncMonth
from django.utils import timezone

from core.codes import county_code12
from core.locks import sweep_lock, try_xact_lock
from core.scoping import code_under_q
from registry.public import Elder

from ..models import Benefit, Enrolment, EnrolmentEvent, SweepDecision, SweepRun
from . import periods
from .catalogue import AppliedRule, applicable_rules
from .compiler import EARLIEST_BIRTH, compile_criteria, population_q, valid_birth_q
from .incremental import catalogue_digest, changed_elders
from .sql import insert_from_select

log = logging.getLogger(__name__)

OPEN = list(Enrolment.OPEN_STATUSES)
S = Enrolment.Status
MAX_LISTED_ERRORS = 50


class SweepBusy(RuntimeError):
    """Another sweep of the same county holds the lock."""


def counties_with_elders() -> list[str]:
    rows = Elder.objects.annotate(c=Substr("region_code", 1, 6)).values_list("c", flat=True).distinct()
    return sorted(county_code12(c) for c in rows)


def sweep(as_of: dt.date, county: str | None = None, *, full: bool = False) -> list[SweepRun]:
    """Run the sweep for one county, or every county with elders. Each county commits on its own;
    a failing county is recorded as a failed SweepRun and the others still run."""
    counties = [county_code12(county)] if county else counties_with_elders()
    return [sweep_county(as_of=as_of, county_code=c, full=full) for c in counties]


def sweep_county(*, as_of: dt.date, county_code: str, full: bool = False, task_id: str = "") -> SweepRun:
    """Sweep one county for the month after ``as_of``; returns the finished SweepRun.

    Guarantees: all of the county's changes commit together or not at all; rerunning with the same
    data writes no enrolment and no event; the run records counts and data problems. ``full``
    evaluates every elder even when an incremental run would do (module docstring).

    The run row is committed first (「运行中」, visible on the health page while the county runs); its
    final state — 已完成 with counts — is written inside the county's transaction, so a process
    killed at any point, COMMIT included, leaves either the county's changes *and* a finished run, or
    neither and a 「运行中」 row that ``core.reaper`` marks 失败 once the county lock is free."""
    code = county_code12(county_code)
    period = periods.coming_period(as_of)
    refresh_statistics()
    run = SweepRun.objects.create(as_of=as_of, period=period, county_code=code, task_id=task_id[:64])
    try:
        with transaction.atomic():
            if not try_xact_lock(sweep_lock(code)):
                raise SweepBusy(f"{code} 的服务找人正在运行")
            counts, errors = _sweep_county(run=run, prefix=code[:6], period=period, full=full)
            run.status = SweepRun.Status.DONE
            run.counts = counts
            run.errors = errors
            run.finished_at = timezone.now()
            run.save(update_fields=["status", "counts", "errors", "finished_at", "catalogue_digest", "evaluated"])
    except Exception as exc:  # recorded on the run; the county's changes rolled back together
        log.exception("sweep of %s failed", code)
        run.refresh_from_db(fields=["errors"])
        run.status = SweepRun.Status.FAILED
        run.counts = {}
        kind = "busy" if isinstance(exc, SweepBusy) else "failed"
        run.errors = [*run.errors, {"kind": kind, "message": f"{type(exc).__name__}: {exc}"}]
        run.finished_at = timezone.now()
        run.save(update_fields=["status", "counts", "errors", "finished_at"])
        return run
    return run


STALE_STATISTICS_ROWS = 10_000


def refresh_statistics() -> None:
    """ANALYZE the enrolment tables when they changed a lot since their last ANALYZE (PostgreSQL).

    On the first night the sweep inserts ~1.8 enrolments per elder, county after county, faster than
    autovacuum analyses: with statistics that still say "empty", the planner turns the NOT EXISTS
    checks into nested loops over a sequential scan and a 15,000-elder county takes a minute instead
    of seconds (bench/README.md "sweep"). Cheap when nothing changed: one catalogue read."""
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        for model in (Enrolment, EnrolmentEvent):
            table = model._meta.db_table
            cursor.execute(
                "SELECT s.n_mod_since_analyze, GREATEST(c.reltuples, 0) FROM pg_stat_user_tables s "
                "JOIN pg_class c ON c.oid = s.relid WHERE s.relid = %s::regclass",
                [table],
            )
            row = cursor.fetchone()
            if row and row[0] > max(STALE_STATISTICS_ROWS, 0.2 * row[1]):
                cursor.execute(f"ANALYZE {connection.ops.quote_name(table)}")


def rule_case(applied: list[AppliedRule], period: dt.date) -> Case:
    """The rule of ``applied`` that decides for an elder row (the first whose criteria match), or NULL."""
    return Case(
        *[When(compile_criteria(a.rule.criteria, period=period, start=a.rule.start), then=Value(a.rule.pk)) for a in applied],
        default=Value(None), output_field=models.BigIntegerField(),
    )


def _elder_value(field: str, expression: Any = None) -> Subquery:
    qs = Elder.objects.filter(pk=OuterRef("elder_id"))
    if expression is not None:
        qs = qs.annotate(_v=expression)
        field = "_v"
    return Subquery(qs.values(field)[:1])


@contextlib.contextmanager
def decision_table():
    """The county's ``SweepDecision`` rows live in a temporary table of this connection, dropped when
    the county is done (or fails)."""
    table = SweepDecision._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE IF EXISTS {table}")
        if connection.vendor == "postgresql":
            cursor.execute(
                f"CREATE TEMPORARY TABLE {table} (elder_id bigint NOT NULL, benefit_id bigint NOT NULL, "
                "rule_id bigint NOT NULL, amount numeric(12, 2) NOT NULL, reason text NOT NULL, "
                "region_code varchar(12) COLLATE \"C\" NOT NULL, updated_at timestamptz NOT NULL)"
            )
        else:
            cursor.execute(
                f"CREATE TEMPORARY TABLE {table} (elder_id integer NOT NULL, benefit_id integer NOT NULL, "
                "rule_id integer NOT NULL, amount decimal NOT NULL, reason text NOT NULL, "
                "region_code varchar(12) NOT NULL, updated_at datetime NOT NULL)"
            )
    yield
    # Not in a ``finally``: after a failed statement the transaction only takes a rollback, which
    # removes the table too (DDL is transactional on both databases), and the real error is reported.
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE IF EXISTS {table}")


def _decide(*, applied: dict[Benefit, list[AppliedRule]], elders: models.QuerySet, period: dt.date) -> None:
    """Fill the decision table in one statement: each elder row of the county is read once, every
    benefit's rule CASE evaluated on it, the result unpivoted to (elder, benefit, rule) and joined to
    the rules' amounts and reason sentences."""
    table = SweepDecision._meta.db_table
    deciding = [(benefit, rules) for benefit, rules in applied.items() if rules]
    if deciding:
        cases = {f"_b{i}": rule_case(rules, period) for i, (_, rules) in enumerate(deciding)}
        source = elders.filter(population_q(period)).annotate(**cases).values_list(
            "pk", "region_code", "updated_at", "birth_date", *cases
        )
        source_sql, source_params = source.query.sql_with_params()
        terms = [
            (a.rule.pk, a.amount, a.reason_before, a.reason_after, int(a.uses_birth_date))
            for _, rules in deciding for a in rules
        ]
        terms_sql = ", ".join(
            "(CAST(%s AS bigint), CAST(%s AS numeric(12, 2)), CAST(%s AS text), CAST(%s AS text), CAST(%s AS integer))"
            for _ in terms
        )
        arms = " UNION ALL ".join(
            f"SELECT elder_id, {int(benefit.pk)}, _b{i}, region_code, updated_at, birth_date FROM e WHERE _b{i} IS NOT NULL"
            for i, (benefit, _) in enumerate(deciding)
        )
        columns = ", ".join(f"_b{i}" for i in range(len(deciding)))
        with connection.cursor() as cursor:
            cursor.execute(
                f"INSERT INTO {table} (elder_id, benefit_id, rule_id, amount, reason, region_code, updated_at) "
                f"WITH e(elder_id, region_code, updated_at, birth_date, {columns}) AS ({source_sql}), "
                f"t(rule_id, amount, before_, after_, uses_birth) AS (VALUES {terms_sql}), "
                f"d(elder_id, benefit_id, rule_id, region_code, updated_at, birth_date) AS ({arms}) "
                "SELECT d.elder_id, d.benefit_id, d.rule_id, t.amount, "
                "t.before_ || CASE WHEN t.uses_birth = 1 THEN CAST(d.birth_date AS text) ELSE '' END || t.after_, "
                "d.region_code, d.updated_at FROM d JOIN t ON t.rule_id = d.rule_id",
                [*source_params, *(value for term in terms for value in term)],
            )
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(f"CREATE INDEX ON {table} (benefit_id, elder_id)")
            cursor.execute(f"ANALYZE {table}")  # temporary tables are never analysed by autovacuum
        else:
            cursor.execute(f"CREATE INDEX temp.{table}_be ON {table} (benefit_id, elder_id)")


def _sweep_benefit(*, run: SweepRun, benefit: Benefit, applied: list[AppliedRule], prefix: str, period: dt.date,
                   now: dt.datetime, elder_ids: list[int] | None) -> None:
    open_qs = Enrolment.objects.in_area(prefix).filter(benefit=benefit, status__in=OPEN)
    if elder_ids is not None:
        open_qs = open_qs.filter(elder_id__in=elder_ids)
    qualifiers = SweepDecision.objects.filter(benefit_id=benefit.pk).annotate(
        _rule=F("rule_id"), _amount=F("amount"), _reason=F("reason")
    )
    stamp = {"changed_run": run, "updated_at": now}
    if open_qs.exists():
        _update_open(open_qs, qualifiers, applied, benefit=benefit, period=period, stamp=stamp)
    if applied:
        _insert_new(qualifiers, benefit=benefit, prefix=prefix, period=period, run=run, now=now)


def _end_departed(open_qs, *, period: dt.date, stamp: dict) -> None:
    """1. Death and moving out end the enrolment at that month (paid up to and including it).

    Runs once per county for every benefit (``_sweep_county``), before any benefit's other
    statements, so it scans the county's open enrolments once instead of once per benefit."""
    for field, words in (("deceased_on", "去世"), ("moved_out_on", "迁出")):
        open_qs.filter(**{f"elder__{field}__lt": period}).update(
            status=S.ENDED,
            end_period=_elder_value(field, TruncMonth(field, output_field=models.DateField())),
            review_reason="",
            decision_note=Concat(
                Value("老人已于"), Cast(_elder_value(field), output_field=CharField()), Value(f"{words}，享受终止于当月"),
                output_field=CharField(),
            ),
            change_kind="ended",
            **stamp,
        )


def _update_open(open_qs, qualifiers, applied, *, benefit: Benefit, period: dt.date, stamp: dict) -> None:
    # 2. No longer qualifies (status or age lost, rule withdrawn). Elders with an impossible birth
    #    date are reported, not ended.
    still_here = open_qs.filter(elder__birth_date__gte=EARLIEST_BIRTH, elder__birth_date__lt=period)
    lost = still_here.exclude(Exists(qualifiers.filter(pk=OuterRef("elder_id")))) if applied else still_here
    note = f"{periods.label(period)}起不再符合{benefit.name}的条件"
    lost.filter(status=S.CANDIDATE).update(
        status=S.ENDED, end_period=None, review_reason="", decision_note=note + "，待审核记录自动关闭",
        change_kind="ended", **stamp,
    )
    ends_itself = benefit.is_automatic or benefit.payment_kind == Benefit.PaymentKind.SERVICE
    if ends_itself:
        lost.filter(status__in=[S.ACTIVE, S.SUSPENDED]).update(
            status=S.ENDED, end_period=periods.add_months(period, -1), review_reason="",
            decision_note=note + "，自动终止", change_kind="ended", **stamp,
        )
    else:
        lost.filter(status__in=[S.ACTIVE, S.SUSPENDED], review_reason="").update(
            review_reason=note + "，请核实后决定是否停发", change_kind="review", **stamp,
        )
    if not applied:
        return

    # 3. Qualifies again after a review item: withdraw the item.
    open_qs.exclude(review_reason="").filter(Exists(qualifiers.filter(pk=OuterRef("elder_id")))).update(
        review_reason="", change_kind="review_cleared", **stamp,
    )

    # 4. Another rule or amount now applies (a tier change): the amount moves, not the enrolment.
    moved = qualifiers.filter(pk=OuterRef("elder_id")).exclude(Q(_rule=OuterRef("rule_id")) & Q(_amount=OuterRef("amount")))
    mine = qualifiers.filter(pk=OuterRef("elder_id"))
    open_qs.filter(rule__isnull=False).filter(Exists(moved)).update(
        rule_id=Subquery(mine.values("_rule")[:1]),
        amount=Subquery(mine.values("_amount")[:1]),
        reason=Subquery(mine.values("_reason")[:1]),
        change_kind="tier",
        **stamp,
    )


def _insert_new(qualifiers, *, benefit: Benefit, prefix: str, period: dt.date, run: SweepRun, now: dt.datetime) -> None:
    # 5. New qualifiers: automatic benefits start; the rest wait on the township's worklist.
    has_open = Enrolment.objects.filter(elder_id=OuterRef("pk"), benefit=benefit, status__in=OPEN)
    rejected_unchanged = Enrolment.objects.filter(
        elder_id=OuterRef("pk"), benefit=benefit, status=S.REJECTED, elder_version__gte=OuterRef("updated_at")
    )
    # On PostgreSQL both checks look at the county's own rows only, which the planner can always
    # serve from the county's index range (checking every county's rows of the benefit cost a hash of
    # all of them per county and benefit, or, with statistics still saying "empty" on the first
    # night, a sequential scan per elder). An open enrolment the elder still holds in the county they
    # came from is the unique index's business: that row is skipped (ON CONFLICT DO NOTHING) and
    # the elder is proposed once the old county's sweep has closed it. A rejection elsewhere never
    # suppresses: moving changed the elder's data.
    on_postgres = connection.vendor == "postgresql"
    if on_postgres:
        has_open = has_open.filter(code_under_q("region_code", prefix))
        rejected_unchanged = rejected_unchanged.filter(code_under_q("region_code", prefix))
    new = qualifiers.exclude(Exists(has_open)).exclude(Exists(rejected_unchanged))
    automatic = benefit.is_automatic
    insert_from_select(
        Enrolment,
        {
            "elder": F("pk"),
            "benefit": Value(benefit.pk),
            "rule": F("_rule"),
            "region_code": F("region_code"),
            "status": Value(S.ACTIVE if automatic else S.CANDIDATE),
            "start_period": Value(period, output_field=models.DateField()),
            "amount": F("_amount"),
            "source": Value(Enrolment.Source.SWEEP),
            "reason": F("_reason"),
            "review_reason": Value(""),
            "decided_at": Value(now if automatic else None, output_field=models.DateTimeField()),
            "decision_note": Value("免申即享，自动享受" if automatic else ""),
            "created_run": Value(run.pk),
            "changed_run": Value(run.pk),
            "change_kind": Value("activated" if automatic else "created"),
            "created_at": Value(now, output_field=models.DateTimeField()),
            "updated_at": Value(now, output_field=models.DateTimeField()),
        },
        new,
        skip_conflicts=on_postgres,
    )


def _follow_moves(open_qs, prefix: str) -> int:
    """Open enrolments follow their elder to another village of the county: ``region_code`` (what
    the worklists and payroll scope by) is refreshed in one UPDATE. Not an eligibility change, so no
    event; it writes nothing when nobody moved. ``open_qs``: the county's open enrolments."""
    return (
        open_qs.filter(code_under_q("elder__region_code", prefix))
        .exclude(region_code=F("elder__region_code"))
        .update(region_code=_elder_value("region_code"))
    )


def _record_events(run: SweepRun, now: dt.datetime) -> None:
    insert_from_select(
        EnrolmentEvent,
        {
            "enrolment": F("pk"),
            "at": Value(now, output_field=models.DateTimeField()),
            "kind": F("change_kind"),
            "status": F("status"),
            "amount": F("amount"),
            "note": Case(
                When(change_kind="review", then=F("review_reason")),
                When(change_kind="ended", then=F("decision_note")),
                When(change_kind="review_cleared", then=Value("重新符合条件，复核提示解除")),
                default=F("reason"), output_field=TextField(),
            ),
            "run": Value(run.pk),
        },
        Enrolment.objects.filter(changed_run=run),
    )


def _counts(run: SweepRun, *, mode: str) -> dict[str, Any]:
    changed = Enrolment.objects.filter(changed_run=run)
    by_benefit: dict[str, dict[str, int]] = defaultdict(dict)
    totals: dict[str, int] = defaultdict(int)
    for row in changed.values("benefit__code", "change_kind").annotate(n=Count("id")).order_by():
        by_benefit[row["benefit__code"]][row["change_kind"]] = row["n"]
        totals[row["change_kind"]] += row["n"]
    by_township: dict[str, dict[str, int]] = defaultdict(dict)
    for row in (
        changed.annotate(t=Substr("region_code", 1, 9)).values("t", "change_kind").annotate(n=Count("id")).order_by()
    ):
        by_township[row["t"] + "000"][row["change_kind"]] = row["n"]
    return {"mode": mode, "totals": dict(totals), "by_benefit": dict(by_benefit), "by_township": dict(by_township)}


def _sweep_county(*, run: SweepRun, prefix: str, period: dt.date, full: bool = False) -> tuple[dict[str, Any], list[Any]]:
    now = run.started_at  # every row this run writes carries it (``changed_elders`` tells them apart by it)
    problems: list[str] = []
    errors: list[Any] = []
    bad_births = (
        Elder.objects.in_area(prefix).filter(deceased_on__isnull=True).exclude(valid_birth_q(period)).order_by("pk")
    )
    n_bad = bad_births.count()
    if n_bad:
        errors.append({
            "kind": "invalid_birth_date",
            "message": f"{n_bad}名老年人的出生日期缺失或不合理，未参与本次测算，请核对",
            "count": n_bad,
            "elders": [
                {"id": pk, "name": name, "birth_date": str(birth) if birth else ""}
                for pk, name, birth in bad_births.values_list("pk", "name", "birth_date")[:MAX_LISTED_ERRORS]
            ],
        })
    applied = {
        benefit: applicable_rules(benefit, prefix + "000000", period, problems=problems)
        for benefit in Benefit.objects.filter(is_active=True).order_by("code")
    }
    run.catalogue_digest = catalogue_digest(applied, period)
    elder_ids = None if full else changed_elders(prefix, period, run.catalogue_digest)
    run.evaluated = len(elder_ids) if elder_ids is not None else Elder.objects.in_area(prefix).count()
    errors.extend({"kind": "rule", "message": p} for p in problems)
    if elder_ids == []:
        return _counts(run, mode="incremental"), errors
    open_qs = Enrolment.objects.in_area(prefix).filter(status__in=OPEN)
    if elder_ids is not None:
        open_qs = open_qs.filter(elder_id__in=elder_ids)
    elif connection.vendor == "postgresql":
        # Every statement of a full run is a bulk statement over the whole county: hash joins. A
        # nested loop is only ever chosen on statistics that say "empty" (the first night, while the
        # table fills), and then it rescans the growing table once per elder.
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL enable_nestloop = off")
    _follow_moves(open_qs, prefix)
    _end_departed(open_qs, period=period, stamp={"changed_run": run, "updated_at": now})
    elders = Elder.objects.in_area(prefix)
    if elder_ids is not None:
        elders = elders.filter(pk__in=elder_ids)
    with decision_table():
        _decide(applied=applied, elders=elders, period=period)
        for benefit, rules in applied.items():
            _sweep_benefit(run=run, benefit=benefit, applied=rules, prefix=prefix, period=period, now=now,
                           elder_ids=elder_ids)
    _record_events(run, now)
    return _counts(run, mode="full" if elder_ids is None else "incremental"), errors
