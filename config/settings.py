"""Yiyang settings: one module, everything that differs between machines comes from the environment.

Defaults give the embedded demo (SQLite, tasks run in-process). Production sets DATABASE_URL,
CELERY_BROKER_URL, SECRET_KEY, ALLOWED_HOSTS and DEBUG=false (see docs/deploy.md).
"""

from pathlib import Path

import environ

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

DEBUG = env.bool("DEBUG", default=False)
# The demo key is only for a local run; production must set SECRET_KEY (check --deploy fails otherwise).
SECRET_KEY = env.str("SECRET_KEY", default="insecure-local-demo-key-change-me")
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "testserver"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_htmx",
    "simple_history",
    "guardian",
    "axes",
    "import_export",
    "django_celery_beat",
    "django_filters",
    # our apps, in dependency order (docs/architecture.md, Layering): base apps first
    "regions",
    "audit",
    "imports",
    "registry",  # elders and households, the roll import, the registry pages
    "eligibility",  # the policy engine: catalogue, sweep, enrolments, worklist, what-if
    "assessments",
    "facilities",
    "visits",
    "payouts",
    "dashboard",
    "core",  # the framework layer: scoping rule, task dispatch, lock names, the reaper (no models)
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    "regions.passwords.PasswordExpiryMiddleware",
    # axes last, as its documentation asks
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"
ASGI_APPLICATION = "config.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "regions.context_processors.staff_area",
            ],
        },
    },
]

# --- database -------------------------------------------------------------------------------
DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}")}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets the demo server and an in-process task read while another writes.
    DATABASES["default"].setdefault("OPTIONS", {})
    DATABASES["default"]["OPTIONS"].setdefault("init_command", "PRAGMA journal_mode=WAL;")
    DATABASES["default"]["OPTIONS"].setdefault("transaction_mode", "IMMEDIATE")
# PostgreSQL: DATABASE_URL logs in as the application's role, which owns nothing; `migrate` runs as the
# owner (MIGRATE_DATABASE_URL, `make migrate`) and then grants DATABASE_APP_ROLE its rights, read and
# append only on the audit log (audit/dbroles.py, docs/deploy.md). Empty: no grant step (SQLite demo).
DATABASE_APP_ROLE = env.str("DATABASE_APP_ROLE", default="")
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
# Covering indexes (INCLUDE) are a PostgreSQL optimisation; SQLite builds the same index without the
# included column, which is all the embedded demo needs.
SILENCED_SYSTEM_CHECKS = ["models.W040"]

# --- authentication and sessions -----------------------------------------------------------
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
    "guardian.backends.ObjectPermissionBackend",
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# Password policy: OWASP ASVS L2 by default (length + breached/common list, no composition rules,
# no forced rotation). 等保 2.0 level 3 deployments switch on complexity and expiry (docs/security.md).
PASSWORD_MIN_LENGTH = env.int("PASSWORD_MIN_LENGTH", default=12)
PASSWORD_REQUIRE_COMPLEXITY = env.bool("PASSWORD_REQUIRE_COMPLEXITY", default=False)
PASSWORD_MAX_AGE_DAYS = env.int("PASSWORD_MAX_AGE_DAYS", default=0)  # 0 = no expiry
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": PASSWORD_MIN_LENGTH},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
    {"NAME": "regions.passwords.UsernameVariantValidator"},
    {"NAME": "regions.passwords.PasswordChangeRecorder"},
]
if PASSWORD_REQUIRE_COMPLEXITY:
    AUTH_PASSWORD_VALIDATORS.append({"NAME": "regions.passwords.ComplexityValidator"})

SESSION_IDLE_TIMEOUT_MINUTES = env.int("SESSION_IDLE_TIMEOUT_MINUTES", default=30)
SESSION_COOKIE_AGE = SESSION_IDLE_TIMEOUT_MINUTES * 60
SESSION_SAVE_EVERY_REQUEST = True  # every request pushes the expiry forward: an idle timeout
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"

# django-axes (docs/security.md): failures are counted per username across every address AND per address
# across every username, so neither guessing one account from many machines nor trying one password on
# many accounts from one machine gets more than AXES_FAILURE_LIMIT tries per cool-off.
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = env.float("AXES_COOLOFF_HOURS", default=0.5)
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
# The address is REMOTE_ADDR, or CLIENT_IP_HEADER when (and only when) the request comes from one of
# TRUSTED_PROXIES, e.g. CLIENT_IP_HEADER=HTTP_X_REAL_IP TRUSTED_PROXIES=10.0.0.5 behind nginx
# (`proxy_set_header X-Real-IP $remote_addr;`). Behind a proxy without them every user shares the
# proxy's address, and one person's failures lock everybody out.
CLIENT_IP_HEADER = env.str("CLIENT_IP_HEADER", default="")
TRUSTED_PROXIES = env.list("TRUSTED_PROXIES", default=[])
AXES_CLIENT_IP_CALLABLE = "audit.services.client_ip"
AXES_ENABLED = env.bool("AXES_ENABLED", default=True)

# --- security headers when not DEBUG --------------------------------------------------------
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
SECURE_REFERRER_POLICY = "same-origin"
if not DEBUG:
    SESSION_COOKIE_SECURE = env.bool("SESSION_COOKIE_SECURE", default=True)
    CSRF_COOKIE_SECURE = env.bool("CSRF_COOKIE_SECURE", default=True)
    # TLS is usually terminated by the intranet's reverse proxy, which also redirects; set
    # SECURE_SSL_REDIRECT=true when Django itself faces the browser (docs/deploy.md).
    SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=False)
    SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=False)
    # Intranet hosts cannot be on the browsers' public HSTS preload list, so the preload hint is off
    # and its deploy-check warning is silenced on purpose (docs/security.md).
    SILENCED_SYSTEM_CHECKS += [] if SECURE_HSTS_PRELOAD else ["security.W021"]
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# --- language and time ----------------------------------------------------------------------
LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

# --- static files (all vendored under static/, no CDN) --------------------------------------
STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = env.path("STATIC_ROOT", default=BASE_DIR / "staticfiles")
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
MEDIA_ROOT = env.path("MEDIA_ROOT", default=BASE_DIR / "media")
MEDIA_URL = "media/"
WHITENOISE_USE_FINDERS = DEBUG or env.bool("WHITENOISE_USE_FINDERS", default=True)

# --- Celery ---------------------------------------------------------------------------------
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default="")
CELERY_RESULT_BACKEND = env.str("CELERY_RESULT_BACKEND", default=CELERY_BROKER_URL or None)
# Without a broker (the embedded demo) tasks run in-process, synchronously.
CELERY_TASK_ALWAYS_EAGER = not CELERY_BROKER_URL
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TIMEZONE = TIME_ZONE
# A task is acknowledged when it has finished, and a task whose pool child died (OOM kill, abort)
# goes back to the queue at once instead of being acknowledged as failed (docs/deploy.md "Tasks").
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_TASK_TRACK_STARTED = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# The longest task is a first-night full sweep of the largest county or a 100,000-row import commit:
# about a minute each at 1M elders (bench/README.md), say 10 minutes on a loaded machine. The hard
# time limit (25 min) kills anything longer, and the visibility timeout (30 min) — after which Redis
# hands an unacknowledged message to another worker — stays above it, so a live task is never run
# twice; a task of a worker that died whole waits at most 30 minutes (not an hour) to be redelivered.
CELERY_TASK_SOFT_TIME_LIMIT = env.int("CELERY_TASK_SOFT_TIME_LIMIT", default=20 * 60)
CELERY_TASK_TIME_LIMIT = env.int("CELERY_TASK_TIME_LIMIT", default=25 * 60)
CELERY_VISIBILITY_TIMEOUT = env.int("CELERY_VISIBILITY_TIMEOUT", default=30 * 60)
if CELERY_VISIBILITY_TIMEOUT <= CELERY_TASK_TIME_LIMIT:
    from django.core.exceptions import ImproperlyConfigured

    raise ImproperlyConfigured("CELERY_VISIBILITY_TIMEOUT must exceed CELERY_TASK_TIME_LIMIT (a live task would run twice)")
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": CELERY_VISIBILITY_TIMEOUT}
CELERY_RESULT_EXPIRES = 24 * 3600
# Web requests publish through core.tasks.enqueue: this long to reach the broker, then 「后台任务服务暂不
# 可用」 instead of a hung request (the worker's own connections keep Celery's retries).
CELERY_ENQUEUE_TIMEOUT = env.float("CELERY_ENQUEUE_TIMEOUT", default=1.5)
# The reaper (core.reaper, every 5 minutes): a run or batch whose task started this long ago and whose
# lock nobody holds is interrupted; a batch queued this long ago whose task never started is sent again.
RELIABILITY_REAP_GRACE = env.int("RELIABILITY_REAP_GRACE", default=120)
RELIABILITY_REQUEUE_AFTER = env.int("RELIABILITY_REQUEUE_AFTER", default=CELERY_VISIBILITY_TIMEOUT + 5 * 60)
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"

# --- guardian -------------------------------------------------------------------------------
ANONYMOUS_USER_NAME = None  # no anonymous object permissions
GUARDIAN_RAISE_403 = False

# --- audit ----------------------------------------------------------------------------------
AUDIT_RETENTION_DAYS = max(env.int("AUDIT_RETENTION_DAYS", default=190), 190)

# --- facilities and payouts (county policy knobs; docs/facilities.md, docs/bank-file.md) ---------
FACILITIES_NURSING_BED_TARGET_PERCENT = env.int("FACILITIES_NURSING_BED_TARGET_PERCENT", default=60)
PAYOUTS_MAX_ARREARS_MONTHS = env.int("PAYOUTS_MAX_ARREARS_MONTHS", default=24)
PAYOUTS_AMOUNT_CHANGE_FACTOR = env.str("PAYOUTS_AMOUNT_CHANGE_FACTOR", default="2")

# --- lists ----------------------------------------------------------------------------------
LIST_PAGE_SIZE = env.int("LIST_PAGE_SIZE", default=20)

# --- spreadsheet imports (docs/import-templates.md) ----------------------------------------
# Files above these limits are refused with a message before their cells are parsed: the size of
# the upload, its rows, the used range's columns and cells (rows × columns, every empty cell inside
# it counts: that is what the reader allocates) and an .xlsx's decompressed size (imports/bounds.py).
# IMPORT_MAX_CELLS must stay ≥ 26 × IMPORT_MAX_ROWS so that a sheet of up to 26 columns is never
# refused below the row limit (and keeps the fast check: no second pass over the sheet).
IMPORT_MAX_FILE_MB = env.float("IMPORT_MAX_FILE_MB", default=20)
IMPORT_MAX_ROWS = env.int("IMPORT_MAX_ROWS", default=200_000)
IMPORT_MAX_COLUMNS = env.int("IMPORT_MAX_COLUMNS", default=100)
IMPORT_MAX_CELLS = env.int("IMPORT_MAX_CELLS", default=6_000_000)
IMPORT_MAX_UNZIPPED_MB = env.float("IMPORT_MAX_UNZIPPED_MB", default=300)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="WARNING")},
}
