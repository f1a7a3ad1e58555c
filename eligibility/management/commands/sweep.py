"""``manage.py sweep [--as-of DATE] [--county CODE] [--full] [--json]``: run the re-eligibility sweep now."""

import datetime as dt
import json

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from eligibility.policy.sweep import sweep


class Command(BaseCommand):
    help = "服务找人：按县(区)测算下月享受资格，新增自动享受和待审核，终止或提示复核不再符合条件的记录。"

    def add_arguments(self, parser):
        parser.add_argument("--as-of", type=dt.date.fromisoformat, default=None, help="运行日期 YYYY-MM-DD（默认今天）")
        parser.add_argument("--county", default=None, help="县(区)代码，6位或12位（默认所有有老年人的县区）")
        parser.add_argument(
            "--full", action="store_true",
            help="全量测算每位老年人（默认：同一所属期、政策未变时只测算上次运行后有变化的老年人）",
        )
        parser.add_argument("--json", action="store_true", help="以 JSON 输出运行记录")

    def handle(self, *args, **options):
        as_of = options["as_of"] or timezone.localdate()
        try:
            runs = sweep(as_of, options["county"], full=options["full"])
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        if options["json"]:
            self.stdout.write(json.dumps([
                {"id": r.pk, "county": r.county_code, "as_of": str(r.as_of), "period": f"{r.period:%Y-%m}",
                 "status": r.status, "mode": r.counts.get("mode"), "evaluated": r.evaluated,
                 "counts": r.counts, "errors": r.errors,
                 "seconds": round((r.finished_at - r.started_at).total_seconds(), 3) if r.finished_at else None}
                for r in runs
            ], ensure_ascii=False, indent=2))
        else:
            for r in runs:
                totals = "，".join(f"{k} {v}" for k, v in sorted((r.counts or {}).get("totals", {}).items())) or "无变化"
                how = f"（{r.mode_label}{r.evaluated}人）" if r.mode_label else ""
                self.stdout.write(f"{r.county_code} {r.period:%Y-%m}：{r.get_status_display()}{how}；{totals}")
                for e in r.errors:
                    self.stdout.write(f"  ! {e.get('message')}")
        if any(r.status == r.Status.FAILED for r in runs):
            raise CommandError("有县(区)运行失败，详见运行记录")
