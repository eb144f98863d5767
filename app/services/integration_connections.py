"""Connecting, testing and configuring the accounting systems (Settings → Integrations).

The views and the CLI call these; no request object in here. Tokens are stored only through
`app.integrations.store` (encrypted).
"""

import secrets
from collections.abc import Callable
from dataclasses import dataclass

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from ..extensions import db
from ..integrations import fortnox, visma
from ..integrations.errors import IntegrationError, NotConfigured
from ..integrations.http import ApiClient, limiter_for, utcnow
from ..integrations.store import ConnectionTokenStore, write_tokens
from ..models.integrations import FORTNOX, VISMA, AccountingConflict, IntegrationConnection

LABELS = {FORTNOX: "Fortnox", VISMA: "Visma eAccounting"}
# Options an administrator sets per provider (key → label); all default to off.
OPTIONS = {
    FORTNOX: {"sync_customers": _l("Sync updated customers")},
    VISMA: {"sync_customers": _l("Sync updated customers"),
            "assigned_as_our_reference": _l("Put the assigned user as our reference")},
}

# The write path's outbox knows how many changes wait per provider; until it is wired in, the
# status page shows no number. `register_queue_counter(fn)` with fn(provider) -> int.
_queue_counter: Callable[[str], int | None] = lambda provider: None  # noqa: E731


def register_queue_counter(counter: Callable[[str], int | None]) -> None:
    global _queue_counter
    _queue_counter = counter


def _module(provider: str):
    if provider == FORTNOX:
        return fortnox
    if provider == VISMA:
        return visma
    raise NotConfigured(_l("Unknown integration."))


def is_configured(provider: str, config=None) -> bool:
    config = config or current_app.config
    prefix = provider.upper()
    return bool(config.get(f"{prefix}_CLIENT_ID") and config.get(f"{prefix}_CLIENT_SECRET"))


def _require_configured(provider: str) -> None:
    if not is_configured(provider):
        raise NotConfigured(_l("%(provider)s is not set up on the server (%(prefix)s_CLIENT_ID and "
                               "%(prefix)s_CLIENT_SECRET).", provider=LABELS[provider], prefix=provider.upper()))


def get_connection(provider: str) -> IntegrationConnection | None:
    return db.session.execute(
        select(IntegrationConnection).where(IntegrationConnection.provider == provider)
    ).scalar_one_or_none()


def _connection_row(provider: str) -> IntegrationConnection:
    row = get_connection(provider)
    if row is None:
        row = IntegrationConnection(provider=provider, settings={})
        db.session.add(row)
    return row


def new_state() -> str:
    """The OAuth2 `state`: random, kept in the user's session, compared on the callback (CSRF)."""
    return secrets.token_urlsafe(24)


def authorization_url(provider: str, *, redirect_uri: str, state: str, service_account: bool = False) -> str:
    _require_configured(provider)
    module = _module(provider)
    oauth = module.oauth_client(current_app.config)
    if provider == FORTNOX:
        return fortnox.authorize_url(oauth, redirect_uri=redirect_uri, state=state, service_account=service_account)
    return visma.authorize_url(oauth, redirect_uri=redirect_uri, state=state)


def finish_authorization(provider: str, *, code: str, redirect_uri: str, by: str,
                         service_account: bool = False) -> IntegrationConnection:
    """Exchange the authorization code for tokens and store them encrypted (commits)."""
    _require_configured(provider)
    tokens = _module(provider).oauth_client(current_app.config).exchange_code(code, redirect_uri)
    row = _connection_row(provider)
    write_tokens(row, tokens, current_app.config["SECRET_KEY"])
    row.account_type = "service" if service_account else None
    row.connected_at = utcnow()
    row.connected_by = by[:100]
    row.last_error = row.last_error_at = None
    if not row.settings:
        row.settings = {}
    db.session.commit()
    return row


def disconnect(provider: str) -> None:
    """Forget the tokens (the provider's own authorisation is removed in Fortnox/Visma by the user)."""
    row = get_connection(provider)
    if row is None:
        return
    row.access_token_encrypted = row.refresh_token_encrypted = None
    row.access_token_expires_at = None
    row.account_type = None
    db.session.commit()


def save_options(provider: str, values: dict[str, bool]) -> None:
    row = _connection_row(provider)
    allowed = OPTIONS[provider]
    row.settings = {**(row.settings or {}), **{k: bool(v) for k, v in values.items() if k in allowed}}
    db.session.commit()


def mark_initial_sync(provider: str, offered=()) -> None:
    """The initial sync has run: from now on the pull creates here what is new there, except the
    customers it offered (`offered`: numbers only the provider had), which an administrator
    creates from the offer or not at all."""
    row = _connection_row(provider)
    earlier = set((row.settings or {}).get("offered_at_initial_sync") or ())
    row.settings = {**(row.settings or {}), "initial_sync_done": True,
                    "offered_at_initial_sync": sorted(earlier | set(offered))}
    db.session.commit()


def client_for(provider: str, **overrides) -> ApiClient:
    """A client for the connected provider, with its tokens, rate limiter and retry policy."""
    _require_configured(provider)
    config = current_app.config
    module = _module(provider)
    limit, window = config.get(f"{provider.upper()}_RATE_LIMIT") or module.RATE_LIMIT
    store = ConnectionTokenStore(provider, db.engine, config["SECRET_KEY"])
    client_class = fortnox.FortnoxClient if provider == FORTNOX else visma.VismaClient
    base_url = config["FORTNOX_API_URL"] if provider == FORTNOX else config["VISMA_API_URL"]
    options = {"backoff": config.get("INTEGRATION_RETRY_BACKOFF", 0.5),
               "max_attempts": config.get("INTEGRATION_MAX_ATTEMPTS", 5), **overrides}
    return client_class(base_url, store, module.oauth_client(config),
                        limiter_for(f"{provider}:{base_url}", limit, window), **options)


def record_error(provider: str, error: Exception) -> None:
    row = _connection_row(provider)
    row.last_error = (error.message if isinstance(error, IntegrationError) else str(error))[:2000]
    row.last_error_at = utcnow()
    db.session.commit()


def record_success(provider: str, *, synced: bool = True) -> None:
    row = _connection_row(provider)
    row.last_error = row.last_error_at = None
    if synced:
        row.last_sync_at = utcnow()
    db.session.commit()


def test_connection(provider: str) -> None:
    """One authenticated call; the outcome is recorded on the status page. Raises IntegrationError."""
    try:
        client_for(provider, max_attempts=2).test()
    except IntegrationError as exc:
        if not isinstance(exc, NotConfigured):
            record_error(provider, exc)
        raise
    record_success(provider, synced=False)


@dataclass
class ProviderStatus:
    provider: str
    label: str
    configured: bool
    connected: bool
    service_account: bool
    connected_at: object
    connected_by: str | None
    last_sync_at: object
    last_error: str | None
    last_error_at: object
    queued_changes: int | None
    open_conflicts: int
    options: dict[str, tuple[str, bool]]


def status_list() -> list[ProviderStatus]:
    result = []
    for provider in (FORTNOX, VISMA):
        row = get_connection(provider)
        conflicts = db.session.execute(
            select(func.count()).select_from(AccountingConflict)
            .where(AccountingConflict.provider == provider, AccountingConflict.resolved.is_(False))
        ).scalar()
        result.append(ProviderStatus(
            provider=provider, label=LABELS[provider], configured=is_configured(provider),
            connected=bool(row and row.connected), service_account=bool(row and row.account_type == "service"),
            connected_at=row.connected_at if row else None, connected_by=row.connected_by if row else None,
            last_sync_at=row.last_sync_at if row else None, last_error=row.last_error if row else None,
            last_error_at=row.last_error_at if row else None, queued_changes=_queue_counter(provider),
            open_conflicts=conflicts,
            options={key: (label, bool(row and row.option(key))) for key, label in OPTIONS[provider].items()},
        ))
    return result
