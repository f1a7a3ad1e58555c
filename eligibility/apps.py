from django.apps import AppConfig


class EligibilityConfig(AppConfig):
    name = "eligibility"
    verbose_name = "老年人登记与待遇资格"
