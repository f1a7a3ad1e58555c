"""A run's totals: counts and sums per kind, benefit and township, in one GROUP BY (set-based).

Used by ``services`` (stored on the run when it is generated) and ``selectors`` (the totals of the
lines a user may see)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.db.models import Count, Sum
from django.db.models.functions import Substr

from eligibility.public import Benefit

from .models import PayrollLine, PayrollRun


def money(value: Any) -> str:
    return f"{Decimal(value or 0).quantize(Decimal('0.01')):f}"


def compute_totals(run: PayrollRun) -> dict[str, Any]:
    """Counts and sums for the whole run, per kind, per benefit and per township (set-based)."""
    return compute_totals_of(PayrollLine.objects.filter(run=run))


def compute_totals_of(lines: Any) -> dict[str, Any]:
    """One GROUP BY over (benefit, township, kind) — a few hundred groups — summed up in Python.
    Grouped by the benefit's id, not its code and name: narrow keys let PostgreSQL hash-aggregate
    a million lines in memory instead of sorting them on disk (measured 4.7 s → ~1 s at 1M)."""
    groups = list(
        lines.annotate(t=Substr("region_code", 1, 9))
        .values("benefit_id", "t", "kind").annotate(n=Count("id"), total=Sum("amount")).order_by()
    )
    names = {pk: (code, name) for pk, code, name in
             Benefit.objects.filter(pk__in={g["benefit_id"] for g in groups}).values_list("pk", "code", "name")}
    count, total = 0, Decimal("0")
    by: dict[str, dict[Any, list]] = {"kind": {}, "benefit": {}, "township": {}}
    for g in groups:
        n, amount = g["n"], Decimal(g["total"] or 0)
        count, total = count + n, total + amount
        benefit = names.get(g["benefit_id"], (str(g["benefit_id"]), str(g["benefit_id"])))
        for key, value in (("kind", g["kind"]), ("benefit", benefit), ("township", g["t"])):
            slot = by[key].setdefault(value, [0, Decimal("0")])
            slot[0] += n
            slot[1] += amount
    return {
        "count": count, "total": money(total),
        "by_kind": {k: {"count": v[0], "total": money(v[1])} for k, v in sorted(by["kind"].items())},
        "by_benefit": [{"code": k[0], "name": k[1], "count": v[0], "total": money(v[1])} for k, v in sorted(by["benefit"].items())],
        "by_township": [{"code": k + "000", "count": v[0], "total": money(v[1])} for k, v in sorted(by["township"].items())],
    }
