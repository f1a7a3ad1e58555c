"""python manage.py import_roll FILE --user USERNAME [--kind roll|deaths|assistance|disability] [--strict]
[--dry-run] [--error-report OUT.xlsx] [--json]

The same engine as the staff portal, synchronously: the user's area applies, the batch appears in the
import history, and the original file is kept.
"""

from __future__ import annotations

import json
import shutil

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.core.management.base import BaseCommand, CommandError
from django.db import DatabaseError

from imports import services
from imports.models import ImportBatch
from imports.reading import FileRejected
from imports.registry import all_kinds


class Command(BaseCommand):
    help = "导入户籍花名册或状态名单（.xlsx/.csv），与网页导入同一套校验和权限"

    def add_arguments(self, parser):
        parser.add_argument("file")
        parser.add_argument("--user", required=True, help="以该用户的身份和管辖区域导入")
        parser.add_argument("--kind", default="roll", choices=[k.key for k in all_kinds()])
        parser.add_argument("--strict", action="store_true", help="有任何错误则全部不导入")
        parser.add_argument("--dry-run", action="store_true", help="只校验，不写入")
        parser.add_argument("--error-report", metavar="OUT.xlsx", help="把错误清单另存到此文件")
        parser.add_argument("--json", action="store_true", help="以一个 JSON 对象输出计数")

    def handle(self, *args, **options):
        try:
            user = get_user_model().objects.get(username=options["user"], is_active=True)
        except get_user_model().DoesNotExist:
            raise CommandError(f"用户不存在或已停用：{options['user']}") from None
        mode = ImportBatch.Mode.STRICT if options["strict"] else ImportBatch.Mode.SKIP
        try:
            batch = services.batch_import_now(
                actor=user, kind=options["kind"], path=options["file"], mode=mode, dry_run=options["dry_run"],
            )
        except FileNotFoundError:
            raise CommandError(f"文件不存在：{options['file']}") from None
        except (FileRejected, PermissionDenied, services.ImportFailed) as exc:
            raise CommandError(str(exc)) from None
        except DatabaseError as exc:  # before the batch existed (or while keeping the file)
            raise CommandError(services.DATABASE_MESSAGE.format(name=type(exc).__name__)) from None
        if options["error_report"] and batch.error_report:
            with batch.error_report.open("rb") as src, open(options["error_report"], "wb") as dst:
                shutil.copyfileobj(src, dst)
        counts = {**{k: batch.counts.get(k, 0) for k in ("new", "updated", "unchanged", "error")},
                  "batch": batch.pk, "status": batch.status, "dry_run": options["dry_run"], "strict": options["strict"]}
        if options["json"]:
            self.stdout.write(json.dumps(counts, ensure_ascii=False))
        else:
            self.stdout.write(
                f"批次 {batch.pk}（{batch.get_status_display()}）：新增 {counts['new']}，更新 {counts['updated']}，"
                f"无变化 {counts['unchanged']}，错误 {counts['error']} 行"
            )
            if batch.message:
                self.stdout.write(batch.message)
        if batch.status == ImportBatch.Status.FAILED:
            raise CommandError(batch.message or "导入失败")
