from django.apps import AppConfig


class ImportsConfig(AppConfig):
    name = "imports"
    verbose_name = "批量导入"

    def ready(self) -> None:
        from core import reaper

        from .reaping import reap_batches, requeue_batches

        reaper.register("batches", reap_batches)
        reaper.register("requeued", requeue_batches)
