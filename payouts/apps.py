from django.apps import AppConfig


class PayoutsConfig(AppConfig):
    name = "payouts"
    verbose_name = "补贴发放"

    def ready(self) -> None:
        # 银行回盘 (the bank's return file) plugs into the imports engine like eligibility's kinds.
        from .reconciliation import register_importers

        register_importers()
