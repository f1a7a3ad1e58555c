"""``manage.py reap_stuck``: the reaper once, now (the same as the 5-minute beat task)."""

from django.core.management.base import BaseCommand

from core.reaper import reap


class Command(BaseCommand):
    help = "将后台进程已中断的服务找人运行与导入批次标记为失败，并重新投递未送达的导入任务"

    def handle(self, *args, **options):
        result = reap()
        self.stdout.write(
            f"中断的运行：{len(result.runs)} 条 {result.runs}；中断的导入批次：{len(result.batches)} 个 {result.batches}；"
            f"重新投递：{len(result.requeued)} 个 {result.requeued}"
            + ("；消息队列不可用，其余稍后再投递" if result.broker_down else "")
        )
