"""``manage.py enrolments export --county CODE [--status STATUS] [--period YYYY-MM] --out FILE.csv``."""

from django.core.management.base import BaseCommand, CommandError

from eligibility.models import Enrolment
from eligibility.policy import export, periods


class Command(BaseCommand):
    help = "导出享受记录（身份证号码、姓名、村(社区)、项目、状态、起始/终止所属期、每月金额、依据）为CSV。"

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        ex = sub.add_parser("export", help="导出为CSV")
        ex.add_argument("--county", required=True, help="县(区)代码，6位或12位")
        ex.add_argument("--status", choices=Enrolment.Status.values)
        ex.add_argument("--period", help="所属期 YYYY-MM：只导出该月在享受期内的记录")
        ex.add_argument("--out", required=True, help="输出文件 .csv")

    def handle(self, *args, **options):
        code = options["county"].strip()
        if len(code) not in (6, 12) or not code.isdigit():
            raise CommandError("县(区)代码应为6位或12位数字")
        qs = Enrolment.objects.in_area(code[:6]).select_related("elder", "elder__region", "benefit")
        if options["status"]:
            qs = qs.filter(status=options["status"])
        if options["period"]:
            try:
                p = periods.parse_period(options["period"])
            except ValueError as exc:
                raise CommandError("所属期应为 YYYY-MM") from exc
            qs = qs.filter(start_period__lte=p).exclude(end_period__lt=p)
        with open(options["out"], "w", encoding="utf-8", newline="") as out:  # the writer puts the BOM first
            n = export.write_csv(out, qs.order_by("region_code", "benefit__code", "id").iterator(chunk_size=2000), full_id=True)
        self.stdout.write(f"已导出 {n} 条享受记录到 {options['out']}")
