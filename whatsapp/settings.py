"""Settings for the messenger: one module, every deployment choice read from the environment.

Unset variables mean the embedded default: SQLite, the in-memory channel layer and local media.
"""

import ipaddress
import os
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent


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


DEBUG = env_bool("DJANGO_DEBUG", True)
SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("DJANGO_SECRET_KEY must be set when DJANGO_DEBUG=0")
    SECRET_KEY = "django-insecure-development-key-do-not-use-in-production"

ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]", "testserver"])
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS", [])
# Proxies (addresses or networks) whose X-Forwarded-For is believed (whatsapp/clientip.py);
# none by default: the peer address is the client.
TRUSTED_PROXIES = env_list("DJANGO_TRUSTED_PROXIES", [])
try:
    for _proxy in TRUSTED_PROXIES:
        ipaddress.ip_network(_proxy, strict=False)
except ValueError as exc:
    raise ImproperlyConfigured(f"DJANGO_TRUSTED_PROXIES: {exc}") from exc

INSTALLED_APPS = [
    "daphne",
    # Before django.contrib.auth: its `changepassword` command overrides auth's.
    "accounts",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    "channels",
    "chats",
    "attachments",
    "groups",
    "communities",
    "stories",
    "calls",
    "moderation",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "whatsapp.middleware.ContentSecurityPolicyMiddleware",
]

ROOT_URLCONF = "whatsapp.urls"
WSGI_APPLICATION = "whatsapp.wsgi.application"
ASGI_APPLICATION = "whatsapp.asgi.application"

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
                "whatsapp.context_processors.app_urls",
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.config(
        default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}",
        conn_max_age=int(os.environ.get("DJANGO_CONN_MAX_AGE", "0")),
    )
}
# A psycopg connection pool per server process (PostgreSQL only; CONN_MAX_AGE must stay 0).
# Under ASGI every HTTP request runs on a thread of its own, so persistent connections
# (CONN_MAX_AGE > 0) pile up one per request thread until PostgreSQL refuses more ("too many
# clients": docs/performance.md); a pool hands each request and each socket frame a warm
# connection and takes it back.
DB_POOL_MAX_SIZE = int(os.environ.get("DJANGO_DB_POOL_MAX_SIZE", "0"))
if DB_POOL_MAX_SIZE and DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    DATABASES["default"].setdefault("OPTIONS", {})["pool"] = {
        "min_size": 2,
        "max_size": DB_POOL_MAX_SIZE,
        "timeout": 20,
    }
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # Parameters travel beside the query, dumped by psycopg's C code, instead of being quoted
    # into it in Python: a send batch's INSERT spent most of its CPU quoting its arrays
    # (docs/performance.md, item 25).
    DATABASES["default"].setdefault("OPTIONS", {})["server_side_binding"] = True
    # A statement run more than this many times on a connection is prepared there: PostgreSQL
    # parses and plans it once (a send batch's database time: -15-25%, docs/performance.md
    # item 29). "0" turns it off, for a pooler that cannot keep prepared statements (PgBouncer
    # before 1.21 in transaction mode).
    DATABASES["default"]["OPTIONS"]["prepare_threshold"] = (
        int(os.environ.get("DJANGO_DB_PREPARE_THRESHOLD", "5")) or None
    )
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL and a busy timeout let the ASGI server's threads write while others read.
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
    }
    # A file, not memory: the browser tests' live server runs in another process.
    DATABASES["default"]["TEST"] = {
        "NAME": os.environ.get("DJANGO_TEST_DB_NAME", str(BASE_DIR / "test-db.sqlite3"))
    }

REDIS_URL = os.environ.get("REDIS_URL", "")
if REDIS_URL:
    # "pubsub" (default): Redis pub/sub. A group_send is one PUBLISH, and each server process
    # receives it once, pushed to it, and hands it to its own sockets in the group: a
    # 1,024-member group costs one PUBLISH. Nothing is queued in Redis, which suits a layer
    # that is only a doorbell (everything is stored first; `sync` replays what a socket
    # missed). "list": channels_redis' queue layer, which receives with several Redis round
    # trips per message, one message at a time per process: measured 5-20x slower here
    # (docs/performance.md).
    CHANNEL_LAYER = os.environ.get("CHANNEL_LAYER", "pubsub")
    if CHANNEL_LAYER == "pubsub":
        CHANNEL_LAYERS = {
            "default": {
                "BACKEND": "whatsapp.channel_layer.RedisPubSubChannelLayer",
                "CONFIG": {"hosts": [{"address": REDIS_URL}]},
            }
        }
    else:
        CHANNEL_LAYERS = {
            "default": {
                # channels_redis on a blocking connection pool (bursts wait, see the module).
                "BACKEND": "whatsapp.channel_layer.RedisChannelLayer",
                "CONFIG": {
                    # redis-py 8 reads with a 5 s socket timeout by default, exactly as long as
                    # channels_redis blocks waiting for a message: every idle socket's consumer
                    # would die with "Timeout reading". Reads must outlast that wait.
                    "hosts": [
                        {
                            "address": REDIS_URL,
                            "socket_timeout": 30,
                            "max_connections": int(os.environ.get("REDIS_MAX_CONNECTIONS", "100")),
                        }
                    ],
                    # Bursts to one socket must not be dropped at channels_redis' default of 100.
                    "capacity": int(os.environ.get("CHANNEL_LAYER_CAPACITY", "5000")),
                    "expiry": 60,
                    "group_expiry": 86400,
                },
            }
        }
    CACHES = {
        "default": {
            # Django's Redis cache sharing one connection pool per process (see the module).
            "BACKEND": "whatsapp.cache.RedisCache",
            "LOCATION": REDIS_URL,
        }
    }
else:
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = ["django.contrib.auth.backends.ModelBackend"]
# Every path that sets a password runs these: sign-up, a password change, staff's reset in
# the admin, the admin's add form, createsuperuser and changepassword.
AUTH_PASSWORD_VALIDATORS = [
    {
        "NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator",
        "OPTIONS": {"user_attributes": ("phone_number", "name")},
    },
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "accounts.validators.NotBlankPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "/login/"
LOGIN_REDIRECT_URL = "/"
LOGOUT_REDIRECT_URL = "/login/"

# Region used to parse phone numbers typed without a leading "+".
PHONE_NUMBER_DEFAULT_REGION = os.environ.get("PHONE_NUMBER_DEFAULT_REGION", "US")

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
# Serve straight from the finders when nothing was collected, so `runserver` and daphne work
# before any `collectstatic`.
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG

MEDIA_URL = "/media/"
MEDIA_ROOT = Path(os.environ.get("DJANGO_MEDIA_ROOT", BASE_DIR / "media"))

AWS_STORAGE_BUCKET_NAME = os.environ.get("AWS_STORAGE_BUCKET_NAME", "")
if AWS_STORAGE_BUCKET_NAME:
    default_storage = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": AWS_STORAGE_BUCKET_NAME,
            "endpoint_url": os.environ.get("AWS_S3_ENDPOINT_URL") or None,
            "access_key": os.environ.get("AWS_ACCESS_KEY_ID") or None,
            "secret_key": os.environ.get("AWS_SECRET_ACCESS_KEY") or None,
            "region_name": os.environ.get("AWS_S3_REGION_NAME") or None,
            "default_acl": None,
            "querystring_auth": True,
            "querystring_expire": 300,
            "file_overwrite": False,
        },
    }
else:
    default_storage = {"BACKEND": "django.core.files.storage.FileSystemStorage"}
STORAGES = {
    "default": default_storage,
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}

# Uploads: each file at most this many bytes (413 beyond).
MAX_UPLOAD_SIZE = int(os.environ.get("MAX_UPLOAD_SIZE", str(16 * 1024 * 1024)))
# Per message (one request): at most this many files, and this many bytes of them (413 beyond).
MAX_UPLOAD_FILES = int(os.environ.get("MAX_UPLOAD_FILES", "10"))
MAX_UPLOAD_TOTAL_SIZE = int(os.environ.get("MAX_UPLOAD_TOTAL_SIZE", str(32 * 1024 * 1024)))
# A request body beyond this is refused (413) before it is read (whatsapp/request_limits.py).
MAX_REQUEST_BODY_SIZE = max(MAX_UPLOAD_TOTAL_SIZE, MAX_UPLOAD_SIZE) + 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = MAX_UPLOAD_SIZE + 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 2_621_440
# Message text limit, in characters.
MESSAGE_MAX_LENGTH = 65_536
# How long after sending its sender may edit a message, and delete it for everyone (seconds;
# WhatsApp: 15 minutes and about two days).
MESSAGE_EDIT_WINDOW_SECONDS = int(os.environ.get("MESSAGE_EDIT_WINDOW_SECONDS", 15 * 60))
MESSAGE_DELETE_WINDOW_SECONDS = int(os.environ.get("MESSAGE_DELETE_WINDOW_SECONDS", 2 * 24 * 3600))
# Reports one user may send per hour (then 429 with Retry-After).
REPORTS_PER_HOUR = int(os.environ.get("REPORTS_PER_HOUR", "10"))
# Members per group (WhatsApp's limit); adding beyond it is a 400.
GROUP_MAX_MEMBERS = int(os.environ.get("GROUP_MAX_MEMBERS", "1024"))
# Messages (1:1, group, forwards) one user may send per window, over the socket, REST and pages
# together ("count/seconds"): beyond it `rate_limited` / 429. See whatsapp/ratelimit.py.
MESSAGE_SEND_RATE = os.environ.get("MESSAGE_SEND_RATE", "30/10s")
# Frames of any kind one socket may send: a token bucket of this size, refilled over the window.
WS_FRAME_RATE = os.environ.get("WS_FRAME_RATE", "200/10s")
# Sockets one user may hold open at once, over every server process (whatsapp/sockets.py): one
# more is closed with 4429 as soon as it opens.
WS_MAX_SOCKETS_PER_USER = int(os.environ.get("WS_MAX_SOCKETS_PER_USER", "20"))
# Data exports (API and profile page together) one user may download per window: 429 beyond.
EXPORT_RATE = os.environ.get("EXPORT_RATE", "5/h")
# Phone numbers one user may look up per window (users/?phone_number=, and adding a contact by
# number over REST or the contacts page): beyond it `rate_limited` / 429 with Retry-After.
PHONE_LOOKUP_RATE = os.environ.get("PHONE_LOOKUP_RATE", "60/h")
# Threads per server process running the sockets' database work (whatsapp/db.py): frames of
# different sockets overlap their database round trips. Each keeps its own connection.
DB_THREADS = int(os.environ.get("DJANGO_DB_THREADS", "8"))
# How long a server process's thread may hold the GIL while another waits for it, in ms
# (Python's default is 5): the event loop and the database threads hand it over sooner, which
# took the 1:1 p99 at 2,000 msg/s from 97 to 61 ms (docs/performance.md, item 37).
SWITCH_INTERVAL_MS = float(os.environ.get("DJANGO_SWITCH_INTERVAL_MS", "1"))

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "accounts.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "whatsapp.api.exception_handler",
    # DRF's own get_ident believes any X-Forwarded-For when this is unset; the project's
    # throttles use whatsapp.clientip instead, and any other keys on the peer address.
    "NUM_PROXIES": 0,
    "DEFAULT_THROTTLE_RATES": {
        "login": os.environ.get("LOGIN_THROTTLE_RATE", "10/min"),
        # Failed log-ins on one phone number, from whatever addresses.
        "login_account": os.environ.get("LOGIN_ACCOUNT_THROTTLE_RATE", "20/hour"),
        "register": os.environ.get("REGISTER_THROTTLE_RATE", "10/min"),
    },
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
}

SPECTACULAR_SETTINGS = {
    "TITLE": "WhatsApp-style messenger API",
    "DESCRIPTION": (
        "REST API of the messenger. Authenticate with `Authorization: Token <key>` "
        "(from POST /api/v1/auth/token/) or the browser session. Realtime frames are "
        "documented in docs/api.md."
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "whatsapp.schema.document_common_errors",
    ],
    # <id:...> in URLs (whatsapp/converters.py): a database id.
    "PATH_CONVERTER_OVERRIDES": {
        "id": {"type": "integer", "minimum": 0, "maximum": 2**63 - 1},
    },
    "ENUM_NAME_OVERRIDES": {
        "CallStatusEnum": "calls.models.Call.Status",
        "CallTypeEnum": "calls.models.Call.CallType",
        "ReportKindEnum": "moderation.models.Report.Kind",
        "ReportReasonEnum": "moderation.models.Report.Reason",
        "ReportStatusEnum": "moderation.models.Report.Status",
        "MediaKindEnum": ["image", "video", "audio", "document"],
    },
}

# WebRTC ICE servers handed to the browser (JSON list of RTCIceServer dicts); none by default.
WEBRTC_ICE_SERVERS = os.environ.get("WEBRTC_ICE_SERVERS", "[]")
# An unanswered call becomes "missed" after this many seconds of ringing.
CALL_RING_TIMEOUT_SECONDS = int(os.environ.get("CALL_RING_TIMEOUT_SECONDS", "45"))
# Calls one user may start per window (refused attempts included): beyond it `rate_limited` /
# 429 with Retry-After. Written like MESSAGE_SEND_RATE (whatsapp/ratelimit.py).
CALL_RATE = os.environ.get("CALL_RATE", "10/min")

if not DEBUG:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env_bool("DJANGO_SECURE_SSL_REDIRECT", True)
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = int(os.environ.get("DJANGO_HSTS_SECONDS", "31536000"))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SECURE_CONTENT_TYPE_NOSNIFF = True
    SECURE_REFERRER_POLICY = "same-origin"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("DJANGO_LOG_LEVEL", "WARNING")},
    # Django's own console handler would print every django.* line a second time beside root's.
    "loggers": {
        "django": {"handlers": [], "level": "INFO"},
        # pypdf warns about every repair it makes while attachments.sniffing checks an uploaded PDF.
        "pypdf": {"level": "ERROR"},
    },
}
