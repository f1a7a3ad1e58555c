from django.apps import AppConfig
from django.db.models.signals import post_migrate


class AuditConfig(AppConfig):
    name = "audit"
    verbose_name = "审计日志"

    def ready(self):
        from core.admin import register_admin_audit

        from .dbroles import grant_after_migrate
        from .services import record_admin_write

        register_admin_audit(record_admin_write)

        # Once per migrate (sender=this app), after every app's tables exist.
        post_migrate.connect(grant_after_migrate, sender=self, dispatch_uid="audit.grant_app_role")
