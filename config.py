"""One Config read from environment variables (see README, "Environment variables")."""

import os
import secrets
from pathlib import Path

from flask_appbuilder.const import AUTH_DB

BASE_DIR = Path(__file__).resolve().parent
INSTANCE_DIR = Path(os.environ.get("KUNDREGISTER_INSTANCE", BASE_DIR / "instance"))


def _secret_key() -> str:
    """SECRET_KEY from the environment, else one generated once into instance/."""
    if os.environ.get("SECRET_KEY"):
        return os.environ["SECRET_KEY"]
    INSTANCE_DIR.mkdir(parents=True, exist_ok=True)
    key_file = INSTANCE_DIR / "secret_key"
    if not key_file.exists():
        key_file.write_text(secrets.token_hex(32))
        key_file.chmod(0o600)
    return key_file.read_text().strip()


def _bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _broker_url() -> str:
    """CELERY_BROKER_URL, else the rate limiter's Redis, else the server-less filesystem broker."""
    if os.environ.get("CELERY_BROKER_URL"):
        return os.environ["CELERY_BROKER_URL"]
    limiter = os.environ.get("RATELIMIT_STORAGE_URI", "")
    if limiter.startswith(("redis://", "rediss://", "unix://")):
        return limiter
    return "filesystem://"


def _password_policy(password: str) -> None:
    from app.security.passwords import fab_password_validator

    fab_password_validator(password)


class Config:
    SECRET_KEY = _secret_key()
    SQLALCHEMY_DATABASE_URI = os.environ.get(
        "DATABASE_URL", f"sqlite:///{INSTANCE_DIR / 'kundregister.db'}"
    )
    SQLALCHEMY_TRACK_MODIFICATIONS = False
    # Database errors are logged without the statement's values ([parameters: …] would put
    # submitted personal data, personnummer included, into the error log).
    SQLALCHEMY_ENGINE_OPTIONS = {"hide_parameters": True}
    # PostgreSQL: seconds before a connection attempt, a statement, or the wait for a pooled
    # connection gives up (the request then answers 503 instead of hanging).
    DATABASE_CONNECT_TIMEOUT = float(os.environ.get("DATABASE_CONNECT_TIMEOUT", "5"))
    DATABASE_STATEMENT_TIMEOUT = float(os.environ.get("DATABASE_STATEMENT_TIMEOUT", "30"))
    DATABASE_POOL_TIMEOUT = float(os.environ.get("DATABASE_POOL_TIMEOUT", "10"))
    # S3: connect/read timeouts (seconds) and attempts; a stuck store answers 503 within ~25 s.
    S3_CONNECT_TIMEOUT = float(os.environ.get("S3_CONNECT_TIMEOUT", "3"))
    S3_READ_TIMEOUT = float(os.environ.get("S3_READ_TIMEOUT", "10"))
    S3_MAX_ATTEMPTS = int(os.environ.get("S3_MAX_ATTEMPTS", "2"))

    # The schema belongs to Alembic; permissions are written by `flask init-security`.
    FAB_CREATE_DB = False
    FAB_UPDATE_PERMS = False
    FAB_SECURITY_MANAGER_CLASS = "app.security.manager.AppSecurityManager"
    AUTH_TYPE = AUTH_DB
    AUTH_ROLE_ADMIN = "Admin"
    AUTH_ROLE_PUBLIC = "Public"
    APP_NAME = "Kundregister"
    APP_THEME = ""
    # REST API (app/api): OpenAPI at /api/v1/_openapi, Swagger UI at /swagger/v1; personal API tokens
    # (`Authorization: Bearer kr_…`) through FAB's API-key hook, checked against our api_token table.
    FAB_API_SWAGGER_UI = True
    FAB_API_KEY_ENABLED = True
    FAB_API_KEY_PREFIXES = ["kr_"]
    FAB_API_MAX_PAGE_SIZE = 100
    API_RATE_LIMIT = os.environ.get("API_RATE_LIMIT", "600 per minute")  # per token (or address without one)
    RATELIMIT_HEADERS_ENABLED = True  # Retry-After on a 429

    # Swedish first; English selectable from the navbar.
    BABEL_DEFAULT_LOCALE = "sv"
    BABEL_TRANSLATION_DIRECTORIES = str(BASE_DIR / "translations")
    LANGUAGES = {
        "sv": {"flag": "se", "name": "Svenska"},
        "en": {"flag": "gb", "name": "English"},
    }

    WTF_CSRF_ENABLED = True
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = _bool("SESSION_COOKIE_SECURE", False)

    RATELIMIT_ENABLED = True
    RATELIMIT_STORAGE_URI = os.environ.get("RATELIMIT_STORAGE_URI", "memory://")
    AUTH_RATE_LIMITED = True
    # Redis down: the per-address login limit is skipped (logged) rather than every login failing
    # with a 500; failed logins per account go on being counted in each process (README).
    RATELIMIT_SWALLOW_ERRORS = True
    AUTH_RATE_LIMIT = os.environ.get("AUTH_RATE_LIMIT", "5 per minute")  # per IP
    AUTH_FAILED_LOGINS_PER_USERNAME = os.environ.get("AUTH_FAILED_LOGINS_PER_USERNAME", "5 per minute")
    FAB_PASSWORD_COMPLEXITY_ENABLED = True
    FAB_PASSWORD_COMPLEXITY_VALIDATOR = _password_policy
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SECURE = _bool("SESSION_COOKIE_SECURE", False)
    PUBLIC_URL = os.environ.get("PUBLIC_URL", "")
    # Flask checks the Host header against these (400 otherwise); see app/services/links.py.
    TRUSTED_HOSTS = [h.strip() for h in os.environ.get("TRUSTED_HOSTS", "").split(",") if h.strip()] or None

    STORAGE_BACKEND = os.environ.get("STORAGE_BACKEND", "local")
    UPLOAD_FOLDER = os.environ.get("UPLOAD_FOLDER", str(INSTANCE_DIR / "uploads"))
    S3_BUCKET = os.environ.get("S3_BUCKET")
    S3_ENDPOINT_URL = os.environ.get("S3_ENDPOINT_URL")
    S3_REGION = os.environ.get("S3_REGION")
    # Documents on S3 are downloaded through a short-lived presigned URL, or through the app when true.
    S3_PROXY_DOWNLOADS = _bool("S3_PROXY_DOWNLOADS", False)
    MAX_CONTENT_LENGTH = int(os.environ.get("MAX_UPLOAD_MB", "25")) * 1024 * 1024

    MAIL_SERVER = os.environ.get("MAIL_SERVER")
    MAIL_PORT = int(os.environ.get("MAIL_PORT", "25"))
    MAIL_FROM = os.environ.get("MAIL_FROM", "kundregister@localhost")

    # Accounting integrations (F28, F29) and company lookup (F3). Every base URL is configurable
    # so tests (and a customer's own proxy) can point elsewhere.
    FORTNOX_CLIENT_ID = os.environ.get("FORTNOX_CLIENT_ID")
    FORTNOX_CLIENT_SECRET = os.environ.get("FORTNOX_CLIENT_SECRET")
    FORTNOX_API_URL = os.environ.get("FORTNOX_API_URL", "https://api.fortnox.se/3")
    FORTNOX_AUTH_URL = os.environ.get("FORTNOX_AUTH_URL", "https://apps.fortnox.se/oauth-v1")
    VISMA_CLIENT_ID = os.environ.get("VISMA_CLIENT_ID")
    VISMA_CLIENT_SECRET = os.environ.get("VISMA_CLIENT_SECRET")
    VISMA_API_URL = os.environ.get("VISMA_API_URL", "https://eaccountingapi.vismaonline.com/v2")
    VISMA_AUTH_URL = os.environ.get("VISMA_AUTH_URL", "https://identity.vismaonline.com")
    COMPANY_LOOKUP_PROVIDER = os.environ.get("COMPANY_LOOKUP_PROVIDER", "bolagsverket")
    COMPANY_LOOKUP_URL = os.environ.get(
        "COMPANY_LOOKUP_URL", "https://gw.api.bolagsverket.se/vardefulla-datamangder/v1"
    )
    COMPANY_LOOKUP_TOKEN_URL = os.environ.get(
        "COMPANY_LOOKUP_TOKEN_URL", "https://portal.api.bolagsverket.se/oauth2/token"
    )
    COMPANY_LOOKUP_CLIENT_ID = os.environ.get("COMPANY_LOOKUP_CLIENT_ID")
    COMPANY_LOOKUP_CLIENT_SECRET = os.environ.get("COMPANY_LOOKUP_CLIENT_SECRET")
    # The second provider ("file"): a JSON file {"5560021361": {"name": …, "street": …, …}}.
    COMPANY_LOOKUP_FILE = os.environ.get("COMPANY_LOOKUP_FILE")
    # Background work (Celery, app/tasks.py). `filesystem://` is the embedded broker of `make run`:
    # message files in CELERY_BROKER_FOLDER, no server.
    CELERY_BROKER_URL = _broker_url()
    CELERY_BROKER_FOLDER = os.environ.get("CELERY_BROKER_FOLDER", str(INSTANCE_DIR / "broker"))
    # Run tasks in the calling process instead of sending them (scripts and tests without a worker).
    CELERY_TASK_ALWAYS_EAGER = _bool("CELERY_TASK_ALWAYS_EAGER", False)
    # A worker process whose heartbeat is older than this is gone: its jobs are resumed elsewhere.
    BACKGROUND_WORKER_TIMEOUT = float(os.environ.get("BACKGROUND_WORKER_TIMEOUT", "60"))
    # Queued this long with no live worker: the page says that background work is waiting.
    BACKGROUND_WAITING_AFTER = float(os.environ.get("BACKGROUND_WAITING_AFTER", "10"))
    # How often beat looks for interrupted or lost jobs, and delivers the outbox (seconds).
    BACKGROUND_RECOVER_EVERY = float(os.environ.get("BACKGROUND_RECOVER_EVERY", "30"))
    OUTBOX_DELIVER_EVERY = float(os.environ.get("OUTBOX_DELIVER_EVERY", "30"))
    # Seconds between pulls of the changes made in Fortnox / Visma eAccounting (beat).
    ACCOUNTING_PULL_EVERY = float(os.environ.get("ACCOUNTING_PULL_EVERY", "300"))
    # After Fortnox/Visma answered with an outage, its other queued changes wait this long
    # (seconds) without a call each; the HTTP clients' own retries per request and their back-off.
    ACCOUNTING_OUTAGE_PAUSE_SECONDS = float(os.environ.get("ACCOUNTING_OUTAGE_PAUSE_SECONDS", "30"))
    INTEGRATION_MAX_ATTEMPTS = int(os.environ.get("INTEGRATION_MAX_ATTEMPTS", "5"))
    INTEGRATION_RETRY_BACKOFF = float(os.environ.get("INTEGRATION_RETRY_BACKOFF", "0.5"))
    # Outbox: a failed message waits 2**attempts * this many seconds (at most 6 hours).
    OUTBOX_RETRY_BASE_SECONDS = float(os.environ.get("OUTBOX_RETRY_BASE_SECONDS", "60"))
    OUTBOX_LEASE_SECONDS = float(os.environ.get("OUTBOX_LEASE_SECONDS", "300"))
    # Exports of at least this many customers are written by a worker (a download link when ready).
    EXPORT_BACKGROUND_FROM = int(os.environ.get("EXPORT_BACKGROUND_FROM", "5000"))
    IMPORT_BATCH_SIZE = int(os.environ.get("IMPORT_BATCH_SIZE", "500"))
    JOBS_KEEP_DAYS = int(os.environ.get("JOBS_KEEP_DAYS", "7"))
