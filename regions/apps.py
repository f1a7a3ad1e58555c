from django.apps import AppConfig
from django.db.models.signals import post_migrate


class RegionsConfig(AppConfig):
    name = "regions"
    verbose_name = "行政区划与人员辖区"

    def ready(self) -> None:
        from core.scoping import register_area_resolver

        from . import account_audit
        from .areas import assigned_prefixes
        from .roles import sync_role_permissions

        register_area_resolver(assigned_prefixes)
        account_audit.connect()

        post_migrate.connect(sync_role_permissions, dispatch_uid="regions.sync_role_permissions")
