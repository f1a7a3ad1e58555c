"""``manage.py load_visit_rules [PATH]``: load the default visit rules (Linfen, Nantong, Yangling)."""

from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from visits.services import DEFAULT_RULES, visit_rules_load


class Command(BaseCommand):
    help = "载入默认探访规则（临汾市、南通市、杨陵区），按 区域+规则代码 新增或更新。"

    def add_arguments(self, parser):
        parser.add_argument("path", nargs="?", default=str(DEFAULT_RULES))

    def handle(self, *args, **options):
        try:
            counts = visit_rules_load(path=Path(options["path"]))
        except (OSError, ValueError, KeyError, ValidationError) as exc:
            raise CommandError(f"探访规则载入失败：{exc}") from exc
        self.stdout.write(f"探访规则：新增 {counts['created']}，更新 {counts['updated']}，跳过（区域未载入）{counts['skipped']}")
