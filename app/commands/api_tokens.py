"""Personal API tokens: an administrator creates one for a user (shown once) and revokes it."""

from datetime import UTC, datetime

from flask_appbuilder.security.sqla.models import User
from flask_babel import lazy_gettext as _l

from ..errors import Invalid, NotFound
from ..models.api import ApiToken
from ..security.access import actor_name, require
from ..security.api_tokens import new_token, token_hash
from ..security.rights import API_TOKENS, MANAGE_API_TOKENS
from .transaction import transaction

MAX_NAME = 100


def create_api_token(user_id, name: str, *, by) -> tuple[ApiToken, str]:
    """A new token for the user; returns the row and the token itself, which is never stored."""
    require(by, MANAGE_API_TOKENS, view_menu=API_TOKENS)
    name = (name or "").strip()
    errors = {}
    if not name:
        errors["name"] = _l("Name the token after what will use it, e.g. \"Planning tool\".")
    elif len(name) > MAX_NAME:
        errors["name"] = _l("At most %(n)s characters.", n=MAX_NAME)
    with transaction(by) as session:
        try:
            number = int(user_id)
        except (TypeError, ValueError):
            number = 0
        user = session.get(User, number) if 0 < number < 2**31 else None  # beyond the id range: no user
        if user is None or not user.active:
            errors["user"] = _l("Choose an active user from the list.")
        if errors:
            raise Invalid(errors)
        raw = new_token()
        token = ApiToken(user_id=user.id, name=name, token_hash=token_hash(raw), prefix=raw[:8],
                         created_by=actor_name(by))
        session.add(token)
        session.flush()
    return token, raw


def revoke_api_token(token_id, *, by) -> ApiToken:
    """From now on the token is refused (401); the row stays, to show when it was used last."""
    require(by, MANAGE_API_TOKENS, view_menu=API_TOKENS)
    with transaction(by) as session:
        token = session.get(ApiToken, token_id) if str(token_id).isdigit() and len(str(token_id)) < 10 else None
        if token is None:
            raise NotFound()
        if token.revoked_at is None:
            token.revoked_at = datetime.now(UTC).replace(tzinfo=None)
    return token
