"""Celery tasks of the payroll: thin, idempotent (docs/architecture.md Flow 6)."""

from __future__ import annotations

from celery import shared_task


@shared_task(name="payouts.generate_run", bind=True)
def generate_run(self, county_code: str, period: str, benefit_codes: list[str] | None = None,
                 actor_id: int | None = None) -> dict:
    """Generate (or regenerate the draft of) one county's run for a month. Safe to run twice and
    after a crash: one transaction, a per-county advisory lock, and the unique constraint on
    (elder, benefit, period, kind). Progress is reported as task state PROGRESS."""
    from django.contrib.auth import get_user_model

    from core.periods import parse_period

    from .services import payroll_generate

    actor = get_user_model().objects.filter(pk=actor_id).first() if actor_id else None

    def progress(step: str, done: int, total: int) -> None:
        if self.request.id and not self.request.called_directly:
            self.update_state(state="PROGRESS", meta={"step": step, "done": done, "total": total})

    run = payroll_generate(county_code=county_code, period=parse_period(period), benefit_codes=benefit_codes,
                           actor=actor, progress=progress)
    return {"run": run.pk, "lines": run.totals.get("count", 0), "total": run.totals.get("total", "0.00")}
