"""``python manage.py payroll generate|submit|approve|export|reconcile|close`` — the payroll from a shell.

Every subcommand calls the same service as the web pages, so the same rules hold (four eyes,
only drafts regenerate, only approved runs export, a bank file is produced once per run); a refusal prints its reason and exits non-zero.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management.base import BaseCommand, CommandError

from core import spreadsheets
from core.periods import parse_period
from payouts import exports, services
from payouts.models import PayrollRun


class Command(BaseCommand):
    help = "补贴发放：生成、提交、审核、导出、对账、关闭发放批次"

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        gen = sub.add_parser("generate", help="生成（或重新生成草稿）某县某月的发放批次")
        gen.add_argument("--county", required=True, help="县(区)代码，6位或12位")
        gen.add_argument("--period", required=True, help="所属期 YYYY-MM")
        gen.add_argument("--benefit", action="append", dest="benefits", help="只发放这些项目（项目代码，可重复）")
        gen.add_argument("--user", help="操作人用户名（默认：系统）")
        gen.add_argument("--json", action="store_true", help="以JSON输出批次编号、笔数和合计")
        for name, text in (("submit", "提交批次"), ("approve", "审核批次（不能是提交人）"), ("close", "关闭已对账的批次")):
            p = sub.add_parser(name, help=text)
            p.add_argument("run_id", type=int)
            p.add_argument("--user", required=True)
            if name == "approve":
                p.add_argument("--acknowledge-checks", action="store_true", help="同时确认全部审核前检查项")
        exp = sub.add_parser("export", help="导出银行代发文件或公示名单")
        exp.add_argument("run_id", type=int)
        exp.add_argument("--format", choices=["csv", "xlsx"], default="csv")
        exp.add_argument("--out", required=True)
        exp.add_argument("--notice", action="store_true", help="导出公示名单（身份证号码脱敏）而不是银行文件")
        exp.add_argument("--user", help="操作人用户名（默认：系统）")
        rec = sub.add_parser("reconcile", help="导入银行回盘文件并对账（经批量导入：校验全文件后导入无问题的行；"
                                               "有不在批次中或重复的行、合计不符则整个文件不导入）")
        rec.add_argument("run_id", type=int)
        rec.add_argument("file")
        rec.add_argument("--user", required=True, help="以该用户的身份和管辖区域导入")
        rec.add_argument("--strict", action="store_true", help="有任何问题行则全部不导入")
        rec.add_argument("--dry-run", action="store_true", help="只校验，不导入")

    def handle(self, *args, **opts):
        try:
            getattr(self, f"do_{opts['action']}")(opts)
        except (ValidationError, PermissionDenied) as exc:
            messages = exc.messages if isinstance(exc, ValidationError) else [str(exc)]
            raise CommandError("；".join(messages)) from exc

    def _user(self, name):
        if not name:
            return None
        user = get_user_model().objects.filter(username=name).first()
        if user is None:
            raise CommandError(f"没有用户 {name}")
        return user

    def _run(self, pk):
        run = PayrollRun.objects.filter(pk=pk).first()  # a shell is county-wide, like the batch jobs
        if run is None:
            raise CommandError(f"没有编号为 {pk} 的发放批次")
        return run

    def do_generate(self, o):
        run = services.payroll_generate(county_code=o["county"], period=parse_period(o["period"]),
                                        benefit_codes=o["benefits"], actor=self._user(o["user"]))
        result = {"run": run.pk, "lines": run.totals["count"], "total": run.totals["total"]}
        if o["json"]:
            self.stdout.write(json.dumps(result, ensure_ascii=False))
        else:
            self.stdout.write(f"批次 {run.pk}：{result['lines']} 笔，合计 {result['total']} 元")

    def do_submit(self, o):
        run = services.payroll_submit(actor=self._user(o["user"]), run=self._run(o["run_id"]))
        self.stdout.write(f"批次 {run.pk} 已提交")

    def do_approve(self, o):
        user, run = self._user(o["user"]), self._run(o["run_id"])
        if o.get("acknowledge_checks"):
            services.checks_acknowledge(actor=user, run=run)
        run = services.payroll_approve(actor=user, run=run)
        self.stdout.write(f"批次 {run.pk} 已审核")

    def do_close(self, o):
        run = services.payroll_close(actor=self._user(o["user"]), run=self._run(o["run_id"]))
        self.stdout.write(f"批次 {run.pk} 已关闭")

    def do_export(self, o):
        run = self._run(o["run_id"])
        if o["notice"]:
            services.require_exportable(run)
            sheet = exports.public_notice_sheet(run)
            if o["format"] == "csv":
                with open(o["out"], "wb") as out:
                    spreadsheets.write_csv(out, sheet.header, sheet.rows)
            else:
                spreadsheets.write_xlsx(o["out"], [sheet])
            self.stdout.write(f"已写入 {o['out']}")
            return
        # The bank file is produced once per run; a later export writes the very same file.
        bank, produced = services.payroll_export(actor=self._user(o["user"]), run=run, file_format=o["format"])
        with services.open_bank_file(bank) as handle, open(o["out"], "wb") as out:
            shutil.copyfileobj(handle, out, 1 << 20)
        if produced:
            self.stdout.write(f"已生成并写入 {o['out']}（{bank.line_count}笔，合计{bank.total}元，SHA-256 {bank.sha256}）")
        else:
            other = f"；该文件为 .{bank.file_format} 格式，未按 --format {o['format']} 重新生成" \
                if bank.file_format != o["format"] else ""
            self.stdout.write(f"银行文件已于 {bank.produced_at:%Y-%m-%d %H:%M} 生成，已重发同一份文件到 {o['out']}{other}")

    def do_reconcile(self, o):
        from imports.reading import FileRejected

        path = Path(o["file"])
        if not path.exists():
            raise CommandError(f"找不到文件 {path}")
        try:
            batch = services.payroll_reconcile_file(actor=self._user(o["user"]), run=self._run(o["run_id"]), path=path,
                                                    mode="strict" if o["strict"] else "skip", dry_run=o["dry_run"])
        except FileRejected as exc:
            raise CommandError(str(exc)) from None
        if batch.status == "failed":
            raise CommandError(batch.message or "回盘文件未导入")
        written = (batch.preview or {}).get("written") or {}
        errors = (batch.preview or {}).get("errors") or []
        if o["dry_run"]:
            self.stdout.write(f"试运行（导入批次 {batch.pk}）：将变更 {batch.counts.get('updated', 0)} 笔，"
                              f"无变化 {batch.counts.get('unchanged', 0)} 笔，有问题 {batch.counts.get('error', 0)} 行")
        else:
            pending = sum(r.get("pending", 0) for r in written.get("runs", {}).values())
            self.stdout.write(f"对账完成（导入批次 {batch.pk}）：成功 {written.get('paid', 0)} 笔，失败 {written.get('failed', 0)} 笔，"
                              f"待回盘 {pending} 笔")
        if errors:
            raise CommandError(f"有{batch.counts.get('error', len(errors))}行未导入：" + "；".join(e["reason"] for e in errors[:20]))