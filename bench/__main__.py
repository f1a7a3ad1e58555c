"""``python -m bench generate|list|sweep|dashboard|import-roll|payroll|upload-bombs``: choose the database, start Django, migrate, run (bench/cli.py).

DATABASE_URL must be in the environment before ``django.setup()`` imports config.settings, and
the database must exist before ``migrate`` connects to it.
"""

import sys

import django

from . import cli, database

if __name__ == "__main__":
    if sys.argv[1:2] == ["import-roll"]:  # the roll-import benchmark parses its own options (bench/import_roll.py)
        from . import import_roll

        sys.exit(import_roll.main(sys.argv[2:]))
    if sys.argv[1:2] == ["upload-bombs"]:  # needs no database: refusing files (bench/upload_bombs.py)
        from . import upload_bombs

        sys.exit(upload_bombs.main(sys.argv[2:]))
    if sys.argv[1:2] == ["payroll"]:  # the payroll benchmark parses its own options (bench/payroll.py)
        from . import payroll

        sys.exit(payroll.main(sys.argv[2:]))
    args = cli.parse_args()
    if database.is_postgres(args.database_url) and database.ensure_postgres_database(args.database_url):
        print(f"created database {args.database_url}")
    database.use_database(args.database_url)  # sets DATABASE_URL and DJANGO_SETTINGS_MODULE=config.settings
    django.setup()
    database.migrate()
    sys.exit(cli.run(args))
