"""``python -m bench generate|list``: choose the database, start Django, migrate, run (bench/cli.py).

DATABASE_URL must be in the environment before ``django.setup()`` imports config.settings, and
the database must exist before ``migrate`` connects to it.
"""

import sys

import django

from . import cli, database

if __name__ == "__main__":
    args = cli.parse_args()
    if database.is_postgres(args.database_url) and database.ensure_postgres_database(args.database_url):
        print(f"created database {args.database_url}")
    database.use_database(args.database_url)  # sets DATABASE_URL and DJANGO_SETTINGS_MODULE=config.settings
    django.setup()
    database.migrate()
    sys.exit(cli.run(args))
