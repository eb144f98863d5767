"""Stored objects follow their transaction: removed after a commit that deleted their rows, or
after a rollback of the transaction that stored them. Installed from `create_app`.

A customer deleted anywhere (the card, an import, a script) takes its documents with it: the
database cascades the rows, and the hook removes the objects once that commit is done.
"""

from flask import has_app_context
from sqlalchemy import event, select
from sqlalchemy.orm import Session

from ...models.customer import Customer
from ...models.documents import Document
from ...uploads import get_storage
from .files import remove_objects

_AFTER_COMMIT = "documents_remove_after_commit"  # [(storage, keys)]: their rows were deleted
_AFTER_ROLLBACK = "documents_remove_after_rollback"  # [(storage, keys)]: stored for rows not yet committed


def remove_after_commit(session, storage, keys) -> None:
    """Remove these objects once the session's transaction commits (their rows are deleted in it)."""
    if keys:
        session.info.setdefault(_AFTER_COMMIT, []).append((storage, list(keys)))


def remove_after_rollback(session, storage, keys) -> None:
    """Remove these objects if the session's transaction rolls back (their rows would be lost)."""
    if keys:
        session.info.setdefault(_AFTER_ROLLBACK, []).append((storage, list(keys)))


def _collect_objects_of_deleted_customers(session, _flush_context, _instances):
    ids = [obj.id for obj in session.deleted if isinstance(obj, Customer) and obj.id is not None]
    if not ids or not has_app_context():
        return
    with session.no_autoflush:
        keys = session.execute(select(Document.storage_key).where(Document.customer_id.in_(ids))).scalars().all()
    remove_after_commit(session, get_storage(), keys)


def _settle(session, remove: str, forget: str) -> None:
    session.info.pop(forget, None)
    for storage, keys in session.info.pop(remove, ()):
        remove_objects(storage, keys)


def _after_commit(session):
    _settle(session, remove=_AFTER_COMMIT, forget=_AFTER_ROLLBACK)


def _after_rollback(session):
    _settle(session, remove=_AFTER_ROLLBACK, forget=_AFTER_COMMIT)


def install_document_hooks() -> None:
    """Listen on every session; idempotent, as `create_app` runs once per app."""
    for name, hook in (("before_flush", _collect_objects_of_deleted_customers),
                       ("after_commit", _after_commit), ("after_rollback", _after_rollback)):
        if not event.contains(Session, name, hook):
            event.listen(Session, name, hook)
