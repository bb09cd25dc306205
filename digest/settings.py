"""The one settings module, driven by environment variables (see `.env.example`)."""

from __future__ import annotations

import zoneinfo
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

import dj_database_url
from celery.schedules import crontab
from django.core.exceptions import ImproperlyConfigured

from digest.env import env_bool, env_float, env_int, env_list, env_str, env_url

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(env_str("VAR_DIR", str(BASE_DIR / "var")))
# A fresh clone has no var/: the SQLite file, the local mailbox and beat's schedule all live there.
try:
    VAR_DIR.mkdir(parents=True, exist_ok=True)
except OSError as error:
    raise ImproperlyConfigured(f"VAR_DIR: cannot create {VAR_DIR}: {error.strerror}") from None

DEBUG = env_bool("DEBUG", False)
if DEBUG:
    SECRET_KEY = env_str("SECRET_KEY", "insecure-development-key-do-not-use-in-production")
else:
    SECRET_KEY = env_str("SECRET_KEY", "")
    if len(SECRET_KEY) < 32:
        raise ImproperlyConfigured(
            "SECRET_KEY must be set to at least 32 random characters when DEBUG is off"
        )

SITE_URL = (env_url("SITE_URL", "http://127.0.0.1:8000", schemes=("http", "https")) or "").rstrip("/")
SITE_NAME = env_str("SITE_NAME", "Paper Digest")
ALLOWED_HOSTS = env_list(
    "ALLOWED_HOSTS", [urlsplit(SITE_URL).hostname or "localhost", "localhost", "127.0.0.1"]
)
CSRF_TRUSTED_ORIGINS = [SITE_URL]

TIME_ZONE = env_str("TIME_ZONE", "UTC")
if TIME_ZONE not in zoneinfo.available_timezones():
    raise ImproperlyConfigured(f"TIME_ZONE must be an IANA time zone name, got {TIME_ZONE!r}")
USE_TZ = True
LANGUAGE_CODE = "en"
USE_I18N = False

INSTALLED_APPS = [
    # Our admin site (rate-limited login, dashboard) replaces django.contrib.admin's default one.
    "digest.curation.admin_apps.DigestAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "anymail",
    "digest.papers",
    "digest.matching",
    "digest.delivery",
    "subscriptions",
    # Last: its post_migrate builds the curator group from the other apps' permissions.
    "digest.curation",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.middleware.common.CommonMiddleware",
    # Feeds are answered here, without the session, CSRF, auth, message and frame middleware below.
    "digest.feeds.middleware.FeedsMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "digest.urls"
WSGI_APPLICATION = "digest.wsgi.application"

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
                "digest.context_processors.site",
            ],
        },
    },
]

_database_url = env_url(
    "DATABASE_URL",
    f"sqlite:///{VAR_DIR / 'digest.sqlite3'}",
    schemes=("sqlite", "postgres", "postgresql", "pgsql"),
)
DATABASES = {
    "default": dj_database_url.parse(_database_url or "", conn_max_age=env_int("DB_CONN_MAX_AGE", 60))
}
# psycopg prepares nothing on a connection without a threshold, Django's default. Django's own
# cursors bind on the client and are never prepared whatever the threshold, so this reaches only the
# statements run through a server-binding cursor: the feeds' version query (run on every feed
# request) and the digest claim (run once per message). Off behind a transaction-mode pooler that
# cannot keep prepared statements (PgBouncer < 1.21).
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql" and env_bool(
    "DB_PREPARED_STATEMENTS", True
):
    DATABASES["default"].setdefault("OPTIONS", {})["prepare_threshold"] = 5
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets the web process read while a worker writes; the timeout rides out short write locks.
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 20,
        "transaction_mode": "IMMEDIATE",
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = env_url("REDIS_URL", None, schemes=("redis", "rediss", "unix"))
if REDIS_URL:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}}
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"
STATICFILES_DIRS = [BASE_DIR / "static"]

SESSION_COOKIE_SECURE = SITE_URL.startswith("https://")
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"

# --- Email -------------------------------------------------------------------------------------
MAIL_DIR = VAR_DIR / "mail"
EMAIL_URL = env_url("EMAIL_URL", f"file://{MAIL_DIR}", schemes=("file", "smtp", "smtps", "submission"))


def _email_settings(url: str) -> dict[str, object]:
    parts = urlsplit(url)
    if parts.scheme == "file":
        return {"EMAIL_BACKEND": "digest.mailbox.MailboxBackend", "EMAIL_FILE_PATH": unquote(parts.path)}
    if not parts.hostname:
        raise ImproperlyConfigured(f"EMAIL_URL must name a host, got {url!r}")
    query = parse_qs(parts.query)
    try:
        port = parts.port or {"smtp": 25, "smtps": 465, "submission": 587}[parts.scheme]
    except ValueError:
        raise ImproperlyConfigured(f"EMAIL_URL has an invalid port: {url!r}") from None
    return {
        "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "EMAIL_HOST": parts.hostname,
        "EMAIL_PORT": port,
        "EMAIL_HOST_USER": unquote(parts.username or ""),
        "EMAIL_HOST_PASSWORD": unquote(parts.password or ""),
        "EMAIL_USE_SSL": parts.scheme == "smtps",
        "EMAIL_USE_TLS": parts.scheme == "submission" or query.get("tls") == ["1"],
        "EMAIL_TIMEOUT": env_int("EMAIL_TIMEOUT", 30, minimum=1),
    }


globals().update(_email_settings(EMAIL_URL or ""))
DEFAULT_FROM_EMAIL = env_str("DIGEST_FROM_EMAIL", f"{SITE_NAME} <digest@localhost>")
ACCOUNT_FROM_EMAIL = env_str("ACCOUNT_FROM_EMAIL", f"{SITE_NAME} <accounts@localhost>")
SERVER_EMAIL = ACCOUNT_FROM_EMAIL
REPLY_TO_EMAIL = env_str("REPLY_TO_EMAIL", "")
POSTAL_ADDRESS = env_str("POSTAL_ADDRESS", "Paper Digest, 1 Example Street, Nowhere")

# --- Celery ------------------------------------------------------------------------------------
CELERY_BROKER_URL = env_url("CELERY_BROKER_URL", None, schemes=("redis", "rediss"))
# Without a broker the app runs embedded: tasks execute in-process at the call site.
CELERY_TASK_ALWAYS_EAGER = CELERY_BROKER_URL is None
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_RESULT_BACKEND = None
CELERY_TASK_IGNORE_RESULT = True
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_TASK_SOFT_TIME_LIMIT = env_int("CELERY_TASK_SOFT_TIME_LIMIT", 300, minimum=1)
CELERY_TASK_TIME_LIMIT = env_int("CELERY_TASK_TIME_LIMIT", 360, minimum=1)
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_ACKS_LATE = False
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 3600}
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TIMEZONE = "UTC"
CELERY_BEAT_SCHEDULE: dict[str, dict[str, object]] = {
    "ingest-due-sources": {"task": "papers.ingest_due_sources", "schedule": crontab(minute="*/10")},
    "search-index": {"task": "papers.search_index", "schedule": crontab(minute="5-59/15")},
}

# --- Subscriptions (helper B) -----------------------------------------------------------------
# Confirmation links expire; manage and unsubscribe links live until revoked by a token_version bump.
SUBSCRIBE_CONFIRM_MAX_AGE_DAYS = env_int("SUBSCRIBE_CONFIRM_MAX_AGE_DAYS", 7, minimum=1)
# Fixed one-hour windows, counted in the cache (Redis when REDIS_URL is set, shared by all workers).
SUBSCRIBE_RATE_PER_IP = env_int("SUBSCRIBE_RATE_PER_IP", 20, minimum=1)
SUBSCRIBE_RATE_PER_ADDRESS = env_int("SUBSCRIBE_RATE_PER_ADDRESS", 3, minimum=1)
# How many reverse proxies of ours append to X-Forwarded-For in front of the app (0: trust none and
# use the socket address). The client address is the entry that many places from the right.
TRUSTED_PROXY_COUNT = env_int("TRUSTED_PROXY_COUNT", 0, minimum=0)
# Addresses that never confirm are deleted after this many days (daily beat task).
SUBSCRIBE_PENDING_RETENTION_DAYS = env_int("SUBSCRIBE_PENDING_RETENTION_DAYS", 30, minimum=8)
CELERY_BEAT_SCHEDULE["subscriptions-pending-purge"] = {
    "task": "subscriptions.pending_purge",
    "schedule": crontab(minute=17, hour=3),
}

# --- Ingestion ---------------------------------------------------------------------------------
INGEST_FETCH_TIMEOUT = env_float("INGEST_FETCH_TIMEOUT", 30.0)
INGEST_MAX_BYTES = env_int("INGEST_MAX_BYTES", 200 * 1024 * 1024, minimum=1024)
# Parser processes for one large local JSON-lines file (the arXiv snapshot): they share its lines.
INGEST_PARSERS = env_int("INGEST_PARSERS", 2, minimum=1)
INGEST_USER_AGENT = env_str("INGEST_USER_AGENT", f"PaperDigest/1.0 (+{SITE_URL}; self-hosted paper digest)")

# --- Matching (helper C) -----------------------------------------------------------------------
# Use sentence embeddings when the `semantic` extra is installed; 0 forces lexical matching.
MATCH_SEMANTIC = env_bool("MATCH_SEMANTIC", True)
# Subscribers per matching task: one run fans out ceil(active / chunk) tasks any worker can take.
MATCH_CHUNK_SIZE = env_int("MATCH_CHUNK_SIZE", 500, minimum=1)
# How many papers one run keeps per subscriber (digests pick their best from these).
MATCH_PER_RUN = env_int("MATCH_PER_RUN", 50, minimum=1)
# Re-ranking after feedback or interest changes looks at papers that arrived this recently.
MATCH_REFRESH_DAYS = env_int("MATCH_REFRESH_DAYS", 14, minimum=1)
# Upper bound on the papers one ranking holds in memory (newest first).
MATCH_MAX_PAPERS = env_int("MATCH_MAX_PAPERS", 5000, minimum=10)

# --- Delivery (helper E) ------------------------------------------------------------------------
# Domain of the Message-ID of every mail; defaults to SITE_URL's host.
DELIVERY_MESSAGE_ID_DOMAIN = env_str("DELIVERY_MESSAGE_ID_DOMAIN", urlsplit(SITE_URL).hostname or "localhost")
# List-Id: "<SITE_NAME> <digest.DOMAIN>"; the mailto: List-Unsubscribe address (blank: HTTPS only).
DELIVERY_LIST_ID_DOMAIN = env_str("DELIVERY_LIST_ID_DOMAIN", DELIVERY_MESSAGE_ID_DOMAIN)
DELIVERY_UNSUBSCRIBE_MAILTO = env_str("DELIVERY_UNSUBSCRIBE_MAILTO", "")
DELIVERY_FEEDBACK_ID_SENDER = env_str("DELIVERY_FEEDBACK_ID_SENDER", "paperdigest")
DELIVERY_CHUNK_SIZE = env_int("DELIVERY_CHUNK_SIZE", 200, minimum=1)
# Messages per second over all workers (0: as fast as the server takes them).
DELIVERY_RATE_PER_SECOND = env_float("DELIVERY_RATE_PER_SECOND", 0.0)
DELIVERY_MAX_ATTEMPTS = env_int("DELIVERY_MAX_ATTEMPTS", 6, minimum=1)
# Transient failures wait base * 2**(attempt-1) seconds, capped; caps stay under the broker's
# visibility timeout.
DELIVERY_RETRY_BASE_SECONDS = env_int("DELIVERY_RETRY_BASE_SECONDS", 60, minimum=1)
DELIVERY_RETRY_MAX_SECONDS = env_int("DELIVERY_RETRY_MAX_SECONDS", 1800, minimum=1)
# A queued row whose task has not run after this long (a broker restart lost it) is enqueued again.
DELIVERY_REDISPATCH_SECONDS = env_int("DELIVERY_REDISPATCH_SECONDS", 600, minimum=1)
# On SQLite (no session locks) a row left "sending" this long is taken as orphaned by a crash.
DELIVERY_SENDING_LEASE_SECONDS = env_int("DELIVERY_SENDING_LEASE_SECONDS", 900, minimum=1)
DELIVERY_SOFT_BOUNCE_LIMIT = env_int("DELIVERY_SOFT_BOUNCE_LIMIT", 3, minimum=1)
# Complaint rate over the last day: the large mailbox providers warn at 0.1% and punish at 0.3%.
DELIVERY_COMPLAINT_WARN_RATE = env_float("DELIVERY_COMPLAINT_WARN_RATE", 0.001)
DELIVERY_COMPLAINT_PAUSE_RATE = env_float("DELIVERY_COMPLAINT_PAUSE_RATE", 0.003)
DELIVERY_DUE_EVERY_MINUTES = env_int("DELIVERY_DUE_EVERY_MINUTES", 5, minimum=1)
# DKIM signing happens when both the domain and a private key (PEM file) are set.
DKIM_DOMAIN = env_str("DKIM_DOMAIN", "")
DKIM_SELECTOR = env_str("DKIM_SELECTOR", "digest")
DKIM_PRIVATE_KEY_PATH = env_str("DKIM_PRIVATE_KEY_PATH", "")
ANYMAIL = (
    {"WEBHOOK_SECRET": env_str("ANYMAIL_WEBHOOK_SECRET", "")} if env_str("ANYMAIL_WEBHOOK_SECRET", "") else {}
)
CELERY_BEAT_SCHEDULE["delivery-send-due"] = {
    "task": "delivery.digests_due",
    "schedule": crontab(minute=f"*/{DELIVERY_DUE_EVERY_MINUTES}"),
}

# --- Admin (helper F) ---------------------------------------------------------------------------
# Failed admin logins allowed per (client IP, username) and per client IP within the window.
ADMIN_LOGIN_MAX_FAILURES = env_int("ADMIN_LOGIN_MAX_FAILURES", 5, minimum=1)
ADMIN_LOGIN_MAX_FAILURES_PER_IP = env_int("ADMIN_LOGIN_MAX_FAILURES_PER_IP", 30, minimum=1)
ADMIN_LOGIN_WINDOW_SECONDS = env_int("ADMIN_LOGIN_WINDOW_SECONDS", 15 * 60, minimum=1)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "INFO"}},
}
