from django.apps import AppConfig


class EligibilityConfig(AppConfig):
    name = "eligibility"
    verbose_name = "老年人登记与待遇资格"

    def ready(self) -> None:
        # The registry's importer kinds (户籍花名册 and the status lists) plug into the imports engine.
        from core import reaper

        from .importers import register_importers
        from .reaping import reap_runs

        register_importers()
        reaper.register("runs", reap_runs)
