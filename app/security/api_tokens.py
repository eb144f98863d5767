"""Personal API tokens: how they look, how they are stored and how a request presents one.

A token is `kr_` and 43 random URL-safe characters (256 bits). Only its SHA-256 is stored:
with that much randomness a slow hash adds nothing, and one indexed lookup finds it. It is
sent as `Authorization: Bearer kr_…`, like FAB's JWT (which never starts with `kr_`).
"""

import hashlib
import secrets
from datetime import UTC, datetime, timedelta

from flask import current_app, request
from sqlalchemy import select, update

from ..models.api import ApiToken

PREFIX = "kr_"
# last_used_at is written at most this often per token (not on every request)
TOUCH_EVERY = timedelta(seconds=60)


def new_token() -> str:
    return PREFIX + secrets.token_urlsafe(32)


def token_hash(raw: str) -> str:
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()


def bearer_token() -> str | None:
    """The token of `Authorization: Bearer …`, or None."""
    header = request.headers.get("Authorization", "")
    if not header[:7].lower() == "bearer ":
        return None
    return header[7:].strip() or None


def user_of_token(session, raw: str):
    """The active user of an unrevoked token, else None; notes when the token was used."""
    if not raw.startswith(PREFIX) or len(raw) > 200:
        return None
    token = session.execute(select(ApiToken).where(ApiToken.token_hash == token_hash(raw))).scalar()
    if token is None or token.revoked_at is not None or token.user is None or not token.user.is_active:
        return None
    now = datetime.now(UTC).replace(tzinfo=None)  # stored naive, in UTC like created_at
    if token.last_used_at is None or now - token.last_used_at >= TOUCH_EVERY:
        session.execute(update(ApiToken).where(ApiToken.id == token.id).values(last_used_at=now))
        session.commit()
    current_app.logger.debug("API token %s used", token.prefix)
    return token.user
