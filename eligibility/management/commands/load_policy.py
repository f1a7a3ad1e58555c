"""``manage.py load_policy yangling|linfen``: ship a published service list as catalogue data."""

from django.core.management.base import BaseCommand, CommandError

from eligibility.policy.data import LISTS
from eligibility.policy.loader import load_policy


class Command(BaseCommand):
    help = "把已公布的基本养老服务清单（杨陵区、临汾市）载入服务项目、享受规则和政策参数。可重复运行。"

    def add_arguments(self, parser):
        parser.add_argument("lists", nargs="+", choices=sorted(LISTS), help="清单名称")

    def handle(self, *args, **options):
        for name in options["lists"]:
            try:
                result = load_policy(name)
            except Exception as exc:
                raise CommandError(f"{name}：{exc}") from exc
            self.stdout.write(
                f"{result.names[0]}：新增 {result.created}，更新 {result.updated}，无变化 {result.unchanged}"
            )
