"""The bench database: a separate PostgreSQL database, created and migrated on demand.

Benchmarks fill the elder tables with a million synthetic rows and empty them again, so they never
run against the development database by accident: the default URL points at ``yiyang_bench``.
This module must stay importable before ``django.setup()`` (it decides what the settings will see).
"""

from __future__ import annotations

import os
from urllib.parse import unquote, urlsplit, urlunsplit

DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/yiyang_bench"
POSTGRES_SCHEMES = ("postgres", "postgresql", "pgsql", "postgis")


def default_database_url() -> str:
    return os.environ.get("BENCH_DATABASE_URL") or DEFAULT_DATABASE_URL


def is_postgres(url: str) -> bool:
    return urlsplit(url).scheme in POSTGRES_SCHEMES


def ensure_postgres_database(url: str) -> bool:
    """Create the database named in ``url`` if it does not exist yet; return whether it was created.

    Connects to the ``postgres`` maintenance database of the same server with the same credentials.
    """
    import psycopg
    from psycopg import sql

    parts = urlsplit(url)
    name = unquote(parts.path.lstrip("/"))
    if not name:
        raise ValueError(f"no database name in {url!r}")
    maintenance_url = urlunsplit((
        "postgresql", parts.netloc, "/postgres", parts.query, parts.fragment,
    ))
    with psycopg.connect(maintenance_url, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if exists:
            return False
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        return True


def use_database(url: str) -> None:
    """Point the Django settings at ``url``; must run before ``django.setup()``."""
    os.environ["DATABASE_URL"] = url
    os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings"


def migrate() -> None:
    """Bring the schema up to date (a no-op after the first run); role groups come with it."""
    from django.core.management import call_command

    call_command("migrate", verbosity=0, interactive=False)
