from django.apps import AppConfig


class RegistryConfig(AppConfig):
    name = "registry"
    verbose_name = "老年人登记"

    def ready(self) -> None:
        # The registry's importer kinds (户籍花名册 and the status lists) plug into the imports engine.
        from .importers import register_importers

        register_importers()
