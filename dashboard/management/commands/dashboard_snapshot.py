"""Compute the monthly figures now (what the nightly task does), e.g. right after installation."""

from django.core.management.base import BaseCommand
from django.utils import timezone

from dashboard.services import backfill


class Command(BaseCommand):
    help = "生成统计快照：本月（及此前若干个月）的分村统计数，供统计报表和指标趋势使用。可重复运行。"

    def add_arguments(self, parser):
        parser.add_argument("--months", type=int, default=1, help="本月及此前共几个月（默认1，仅本月）")

    def handle(self, *args, **options):
        results = backfill(months=max(1, options["months"]), today=timezone.localdate())
        for r in results:
            state = "已跳过（另一任务正在运行）" if r.skipped else f"{r.rows} 条"
            self.stdout.write(f"{r.period:%Y-%m}（截至 {r.as_of:%Y-%m-%d}）：{state}")
