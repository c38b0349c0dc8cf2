"""Aegis settings. Every value comes from the environment; local defaults apply only with DEBUG on."""

import re
from datetime import timedelta
from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()

# A local `.env` file (scripts/demo writes one with DEBUG=1 when there is none) fills in what the environment
# leaves unset; a variable set in the environment always wins.
if (BASE_DIR / ".env").is_file():
    environ.Env.read_env(BASE_DIR / ".env")

DEBUG = env.bool("DEBUG", default=False)

SECRET_KEY = env("SECRET_KEY", default="")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off.")
    SECRET_KEY = "local-development-only-key-never-use-in-production-0123456789"

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]", "testserver"] if DEBUG else [])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "accounts",
    "metrics",
    "collections_app",
    "datasets",
    "runs",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "aegis.uploads.UploadCleanupMiddleware",
    "aegis.middleware.ApiNotFoundJsonMiddleware",
    "aegis.middleware.ApiTrailingSlashMiddleware",
    "aegis.middleware.QueryStringGuardMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "aegis.urls"
WSGI_APPLICATION = "aegis.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# The embedded default is a SQLite file beside the code; production and CI use PostgreSQL.
DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}")}
DATABASES["default"]["ATOMIC_REQUESTS"] = False
# Database connections on PostgreSQL (measured by bench/load.py; the README's "Database connections"): with
# DB_POOL each process keeps a psycopg pool of DB_POOL_MIN_SIZE..DB_POOL_MAX_SIZE connections (a request waits up
# to DB_POOL_TIMEOUT_S for one) instead of opening one per request; Celery's prefork children close the pool they
# inherit. Without it a connection is kept DB_CONN_MAX_AGE seconds (0: one per request), checked before reuse with
# DB_CONN_HEALTH_CHECKS. Both are opt-in: the default is the configuration the test suite runs.
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    if env.bool("DB_POOL", default=False):
        DATABASES["default"].setdefault("OPTIONS", {})["pool"] = {
            "min_size": env.int("DB_POOL_MIN_SIZE", default=1),
            "max_size": env.int("DB_POOL_MAX_SIZE", default=4),
            "timeout": env.float("DB_POOL_TIMEOUT_S", default=10.0),
        }
    else:
        DATABASES["default"]["CONN_MAX_AGE"] = env.int("DB_CONN_MAX_AGE", default=0)
        DATABASES["default"]["CONN_HEALTH_CHECKS"] = env.bool("DB_CONN_HEALTH_CHECKS", default=True)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}
LOGIN_URL = "/api-auth/login/"
# The browsable API: logging in without `?next` lands on the API root, not on Django's /accounts/profile/.
LOGIN_REDIRECT_URL = "/api/v1/"
# In development whitenoise serves files as they change instead of indexing STATIC_ROOT at start-up.
WHITENOISE_AUTOREFRESH = DEBUG
WHITENOISE_USE_FINDERS = DEBUG

# Uploads: small parts stay in memory, files spool to disk so a large CSV is never held whole.
FILE_UPLOAD_MAX_MEMORY_SIZE = 2_621_440
FILE_UPLOAD_TEMP_DIR = env("FILE_UPLOAD_TEMP_DIR", default=None)
# Spooled uploads have no name on disk (aegis.uploads), so no path can outlive the request, even a killed worker.
FILE_UPLOAD_HANDLERS = [
    "django.core.files.uploadhandler.MemoryFileUploadHandler",
    "aegis.uploads.UnnamedTemporaryFileUploadHandler",
]
MAX_UPLOAD_BYTES = env.int("MAX_UPLOAD_BYTES", default=200 * 1024 * 1024)

# Request limits, each refused with a clear 413/400/422 before the work it would cost. The defaults are generous:
# they stop abuse and accidents (a runaway export, a recursive document), not real datasets.
MAX_DATASET_ROWS = env.int("MAX_DATASET_ROWS", default=5_000_000)
MAX_CSV_COLUMNS = env.int("MAX_CSV_COLUMNS", default=200)
MAX_CELL_CHARS = env.int("MAX_CELL_CHARS", default=1_000_000)
MAX_CUSTOM_RUN_ROWS = env.int("MAX_CUSTOM_RUN_ROWS", default=10_000)
MAX_JSON_BODY_BYTES = env.int("MAX_JSON_BODY_BYTES", default=32 * 1024 * 1024)
MAX_JSON_PART_BYTES = env.int("MAX_JSON_PART_BYTES", default=1024 * 1024)
MAX_JSON_DEPTH = env.int("MAX_JSON_DEPTH", default=64)
# Django's own cap on the text fields of a form (both JSON parts and the name), kept above MAX_JSON_PART_BYTES so
# that the named 413 of a JSON part is the one a client sees.
DATA_UPLOAD_MAX_MEMORY_SIZE = max(2_621_440, 2 * MAX_JSON_PART_BYTES + 65_536)

SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
if not DEBUG:
    SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31_536_000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        # The API-key class comes first: its WWW-Authenticate header turns anonymous calls into 401, not 403.
        "accounts.authentication.ApiKeyAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_RENDERER_CLASSES": [
        "rest_framework.renderers.JSONRenderer",
        "aegis.renderers.BrowsableAPIRenderer",
    ],
    "DEFAULT_PARSER_CLASSES": ["aegis.parsers.StrictJSONParser"],
    "DEFAULT_THROTTLE_CLASSES": ["aegis.throttling.KeyRateThrottle", "aegis.throttling.CreateRateThrottle"],
    "EXCEPTION_HANDLER": "aegis.exceptions.api_exception_handler",
    "DEFAULT_SCHEMA_CLASS": "aegis.schema.AegisAutoSchema",
    "DATETIME_FORMAT": "%Y-%m-%dT%H:%M:%SZ",
    "UNAUTHENTICATED_USER": None,
}

SPECTACULAR_SETTINGS = {
    "TITLE": "Aegis API",
    "DESCRIPTION": "Evaluation platform for LLM applications: datasets, metrics, runs and evaluations.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "SCHEMA_PATH_PREFIX": "/api/v1",
    "COMPONENT_SPLIT_REQUEST": True,
    "PATH_CONVERTER_OVERRIDES": {"objid": {"type": "integer", "minimum": 1, "maximum": 999_999_999_999_999_999}},
}
# The docs pages load nothing from outside this server (no online validator badge; ReDoc's fonts are vendored, see
# templates/aegis/redoc.html), and the document is adjusted for docs pages and generated clients (aegis.schema).
SPECTACULAR_SETTINGS |= {
    "SWAGGER_UI_SETTINGS": {"deepLinking": True, "validatorUrl": None},
    "POSTPROCESSING_HOOKS": ["drf_spectacular.hooks.postprocess_schema_enums", "aegis.schema.postprocess_for_clients"],
}
# The project's own templates (the ReDoc page) and static files (its fonts).
TEMPLATES[0]["DIRS"] = [BASE_DIR / "templates"]
STATICFILES_DIRS = [BASE_DIR / "static"]

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", default="INFO")},
    # The SDKs' HTTP client logs every request at INFO; judge failures are recorded on the evaluations instead.
    "loggers": {"httpx2": {"level": "WARNING"}, "httpx": {"level": "WARNING"}},
}

# Background scoring. With a broker URL (e.g. redis://127.0.0.1:6379/0) runs are scored by Celery workers;
# without one, the same task functions run in-process once the creating transaction commits.
CELERY_BROKER_URL = env("CELERY_BROKER_URL", default="")
# Deployments sharing one broker each take a queue of their own (Celery's default is "celery").
if env("CELERY_QUEUE", default=""):
    CELERY_TASK_DEFAULT_QUEUE = env("CELERY_QUEUE")
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True

# Broker faults (the README's "Workers and faults" explains the choices).
# A request that saves a run waits at most about two seconds for a broker that is down or accepts connections and
# never answers: one reconnect, two-second connect and read timeouts. The run is saved pending either way, and the
# sweeper below queues it once the broker is back.
CELERY_BROKER_CONNECTION_TIMEOUT = 2.0
CELERY_TASK_PUBLISH_RETRY_POLICY = {"max_retries": 1, "interval_start": 0, "interval_step": 0.2, "interval_max": 0.2}
# A worker killed mid-slice: RabbitMQ hands the slice to another worker as soon as the connection drops (heartbeats
# notice a silent peer within two intervals). Redis cannot see that; it hands a slice out again once it has been
# unacknowledged for RUNS_REDELIVERY_S, checking every 10 s. A judged slice that is still running then gets a copy,
# which finds the slice's lease taken and stands aside (runs.tasks), so the timeout bounds the recovery of a dead
# worker's slice rather than the length of a live one.
RUNS_REDELIVERY_S = env.int("RUNS_REDELIVERY_S", default=120)
CELERY_BROKER_HEARTBEAT = 30
# Read by the Redis transport; the AMQP one ignores these names.
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": RUNS_REDELIVERY_S,
    "unacked_restore_interval": 10,
    "unacked_restore_throttle": 1,
    "socket_connect_timeout": CELERY_BROKER_CONNECTION_TIMEOUT,
    "socket_timeout": 2.0,
}
# The sweeper: celery beat queues it every RUNS_SWEEP_EVERY_S; it queues again each run unfinished for longer than
# RUNS_SWEEP_AFTER_S that no worker is scoring (a task lost with the broker, a retry that gave up).
RUNS_SWEEP_EVERY_S = env.int("RUNS_SWEEP_EVERY_S", default=60)
RUNS_SWEEP_AFTER_S = env.int("RUNS_SWEEP_AFTER_S", default=120)
CELERY_BEAT_SCHEDULE = {
    "resume-unfinished-runs": {
        "task": "runs.resume_unfinished_runs",
        "schedule": float(RUNS_SWEEP_EVERY_S),
        # A sweep queued while no worker was up is dropped, not run once per missed minute.
        "options": {"expires": float(RUNS_SWEEP_EVERY_S)},
    }
}

# LLM judges. Provider keys and base URLs are read by the judge layer from the environment under the SDKs' own
# names (OPENAI_API_KEY, OPENAI_BASE_URL, ANTHROPIC_API_KEY, ANTHROPIC_BASE_URL) or the variable a model names.
LLM_JUDGE_TIMEOUT_S = env.float("LLM_JUDGE_TIMEOUT_S", default=60.0)
LLM_JUDGE_MAX_RETRIES = env.int("LLM_JUDGE_MAX_RETRIES", default=2)
# Judge calls in flight at once per model for the whole deployment (through Redis when one is configured).
LLM_JUDGE_CONCURRENCY = env.int("LLM_JUDGE_CONCURRENCY", default=16)
LLM_JUDGE_CACHE = env.bool("LLM_JUDGE_CACHE", default=True)
# The Redis that shares the concurrency cap between processes: the broker when it is Redis, else REDIS_URL.
REDIS_URL = env("REDIS_URL", default=CELERY_BROKER_URL if CELERY_BROKER_URL.startswith("redis") else "")

# The cache holds the request-rate counters: in Redis they are shared by every process, in local memory each process
# counts its own (so the effective rate is multiplied by the number of workers).
CACHES = {
    "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL, "KEY_PREFIX": "aegis"}
    if REDIS_URL
    else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
}


def _rate(name: str, default: str) -> str | None:
    """A request rate such as "1200/min" (per s, min, h or day); "0" or empty turns the limit off."""
    value = env(name, default=default).strip()
    if value in ("", "0"):
        return None
    if not re.fullmatch(r"[1-9][0-9]*/(s|sec|second|m|min|minute|h|hour|d|day)", value):
        raise ImproperlyConfigured(f'{name} must be a rate such as "1200/min" (per s, min, h or day), or 0 for none.')
    return value


# Per API key: every request, and the creates (POST /datasets, /data-collections, /runs/dataset, /runs/custom,
# /evaluate) on top of that.
THROTTLE_RATE = _rate("THROTTLE_RATE", "1200/min")
THROTTLE_CREATE_RATE = _rate("THROTTLE_CREATE_RATE", "120/min")

# Idempotency-Key on the creates (aegis.idempotency): how long a key is kept, the largest answer kept whole for a
# retry, and the store of the keys.
IDEMPOTENCY_KEY_TTL = timedelta(hours=24)
IDEMPOTENCY_MAX_STORED_BYTES = env.int("IDEMPOTENCY_MAX_STORED_BYTES", default=1_048_576)
IDEMPOTENCY_STORE = "accounts.idempotency"

# Structural evaluations run in supervised evaluator processes (metrics.bounded): each one is stopped after
# METRIC_TIMEOUT_S seconds and may use METRIC_MEMORY_MB of memory; every process that scores keeps
# METRIC_WORKERS of them.
METRIC_TIMEOUT_S = env.float("METRIC_TIMEOUT_S", default=5.0)
METRIC_MEMORY_MB = env.int("METRIC_MEMORY_MB", default=512)
METRIC_WORKERS = env.int("METRIC_WORKERS", default=2)
