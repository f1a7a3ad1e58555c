"""Publishing a task from a web request without hanging on a dead broker.

Celery's defaults retry a publish for many seconds (a request with the broker down answered HTTP 500
after ≈ 19 s, leaving its batch stuck). Here a request reaches the broker within
``CELERY_ENQUEUE_TIMEOUT`` seconds (no publish retries) or gets ``BrokerUnavailable``, whose message
the view shows as is. Every task of the project is a ``ReliableTask`` (config/celery.py), so a plain
``.delay()`` from a service's ``transaction.on_commit`` fails fast too.

Without a broker (``task_always_eager``: the embedded demo, SQLite tests) a task runs in-process as
before and its exceptions propagate.
"""

from __future__ import annotations

import logging
from typing import Any

from celery import Task, current_app, shared_task
from kombu.exceptions import KombuError

log = logging.getLogger(__name__)

BROKER_DOWN_MESSAGE = "后台任务服务暂不可用，请稍后再试；数据未丢失"


class BrokerUnavailable(RuntimeError):
    """The broker could not be reached in time; nothing was queued."""

    def __init__(self, message: str = BROKER_DOWN_MESSAGE) -> None:
        super().__init__(message)


def _timeout(app) -> float:
    from django.conf import settings

    return float(getattr(settings, "CELERY_ENQUEUE_TIMEOUT", 1.5))


def _broker_errors() -> tuple[type[BaseException], ...]:
    errors: list[type[BaseException]] = [KombuError, OSError, TimeoutError]
    try:
        from redis.exceptions import RedisError

        errors.append(RedisError)
    except ImportError:  # pragma: no cover - redis is a dependency of celery[redis]
        pass
    return tuple(errors)


def publish_fast(app, send) -> Any:
    """Open a broker connection with a short connect/socket timeout, check it once, then call
    ``send(connection)`` (which publishes with ``retry=False``). Raises BrokerUnavailable."""
    timeout = _timeout(app)
    options = {"socket_connect_timeout": timeout, "socket_timeout": timeout}
    try:
        with app.connection_for_write(transport_options=options) as conn:
            conn.ensure_connection(max_retries=1, interval_start=0, interval_step=0.1, interval_max=0.1,
                                   timeout=timeout)
            return send(conn)
    except _broker_errors() as exc:
        log.warning("broker unavailable: %s", exc)
        raise BrokerUnavailable() from exc


class ReliableTask(Task):
    """The project's task class: a publish from outside a worker fails fast (``publish_fast``).

    Calls that bring their own connection or producer (a ``group`` sent from inside a worker) keep
    Celery's own behaviour, retries included."""

    def apply_async(self, args=None, kwargs=None, task_id=None, producer=None, link=None, link_error=None,
                    shadow=None, **options):
        publish = super().apply_async
        if self.app.conf.task_always_eager or producer is not None or options.get("connection") is not None:
            return publish(args, kwargs, task_id, producer, link, link_error, shadow, **options)

        def send(conn):
            return publish(args, kwargs, task_id, producer, link, link_error, shadow,
                           connection=conn, retry=False, **options)

        return publish_fast(self.app, send)


def enqueue(task, *args, **kwargs):
    """Queue ``task(*args, **kwargs)``; BrokerUnavailable at once if the broker is down. In eager mode
    the task runs here and its result (or exception) comes back as from ``.delay``."""
    app = getattr(task, "app", None) or current_app
    if isinstance(task, ReliableTask) or app.conf.task_always_eager:
        return task.delay(*args, **kwargs)
    return publish_fast(app, lambda conn: task.apply_async(args, kwargs, connection=conn, retry=False))


def broker_reachable(timeout: float = 1.0) -> tuple[bool, str]:
    """(reachable, detail) for the health page: one connection attempt, bounded by ``timeout``."""
    app = current_app
    if app.conf.task_always_eager and not app.conf.broker_url:
        return True, "未配置消息队列：任务在网页进程内同步执行（演示模式）"
    options = {"socket_connect_timeout": timeout, "socket_timeout": timeout}
    try:
        with app.connection_for_write(transport_options=options) as conn:
            conn.ensure_connection(max_retries=1, interval_start=0, interval_step=0.1, interval_max=0.1,
                                   timeout=timeout)
            return True, conn.as_uri()
    except _broker_errors() as exc:
        return False, f"无法连接：{exc}"[:300]


def workers_alive(timeout: float = 1.0) -> list[str]:
    """Names of the workers that answered a ping within ``timeout`` seconds ([] when none did)."""
    app = current_app
    if app.conf.task_always_eager:
        return []
    try:
        replies = app.control.inspect(timeout=timeout).ping() or {}
    except _broker_errors():
        return []
    return sorted(replies)


def live_task_ids(timeout: float = 1.0) -> set[str] | None:
    """Ids of the tasks the live workers are running or hold reserved; None if nobody answered."""
    app = current_app
    if app.conf.task_always_eager:
        return None
    try:
        inspect = app.control.inspect(timeout=timeout)
        active = inspect.active()
        reserved = inspect.reserved()
    except _broker_errors():
        return None
    if active is None and reserved is None:
        return None
    ids: set[str] = set()
    for tasks in [*(active or {}).values(), *(reserved or {}).values()]:
        ids.update(t.get("id", "") for t in tasks)
    return ids


@shared_task(name="core.reap_stuck")
def reap_stuck() -> dict:
    """Every 5 minutes (beat): runs and batches whose worker died → 失败 with a reason; batches whose
    task never reached a worker → queued again (core.reaper)."""
    from .reaper import reap

    return reap().as_dict()
