"""Reads shared by the payroll pages, the elder page and the monthly report."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.db.models import Count, QuerySet, Sum
from django.db.models.functions import Substr

from core.scoping import code_in_area
from regions.models import Region

from .models import PayrollLine, PayrollLineEvent, PayrollRun, ReturnFile
from .totals import compute_totals_of


def sees_whole_county(user: Any, run: PayrollRun) -> bool:
    return code_in_area(user, run.county_code)


def run_lines(user: Any, run: PayrollRun) -> QuerySet:
    """The lines of a run this user may see (a township officer: their township's only)."""
    return PayrollLine.objects.filter(run=run).visible_to(user)


def run_totals(user: Any, run: PayrollRun) -> dict[str, Any]:
    """Totals per benefit and per township: the stored ones for a county-wide user, otherwise
    computed over the lines the user may see."""
    if sees_whole_county(user, run) and run.totals:
        totals = dict(run.totals)
    else:
        totals = compute_totals_of(run_lines(user, run))
    names = dict(Region.objects.filter(code__in=[t["code"] for t in totals.get("by_township", [])]).values_list("code", "name"))
    totals["by_township"] = [{**t, "name": names.get(t["code"], t["code"])} for t in totals.get("by_township", [])]
    return totals


def elder_payments(user: Any, elder: Any, limit: int = 36) -> list[PayrollLine]:
    """An elder's payment history (newest month first), for users who may see payroll lines."""
    if not user.has_perm("payouts.view_payrollline"):
        return []
    return list(
        PayrollLine.objects.visible_to(user).filter(elder=elder)
        .select_related("benefit", "run").order_by("-period", "kind", "-id")[:limit]
    )


def monthly_report(user: Any) -> list[dict[str, Any]]:
    """Totals per month, county, benefit and kind over the lines the user may see."""
    qs = (
        PayrollLine.objects.visible_to(user)
        .annotate(county=Substr("run__county_code", 1, 6))
        .values("period", "county", "benefit__name", "kind")
        .annotate(count=Count("id"), total=Sum("amount"))
        .order_by("-period", "county", "benefit__name", "kind")
    )
    codes = {r["county"] + "000000" for r in qs}
    names = dict(Region.objects.filter(code__in=codes).values_list("code", "name"))
    kinds = dict(PayrollLine.Kind.choices)
    return [
        {"period": f"{r['period']:%Y-%m}", "county": names.get(r["county"] + "000000", r["county"]),
         "benefit": r["benefit__name"], "kind": kinds.get(r["kind"], r["kind"]), "count": r["count"],
         "total": Decimal(r["total"] or 0).quantize(Decimal("0.01"))}
        for r in qs
    ]


def run_history(run: PayrollRun) -> list[Any]:
    """The run's field changes (django-simple-history), newest first, as readable entries."""
    from registry.public import history_entries

    return history_entries(run, limit=50)


def return_files(user: Any, run: PayrollRun) -> list[Any]:
    """The bank return files uploaded from this run's page (import batches), newest first."""
    if not user.has_perm("imports.view_importbatch"):
        return []
    return list(ReturnFile.objects.filter(run=run).select_related("batch", "batch__uploaded_by").order_by("-batch__created_at"))


def line_events(line: PayrollLine) -> list[PayrollLineEvent]:
    """A line's status changes (bank return, carried into a later run), oldest first."""
    return list(PayrollLineEvent.objects.filter(line=line).select_related("user").order_by("at", "id"))
