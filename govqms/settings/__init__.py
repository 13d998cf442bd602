"""Settings, read from the environment. With no environment at all GovQMS runs embedded:
SQLite (WAL) in ./data, Celery tasks run eagerly in-process, DEBUG off unless asked for.

Environment variables (all optional):
  DATABASE_URL        postgres://user@127.0.0.1:5432/govqms (default: SQLite in the data dir)
  SECRET_KEY          set it in production; the embedded default uses a fixed local key
  DEBUG               1/0
  ALLOWED_HOSTS       comma-separated
  CELERY_BROKER_URL   redis://... or amqp://...; empty = eager in-process tasks
  GOVQMS_DATA_DIR     where the SQLite file and media live (default ./data)
  GOVQMS_REQUIRE_ADMIN_2FA  1/0, administrators must pass TOTP (default 1)
  CACHE_URL           redis://host:6379/1 to share the cache (the lookup throttle's counters)
                      between processes and nodes; empty = memory of each process
  GOVQMS_LOOKUP_RATE, GOVQMS_LOOKUP_MISS_RATE, GOVQMS_LOOKUP_EXEMPT_NETWORKS
                      the public lookup throttle (below; docs/security.md)
"""

import os
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent
PROJECT_DIR = BASE_DIR.parent


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: list[str]) -> list[str]:
    value = os.environ.get(name)
    if not value:
        return default
    return [item.strip() for item in value.split(",") if item.strip()]


DEBUG = env_bool("DEBUG", False)
DATA_DIR = Path(os.environ.get("GOVQMS_DATA_DIR", PROJECT_DIR / "data"))

SECRET_KEY = os.environ.get("SECRET_KEY") or "embedded-insecure-key-set-SECRET_KEY-in-production"
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]", "testserver"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_htmx",
    "axes",
    "govqms.core",
    "govqms.org",
    "govqms.accounts",
    "govqms.workdays",
    "govqms.procedures",
    "govqms.dossiers",
    "govqms.kpi",
    "govqms.quality",
    "govqms.web",
    "govqms.portal",
    "govqms.demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "govqms.core.middleware.RequestIdMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "govqms.core.middleware.VietnameseFirstMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "govqms.accounts.middleware.AdminTwoFactorMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "govqms.urls"
WSGI_APPLICATION = "govqms.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "govqms.web.context_processors.navigation",
            ],
        },
    },
]

# --- Database ---------------------------------------------------------------------------
DATABASE_URL = os.environ.get("DATABASE_URL", "")
if DATABASE_URL:
    DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=60)}
    if DATABASES["default"]["ENGINE"].endswith("postgresql"):
        # No JIT: the indicator reads are short aggregates over indexes, where compiling the
        # query costs more than it saves (~130 ms on a 5 M-dossier province, docs/benchmarks.md).
        DATABASES["default"].setdefault("OPTIONS", {}).setdefault("options", "-c jit=off")
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": DATA_DIR / "govqms.sqlite3",
            "OPTIONS": {
                # WAL lets readers and the one writer work side by side.
                "init_command": (
                    "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA busy_timeout=5000;"
                ),
                "transaction_mode": "IMMEDIATE",
            },
        }
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Cache ------------------------------------------------------------------------------
# It holds the counters of the public lookup throttle. The default is the memory of each
# process: right for the embedded server (one process), but with N worker processes or nodes a
# client gets up to N times the limit. CACHE_URL=redis://… shares it (Django's Redis backend
# needs the `redis` package, which a Redis Celery broker installs anyway).
CACHE_URL = os.environ.get("CACHE_URL", "")
if CACHE_URL.startswith(("redis://", "rediss://", "unix://")):
    CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": CACHE_URL}
    }
elif CACHE_URL:
    raise ImproperlyConfigured("CACHE_URL must start with redis://, rediss:// or unix://")
else:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": "govqms",
            # Django's default of 300 entries would cull live counters on a busy day.
            "OPTIONS": {"MAX_ENTRIES": 100_000},
        }
    }

# --- Accounts & security -----------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "web:home"
LOGOUT_REDIRECT_URL = "accounts:login"

# Login throttling (django-axes): lock a username+IP pair after 5 failures for 15 minutes.
AXES_FAILURE_LIMIT = int(os.environ.get("AXES_FAILURE_LIMIT", "5"))
AXES_COOLOFF_TIME = 0.25  # hours
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "accounts/locked_out.html"

GOVQMS_REQUIRE_ADMIN_2FA = env_bool("GOVQMS_REQUIRE_ADMIN_2FA", True)

# Public figures (transparency portal, open data): a count from 1 to this minus 1 is never
# published, and cells that would let it be worked out are hidden too; every hidden cell reads
# "x" (govqms/portal/disclosure.py, docs/open-data.md).
GOVQMS_PUBLIC_MIN_COUNT = int(os.environ.get("GOVQMS_PUBLIC_MIN_COUNT", "5"))
# The licence of the open data (/open-data/): the agency's choice; CC BY 4.0 by default.
GOVQMS_OPEN_DATA_LICENSE = os.environ.get(
    "GOVQMS_OPEN_DATA_LICENSE", "https://creativecommons.org/licenses/by/4.0/"
)
OTP_TOTP_ISSUER = "GovQMS"

# The public dossier lookup (/tra-cuu/ and GET /api/v1/public/dossiers/{code}) is throttled per
# client address (REMOTE_ADDR; an IPv6 address per /64) so that the sequential dossier codes
# cannot be walked through: "<count>/<n><s|m|h|d>" per fixed window, or "off". Every lookup
# counts against the first rate; lookups of unknown codes also against the second, lower one.
# X-Forwarded-For is not trusted: behind a reverse proxy, REMOTE_ADDR must carry the client's
# address (docs/security.md). Exempt networks (CIDR, comma-separated): e.g. the kiosks of the
# one-stop centre behind one address.
GOVQMS_LOOKUP_RATE = os.environ.get("GOVQMS_LOOKUP_RATE") or "30/10m"
GOVQMS_LOOKUP_MISS_RATE = os.environ.get("GOVQMS_LOOKUP_MISS_RATE") or "10/10m"
GOVQMS_LOOKUP_EXEMPT_NETWORKS = env_list("GOVQMS_LOOKUP_EXEMPT_NETWORKS", [])

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", False)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
X_FRAME_OPTIONS = "DENY"
# Request bodies: a full batch of 10,000 events (POST /api/v1/dossiers/events/batch, the most
# the endpoint takes) is 3-4 MB of JSON, over Django's 2.5 MB default; 16 MB leaves room for
# long reasons and data while still refusing absurd bodies before they are parsed.
DATA_UPLOAD_MAX_MEMORY_SIZE = 16 * 1024 * 1024

# --- Language and time --------------------------------------------------------------------
LANGUAGE_CODE = "vi"
LANGUAGES = [("vi", _("Tiếng Việt")), ("en", _("English"))]
LOCALE_PATHS = [PROJECT_DIR / "locale"]
USE_I18N = True
TIME_ZONE = "Asia/Ho_Chi_Minh"
USE_TZ = True

# --- Static files (served locally; no CDN) -------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = DATA_DIR / "staticfiles"
MEDIA_ROOT = DATA_DIR / "media"
for _folder in (DATA_DIR, STATIC_ROOT):
    _folder.mkdir(parents=True, exist_ok=True)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True

# --- Celery ---------------------------------------------------------------------------------
CELERY_BROKER_URL = os.environ.get("CELERY_BROKER_URL", "")
CELERY_TASK_ALWAYS_EAGER = not CELERY_BROKER_URL
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_TIMEZONE = TIME_ZONE

# --- Logging ----------------------------------------------------------------------------------
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {"axes": {"level": "WARNING"}},
}
