"""Django settings of the cabinet, read from ``KABINET_*`` environment variables.

Every variable is read and checked here, once, when the process starts; a
wrong value stops the start with an ``ImproperlyConfigured`` error that names
the variable. Durations carry their unit in the name. The list, with the
defaults, is in the README.

Development mode (``KABINET_DEBUG=1``) and the test runner get defaults that
make a bare checkout work: a SQLite file under ``./var/``, a generated secret
key, ``http://127.0.0.1:8000`` as the public URL. Outside them nothing secret
is ever defaulted: ``KABINET_SECRET_KEY`` and ``KABINET_PUBLIC_URL`` must be
given.
"""

from __future__ import annotations

import json
import os
import secrets
import sys
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

from django.core.exceptions import ImproperlyConfigured

PACKAGE_DIR = Path(__file__).resolve().parent

# ---------------------------------------------------------------------------
# Reading the environment


def _raw(name: str) -> str | None:
    value = os.environ.get(name)
    if value is None or value.strip() == "":
        return None
    return value.strip()


def _bool(name: str, default: bool) -> bool:
    value = _raw(name)
    if value is None:
        return default
    lowered = value.lower()
    if lowered in ("1", "true", "yes", "on"):
        return True
    if lowered in ("0", "false", "no", "off"):
        return False
    raise ImproperlyConfigured(
        f"{name}: expected 1/0, true/false, yes/no; got {value!r}"
    )


def _int(name: str, default: int, *, minimum: int, maximum: int) -> int:
    value = _raw(name)
    if value is None:
        return default
    try:
        number = int(value)
    except ValueError:
        raise ImproperlyConfigured(
            f"{name}: expected an integer, got {value!r}"
        ) from None
    if not minimum <= number <= maximum:
        raise ImproperlyConfigured(
            f"{name}: must be between {minimum} and {maximum}, got {number}"
        )
    return number


def _choice(name: str, default: str, choices: tuple[str, ...]) -> str:
    value = _raw(name)
    if value is None:
        return default
    if value not in choices:
        raise ImproperlyConfigured(f"{name}: expected one of {choices}, got {value!r}")
    return value


def _list(name: str, default: list[str]) -> list[str]:
    value = _raw(name)
    if value is None:
        return default
    return [item.strip() for item in value.split(",") if item.strip()]


def _directory(name: str, value: str) -> Path:
    path = Path(value).expanduser().resolve()
    if not path.is_dir():
        raise ImproperlyConfigured(f"{name}: {path} is not a directory")
    return path


def _origin(name: str, value: str, *, schemes: tuple[str, ...]) -> str:
    """An absolute URL reduced to scheme://host[:port], refusing anything more."""
    parts = urlsplit(value)
    if parts.scheme not in schemes or not parts.hostname:
        raise ImproperlyConfigured(
            f"{name}: expected an absolute {'/'.join(schemes)} URL, got {value!r}"
        )
    if parts.path not in ("", "/") or parts.query or parts.fragment:
        raise ImproperlyConfigured(
            f"{name}: expected an origin without path, query or fragment, got {value!r}"
        )
    if parts.username or parts.password:
        raise ImproperlyConfigured(f"{name}: must not carry a user name or password")
    try:
        port = parts.port
    except ValueError:
        raise ImproperlyConfigured(f"{name}: bad port in {value!r}") from None
    host = parts.hostname
    if ":" in host:
        host = f"[{host}]"
    return f"{parts.scheme}://{host}" + (f":{port}" if port is not None else "")


def _url(name: str, value: str, *, schemes: tuple[str, ...]) -> str:
    parts = urlsplit(value)
    if parts.scheme not in schemes or not parts.hostname:
        raise ImproperlyConfigured(
            f"{name}: expected an absolute {'/'.join(schemes)} URL, got {value!r}"
        )
    return value


def _database(name: str, url: str) -> dict[str, Any]:
    """A Django DATABASES entry from sqlite:///rel, sqlite:////abs or postgresql://."""
    parts = urlsplit(url)
    if parts.scheme == "sqlite":
        # sqlite:///var/db.sqlite3 is relative to the working directory,
        # sqlite:////srv/db.sqlite3 absolute (the usual database-URL reading).
        raw_path = unquote(parts.path)[1:]
        if not raw_path or raw_path == ":memory:":
            raise ImproperlyConfigured(
                f"{name}: a SQLite database must be a file (sqlite:///path), "
                "because worker threads and processes share it"
            )
        path = Path(raw_path).expanduser().resolve()
        path.parent.mkdir(parents=True, exist_ok=True)
        return {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": str(path),
            "OPTIONS": {
                # IMMEDIATE takes the write lock when a transaction starts, so
                # concurrent writers wait for the busy timeout instead of
                # failing on a lock upgrade; WAL lets readers run meanwhile.
                "timeout": 30,
                "transaction_mode": "IMMEDIATE",
                "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
            },
            "TEST": {"NAME": str(path.with_name(f"test-{path.name}"))},
        }
    if parts.scheme in ("postgresql", "postgres", "pgsql"):
        database = unquote(parts.path.lstrip("/"))
        if not database:
            raise ImproperlyConfigured(f"{name}: the PostgreSQL URL names no database")
        try:
            port = parts.port
        except ValueError:
            raise ImproperlyConfigured(
                f"{name}: bad port in the PostgreSQL URL"
            ) from None
        return {
            "ENGINE": "django.db.backends.postgresql",
            "NAME": database,
            "USER": unquote(parts.username or ""),
            "PASSWORD": unquote(parts.password or ""),
            "HOST": unquote(parts.hostname or ""),
            "PORT": str(port or ""),
            "OPTIONS": dict(parse_qsl(parts.query)),
            "CONN_HEALTH_CHECKS": True,
            "TEST": {"NAME": f"test_{database}"},
        }
    raise ImproperlyConfigured(
        f"{name}: expected a sqlite:/// or postgresql:// URL, got scheme "
        f"{parts.scheme or 'none'!r}"
    )


def _role_policy(name: str) -> dict[str, Any]:
    """The raw JSON object; its meaning is checked by kabinet.login.roles."""
    value = _raw(name)
    if value is None:
        return {}
    try:
        parsed = json.loads(value)
    except json.JSONDecodeError as error:
        raise ImproperlyConfigured(f"{name}: not valid JSON ({error.msg})") from None
    if not isinstance(parsed, dict):
        raise ImproperlyConfigured(f"{name}: expected a JSON object keyed by role")
    return parsed


def _secret_key(development: bool, var_dir: Path) -> str:
    value = _raw("KABINET_SECRET_KEY")
    key_file = _raw("KABINET_SECRET_KEY_FILE")
    if value is not None and key_file is not None:
        raise ImproperlyConfigured(
            "KABINET_SECRET_KEY_FILE: give either it or KABINET_SECRET_KEY, not both"
        )
    if key_file is not None:
        try:
            value = Path(key_file).read_text(encoding="utf-8").strip()
        except OSError as error:
            raise ImproperlyConfigured(
                f"KABINET_SECRET_KEY_FILE: cannot read {key_file} ({error.strerror})"
            ) from None
    if value is not None:
        if len(value) < 32:
            raise ImproperlyConfigured(
                "KABINET_SECRET_KEY: must be at least 32 characters long"
            )
        return value
    if _TESTING:
        return secrets.token_urlsafe(50)
    if not development:
        raise ImproperlyConfigured(
            "KABINET_SECRET_KEY: required outside development (KABINET_DEBUG=1)"
        )
    # Development keeps one generated key in ./var so that restarts of the
    # development server keep their sessions.
    path = var_dir / "dev-secret-key"
    if not path.exists():
        path.write_text(secrets.token_urlsafe(50), encoding="utf-8")
        path.chmod(0o600)
    return path.read_text(encoding="utf-8").strip()


# The test runner and the type checker (whose Django plugin loads these
# settings) need no configuration: they get a fresh random key per run, which
# no deployment can inherit, and the development defaults below. Neither
# tool is ever loaded in a serving process.
_TESTING = "pytest" in sys.modules or "mypy" in sys.modules or sys.argv[1:2] == ["test"]

# ---------------------------------------------------------------------------
# Mode, secrets, hosts

DEBUG = _bool("KABINET_DEBUG", False)
_DEVELOPMENT = DEBUG or _TESTING

VAR_DIR = Path(_raw("KABINET_VAR_DIR") or "var").expanduser().resolve()
VAR_DIR.mkdir(parents=True, exist_ok=True)

SECRET_KEY = _secret_key(_DEVELOPMENT, VAR_DIR)

_public_url = _raw("KABINET_PUBLIC_URL")
if _public_url is None and not _DEVELOPMENT:
    raise ImproperlyConfigured(
        "KABINET_PUBLIC_URL: required outside development; the login statement "
        "and the QR code carry it"
    )
KABINET_PUBLIC_URL = _origin(
    "KABINET_PUBLIC_URL",
    _public_url or "http://127.0.0.1:8000",
    schemes=("https", "http") if _DEVELOPMENT else ("https",),
)
_public_host = urlsplit(KABINET_PUBLIC_URL).hostname or ""
# Development mode trusts the NCA test keys by default, shows tracebacks and
# drops the Secure flag; an https public URL means a real deployment, so the
# two together are a mistake to stop, not a configuration to run.
if DEBUG and KABINET_PUBLIC_URL.startswith("https://"):
    raise ImproperlyConfigured(
        "KABINET_DEBUG: development mode serves plain http only; unset it for "
        f"the https KABINET_PUBLIC_URL {KABINET_PUBLIC_URL}"
    )

ALLOWED_HOSTS = _list(
    "KABINET_ALLOWED_HOSTS",
    [_public_host, "127.0.0.1", "localhost"] if _DEVELOPMENT else [_public_host],
)
CSRF_TRUSTED_ORIGINS = [KABINET_PUBLIC_URL]

# Number of reverse proxies in front of the application that append to
# X-Forwarded-For; 0 means the peer address is the client's.
KABINET_PROXY_COUNT = _int("KABINET_PROXY_COUNT", 0, minimum=0, maximum=5)
if KABINET_PROXY_COUNT:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# ---------------------------------------------------------------------------
# Applications

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "kabinet.accounts",
    "kabinet.login",
    "kabinet.login.qr",
    "kabinet.cabinet",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "kabinet.cabinet.middleware.SecurityHeadersMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "kabinet.cabinet.middleware.LanguageMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "kabinet.accounts.middleware.SessionGuardMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "kabinet.urls"
WSGI_APPLICATION = "kabinet.wsgi.application"
AUTH_USER_MODEL = "accounts.User"
# Django's model backend with a brake on guessing staff passwords.
AUTHENTICATION_BACKENDS = ["kabinet.login.staff.ThrottledModelBackend"]
LOGIN_URL = "/login/"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [PACKAGE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "kabinet.cabinet.context.site",
            ],
        },
    },
]

# ---------------------------------------------------------------------------
# Database

DATABASES = {
    "default": _database(
        "KABINET_DATABASE_URL",
        _raw("KABINET_DATABASE_URL") or f"sqlite:///{VAR_DIR / 'kabinet.sqlite3'}",
    )
}

# ---------------------------------------------------------------------------
# Sessions and cookies

KABINET_SESSION_IDLE_TIMEOUT_SECONDS = _int(
    "KABINET_SESSION_IDLE_TIMEOUT_SECONDS", 1800, minimum=60, maximum=86400
)
KABINET_SESSION_ABSOLUTE_TIMEOUT_SECONDS = _int(
    "KABINET_SESSION_ABSOLUTE_TIMEOUT_SECONDS", 43200, minimum=300, maximum=7 * 86400
)
if KABINET_SESSION_IDLE_TIMEOUT_SECONDS > KABINET_SESSION_ABSOLUTE_TIMEOUT_SECONDS:
    raise ImproperlyConfigured(
        "KABINET_SESSION_IDLE_TIMEOUT_SECONDS: must not exceed "
        "KABINET_SESSION_ABSOLUTE_TIMEOUT_SECONDS"
    )

KABINET_COOKIE_SECURE = _bool("KABINET_COOKIE_SECURE", not DEBUG)

SESSION_ENGINE = "django.contrib.sessions.backends.db"
SESSION_COOKIE_NAME = "kabinet_session"
SESSION_COOKIE_AGE = KABINET_SESSION_ABSOLUTE_TIMEOUT_SECONDS
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_SECURE = KABINET_COOKIE_SECURE

# The page reads the CSRF token from the document, never from the cookie,
# so the cookie can stay out of reach of scripts.
CSRF_COOKIE_NAME = "kabinet_csrf"
CSRF_COOKIE_HTTPONLY = True
CSRF_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SECURE = KABINET_COOKIE_SECURE
CSRF_FAILURE_VIEW = "kabinet.login.views.csrf_failure"

LANGUAGE_COOKIE_NAME = "kabinet_language"
LANGUAGE_COOKIE_HTTPONLY = True
LANGUAGE_COOKIE_SAMESITE = "Lax"
LANGUAGE_COOKIE_SECURE = KABINET_COOKIE_SECURE
LANGUAGE_COOKIE_AGE = 365 * 86400

# RFC 6797: a browser that reached the cabinet over https keeps to https
# for a year, so a network attacker cannot strip TLS from a later visit.
# Django sends it on https requests only (behind a reverse proxy: set
# KABINET_PROXY_COUNT, which trusts its X-Forwarded-Proto).
SECURE_HSTS_SECONDS = 0 if DEBUG else 365 * 86400
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

# Large enough for any signed login document (kabinet.pki.asn1 refuses more
# than 1 MiB itself); the login endpoints set their own smaller limits.
DATA_UPLOAD_MAX_MEMORY_SIZE = 1024 * 1024

# ---------------------------------------------------------------------------
# Languages and time

LANGUAGE_CODE = "ru"
LANGUAGES = [("ru", "Русский"), ("kk", "Қазақша"), ("en", "English")]
LOCALE_PATHS = [PACKAGE_DIR / "locale"]
USE_I18N = True
USE_TZ = True
TIME_ZONE = "Asia/Almaty"

STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
STATICFILES_DIRS = [PACKAGE_DIR / "static"]
# Whether the application serves /static/ itself (development, browser tests);
# in production a web server serves the collected files from STATIC_ROOT.
KABINET_SERVE_STATIC = _bool("KABINET_SERVE_STATIC", DEBUG)

# ---------------------------------------------------------------------------
# Signature verification

KABINET_TRUST = _raw("KABINET_TRUST") or ("test" if DEBUG else "production")
if KABINET_TRUST not in ("production", "test"):
    KABINET_TRUST = str(_directory("KABINET_TRUST", KABINET_TRUST))
KABINET_TRUST_HOME = (
    Path(_raw("KABINET_TRUST_HOME") or VAR_DIR / "trust").expanduser().resolve()
)

KABINET_REVOCATION = _choice(
    "KABINET_REVOCATION", "ocsp-then-crl", ("ocsp-then-crl", "ocsp", "crl", "off")
)
_crl_dir = _raw("KABINET_CRL_DIR")
KABINET_CRL_DIR = None if _crl_dir is None else _directory("KABINET_CRL_DIR", _crl_dir)
_ocsp_url = _raw("KABINET_OCSP_URL")
KABINET_OCSP_URL = (
    None
    if _ocsp_url is None
    else _url("KABINET_OCSP_URL", _ocsp_url, schemes=("http", "https"))
)
KABINET_OCSP_TIMEOUT_SECONDS = _int(
    "KABINET_OCSP_TIMEOUT_SECONDS", 5, minimum=1, maximum=25
)
KABINET_REVOCATION_CACHE_SECONDS = _int(
    "KABINET_REVOCATION_CACHE_SECONDS", 300, minimum=0, maximum=3600
)
KABINET_REVOCATION_CLOCK_SKEW_SECONDS = _int(
    "KABINET_REVOCATION_CLOCK_SKEW_SECONDS", 300, minimum=0, maximum=3600
)
KABINET_CRL_REFRESH_SECONDS = _int(
    "KABINET_CRL_REFRESH_SECONDS", 3600, minimum=60, maximum=7 * 86400
)
# No revocation request starts after this many seconds of one check; with
# the timeout and its one retry, a check ends within budget + 2 x timeout,
# inside the 30 s the eGov app's Smart Bridge allows.
KABINET_REVOCATION_NETWORK_BUDGET_SECONDS = _int(
    "KABINET_REVOCATION_NETWORK_BUDGET_SECONDS", 10, minimum=1, maximum=60
)

# ---------------------------------------------------------------------------
# The login

KABINET_NCALAYER_URL = _origin(
    "KABINET_NCALAYER_URL",
    _raw("KABINET_NCALAYER_URL") or "wss://127.0.0.1:13579",
    schemes=("wss", "ws"),
)
# Key storages NCALayer may offer (PKCS12, AKKaztokenStore, ...); empty means
# every storage NCALayer knows.
KABINET_NCALAYER_STORAGES = _list("KABINET_NCALAYER_STORAGES", [])

# A challenge lives at most five minutes: long enough for NCALayer's dialog
# and a password, short enough that a leaked one is soon worthless.
KABINET_CHALLENGE_TTL_SECONDS = _int(
    "KABINET_CHALLENGE_TTL_SECONDS", 300, minimum=30, maximum=300
)

KABINET_ROLE_POLICY = _role_policy("KABINET_ROLE_POLICY")

KABINET_RATE_LIMIT_WINDOW_SECONDS = _int(
    "KABINET_RATE_LIMIT_WINDOW_SECONDS", 300, minimum=10, maximum=86400
)
KABINET_RATE_LIMIT_IP_ATTEMPTS = _int(
    "KABINET_RATE_LIMIT_IP_ATTEMPTS", 30, minimum=1, maximum=100000
)
KABINET_RATE_LIMIT_IP_CHALLENGES = _int(
    "KABINET_RATE_LIMIT_IP_CHALLENGES", 60, minimum=1, maximum=100000
)
KABINET_RATE_LIMIT_IIN_ATTEMPTS = _int(
    "KABINET_RATE_LIMIT_IIN_ATTEMPTS", 10, minimum=1, maximum=100000
)
KABINET_RATE_LIMIT_STAFF_FAILURES = _int(
    "KABINET_RATE_LIMIT_STAFF_FAILURES", 5, minimum=1, maximum=1000
)

# ---------------------------------------------------------------------------
# The bank (page header; the QR login names it to the eGov apps)

KABINET_BANK_NAME_RU = _raw("KABINET_BANK_NAME_RU") or "АО «Банк Развития Казахстана»"
KABINET_BANK_NAME_KK = _raw("KABINET_BANK_NAME_KK") or "«Қазақстанның Даму Банкі» АҚ"
KABINET_BANK_NAME_EN = _raw("KABINET_BANK_NAME_EN") or "Development Bank of Kazakhstan"
KABINET_BANK_BIN = _raw("KABINET_BANK_BIN")
if KABINET_BANK_BIN is not None and not (
    len(KABINET_BANK_BIN) == 12
    and KABINET_BANK_BIN.isascii()
    and KABINET_BANK_BIN.isdigit()
):
    raise ImproperlyConfigured("KABINET_BANK_BIN: expected 12 digits")

# ---------------------------------------------------------------------------
# Logging

KABINET_LOG_LEVEL = _choice(
    "KABINET_LOG_LEVEL", "INFO", ("DEBUG", "INFO", "WARNING", "ERROR")
)
LOGGING: dict[str, Any] = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"},
    },
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": "plain"},
    },
    "loggers": {
        "kabinet": {
            "handlers": ["console"],
            "level": KABINET_LOG_LEVEL,
            "propagate": False,
        },
        "django.security": {
            "handlers": ["console"],
            "level": "WARNING",
            "propagate": False,
        },
    },
}
