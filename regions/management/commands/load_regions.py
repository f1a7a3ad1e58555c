import datetime as dt
import time

from django.core.management.base import BaseCommand, CommandError

from regions.services import RegionFileError, load_regions_file


class Command(BaseCommand):
    help = "导入行政区划代码 CSV（code,name,level,parent_code[,valid_from,valid_to]），按代码幂等更新；任一行有误则整个文件不导入。"

    def add_arguments(self, parser):
        parser.add_argument("file", help="CSV file in the format of seed_regions_2020.csv")
        parser.add_argument("--valid-from", type=dt.date.fromisoformat, default=None,
                            help="snapshot date for rows without a valid_from column (YYYY-MM-DD)")

    def handle(self, *args, **options):
        started = time.monotonic()
        try:
            result = load_regions_file(path=options["file"], default_valid_from=options["valid_from"])
        except FileNotFoundError:
            raise CommandError(f"找不到文件：{options['file']}") from None
        except RegionFileError as exc:
            raise CommandError(str(exc)) from None
        elapsed = time.monotonic() - started
        self.stdout.write(
            f"行政区划导入完成：新增 {result.created}，更新 {result.updated}，无变化 {result.unchanged}"
            f"（共 {result.total} 行，用时 {elapsed:.2f} 秒）"
        )
