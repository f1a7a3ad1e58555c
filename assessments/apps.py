from django.apps import AppConfig
from django.db.models.signals import post_migrate


def _ensure_instrument(sender, **kwargs) -> None:
    """The data migration loads the instrument; a test flush empties it, so reload it after one."""
    from .instrument import load_instrument
    from .models import Indicator, Item, Option

    load_instrument(Indicator, Item, Option)


class AssessmentsConfig(AppConfig):
    name = "assessments"
    verbose_name = "能力评估"

    def ready(self) -> None:
        post_migrate.connect(_ensure_instrument, sender=self, dispatch_uid="assessments.ensure_instrument")
        # 历史评估结果 (past results, level only) plugs into the imports engine like eligibility's kinds.
        from .importers import register_importers

        register_importers()
