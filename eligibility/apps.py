from django.apps import AppConfig


class EligibilityConfig(AppConfig):
    name = "eligibility"
    verbose_name = "待遇资格"

    def ready(self) -> None:
        # The reaper's step for sweep runs whose process died (core.reaper knows no app).
        from core import reaper

        from .reaping import reap_runs

        reaper.register("runs", reap_runs)
