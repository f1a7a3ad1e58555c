"""``manage.py schedule_visits [--as-of DATE] [--county CODE] [--json]``: lay out visits now."""

import datetime as dt
import json

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from visits.services import ScheduleBusy, counties_with_rules_or_visits, schedule_county


class Command(BaseCommand):
    help = "探访关爱：按探访规则生成到下月底的探访任务，标记逾期，取消离开服务范围老人的探访。"

    def add_arguments(self, parser):
        parser.add_argument("--as-of", type=dt.date.fromisoformat, default=None, help="运行日期 YYYY-MM-DD（默认今天）")
        parser.add_argument("--county", default=None, help="县(区)代码，6位或12位（默认所有有老年人的县区）")
        parser.add_argument("--json", action="store_true", help="以 JSON 输出")

    def handle(self, *args, **options):
        as_of = options["as_of"] or timezone.localdate()
        try:
            counties = [options["county"]] if options["county"] else counties_with_rules_or_visits()
            results = [schedule_county(as_of=as_of, county_code=c) for c in counties]
        except (ValueError, ScheduleBusy) as exc:
            raise CommandError(str(exc)) from exc
        if options["json"]:
            self.stdout.write(json.dumps([r.as_dict() for r in results], ensure_ascii=False, indent=2))
            return
        for r in results:
            cancelled = sum(r.cancelled.values())
            self.stdout.write(
                f"{r.county_code} 至 {r.horizon}：服务对象 {r.elders} 人，新增探访 {r.created}，逾期 {r.overdue}，取消 {cancelled}"
            )
