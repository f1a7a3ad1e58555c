"""Every change to who can log in and as what is audited: user creation, is_staff, is_superuser,
is_active and password changes — from the admin, the user's own 修改密码 page, a command or a
service alike. Signals, because Django saves users from many places (createsuperuser,
set_password in a view, the admin's password form); the acting user comes from the current
request (simple-history's request middleware keeps it), else the event is the system's."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.db.models.signals import post_save, pre_save

from .governance import PASSWORD_CHANGE_EVENT, USER_CREATE_EVENT

FLAGS = ("is_staff", "is_superuser", "is_active")


def current_actor() -> Any:
    from simple_history.models import HistoricalRecords

    request = getattr(HistoricalRecords.context, "request", None)
    user = getattr(request, "user", None)
    return user if getattr(user, "is_authenticated", False) else None


def _client_ip() -> str | None:
    from simple_history.models import HistoricalRecords

    request = getattr(HistoricalRecords.context, "request", None)
    return request.META.get("REMOTE_ADDR") if request is not None else None


def _remember_flags(sender, instance, raw=False, update_fields=None, **kwargs) -> None:
    if raw or instance.pk is None or (update_fields is not None and not set(FLAGS) & set(update_fields)):
        instance._yiyang_old_flags = None
        return
    instance._yiyang_old_flags = sender.objects.filter(pk=instance.pk).values(*FLAGS).first()


def _audit_user_save(sender, instance, created, raw=False, update_fields=None, **kwargs) -> None:
    if raw:
        return
    from audit.services import record

    actor = current_actor()
    ip = _client_ip()
    if created:
        record(actor=actor, event=USER_CREATE_EVENT, obj=instance, ip_address=ip,
               detail={"username": instance.username, **{f: getattr(instance, f) for f in FLAGS}})
        return
    old = getattr(instance, "_yiyang_old_flags", None) or {}
    changed = {f: [old[f], getattr(instance, f)] for f in FLAGS if f in old and old[f] != getattr(instance, f)}
    if changed:
        record(actor=actor, event="auth.user_flags", obj=instance, ip_address=ip,
               detail={"username": instance.username, "changed": changed})
    # AbstractBaseUser.save() clears _password only after post_save: set means "password set now".
    if getattr(instance, "_password", None) is not None:
        own = actor is not None and actor.pk == instance.pk
        record(actor=actor, event=PASSWORD_CHANGE_EVENT, obj=instance, ip_address=ip,
               detail={"username": instance.username, "by": "self" if own else "administrator" if actor else "system"})


def connect() -> None:
    User = get_user_model()
    pre_save.connect(_remember_flags, sender=User, dispatch_uid="regions.account_audit.flags")
    post_save.connect(_audit_user_save, sender=User, dispatch_uid="regions.account_audit.save")
