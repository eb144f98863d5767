"""Create once: a POST retried with the same `Idempotency-Key` makes one row (REST API)."""

import hashlib
import json

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from ..extensions import db
from ..models.api import IdempotentRequest
from .transaction import transaction

MAX_KEY_LENGTH = 200


class KeyReused(Exception):
    """The key was used before for a different request (another body or resource)."""


def fingerprint(resource: str, payload) -> str:
    return hashlib.sha256(json.dumps([resource, payload], sort_keys=True, default=str).encode()).hexdigest()


def _earlier(user_id: int, key: str):
    return db.session.execute(
        select(IdempotentRequest).where(IdempotentRequest.user_id == user_id, IdempotentRequest.key == key)
    ).scalar()


def create_once(key: str | None, resource: str, payload, create, *, by) -> tuple[int, bool]:
    """Run `create()` (a command returning the new row) unless `by` already did with this key.

    Returns (the row's id, whether it is the earlier answer). The row and the key are written
    in one transaction, so a retry after a lost answer finds the key exactly when the row
    exists; two retries at the same moment meet at the key's unique constraint.
    """
    if not key:
        return create().id, False
    wanted = fingerprint(resource, payload)
    earlier = _earlier(by.id, key)
    if earlier is not None:
        if earlier.request_hash != wanted:
            raise KeyReused()
        return earlier.resource_id, True
    try:
        with transaction(by) as session:
            row = create()
            session.add(IdempotentRequest(user_id=by.id, key=key, resource=resource, request_hash=wanted,
                                          resource_id=row.id))
        return row.id, False
    except IntegrityError:
        earlier = _earlier(by.id, key)
        if earlier is None:
            raise
        if earlier.request_hash != wanted:
            raise KeyReused() from None
        return earlier.resource_id, True
