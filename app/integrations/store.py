"""Tokens of a connection, read from and written to `integration_connection`, encrypted.

Each read and each rotation uses its own short transaction (not the caller's session): a
refresh token that Fortnox or Visma has just rotated is committed before it is used, and the
row is locked while refreshing, so two workers never spend the same refresh token (the second
one finds the row already rotated and takes those tokens instead).
"""

from collections.abc import Callable

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import Session

from ..models.integrations import IntegrationConnection
from .crypto import decrypt, encrypt
from .errors import AuthorizationFailed, NotConnected
from .http import Tokens, utcnow


def tokens_of(row: IntegrationConnection, secret_key: str) -> Tokens:
    if row is None or not row.refresh_token_encrypted:
        raise NotConnected(_l("The integration is not connected. An administrator connects it under "
                              "Settings → Integrations."))
    return Tokens(access_token=decrypt(row.access_token_encrypted, secret_key) or "",
                  refresh_token=decrypt(row.refresh_token_encrypted, secret_key),
                  expires_at=row.access_token_expires_at, scope=row.scope)


def write_tokens(row: IntegrationConnection, tokens: Tokens, secret_key: str) -> None:
    row.access_token_encrypted = encrypt(tokens.access_token, secret_key)
    row.refresh_token_encrypted = encrypt(tokens.refresh_token, secret_key)
    row.access_token_expires_at = tokens.expires_at
    if tokens.scope:
        row.scope = tokens.scope


class ConnectionTokenStore:
    def __init__(self, provider: str, engine, secret_key: str):
        self.provider = provider
        self.engine = engine
        self.secret_key = secret_key

    def _row(self, session: Session, lock: bool = False) -> IntegrationConnection | None:
        query = select(IntegrationConnection).where(IntegrationConnection.provider == self.provider)
        if lock:
            query = query.with_for_update()
        return session.execute(query).scalar_one_or_none()

    def load(self) -> Tokens:
        with Session(self.engine) as session:
            return tokens_of(self._row(session), self.secret_key)

    def rotate(self, stale: Tokens, refresh: Callable[[str], Tokens]) -> Tokens:
        with Session(self.engine) as session:
            row = self._row(session, lock=True)
            current = tokens_of(row, self.secret_key)
            if current.refresh_token != stale.refresh_token and not current.expiring():
                session.rollback()
                return current  # another worker rotated meanwhile
            try:
                fresh = refresh(current.refresh_token)
            except AuthorizationFailed as exc:
                row.last_error = exc.message
                row.last_error_at = utcnow()
                session.commit()
                raise
            except Exception:
                session.rollback()
                raise
            write_tokens(row, fresh, self.secret_key)
            session.commit()
            return fresh
