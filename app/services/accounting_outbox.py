"""The accounting sync's write path (F28, F29): every saved change of a customer becomes an
outbox row for each connected accounting system, in the same transaction, whoever wrote it.

One session hook (installed from `create_app`, like the history hook) sees every insert,
update and delete of a customer and of what the accounting systems get to know about it
(its contacts and addresses), whether the web form, the import, the CLI, the API or a job
changed it. Just before the commit it stores, per changed customer and provider, the
customer's snapshot as saved (`accounting_sync.snapshot_from_customer`) in an outbox row
with kind "accounting", recipient = the provider, subject = the customer number and
ordering key "<provider>:<customer id>".

Coalescing: a customer has at most one row waiting that nobody is sending: a later change
replaces the waiting row's snapshot (the newest state is what must arrive). Only while a row
is being sent does a second one queue up behind it; the outbox sends rows with the same key
one at a time, oldest first.

Renumbering (F1): the row remembers the number the accounting system knows the customer by
(`previous_number`); delivery moves the link (Visma renames the same record) or, in Fortnox,
where a customer number cannot be changed, creates the customer under the new number and
makes the old one inactive.

A deleted customer is made inactive in the accounting system (its invoices keep it there).

Changes applied *from* a provider (`from_provider`) are not sent back to that provider.
"""

import contextlib
import contextvars
import datetime
import json
import time
from dataclasses import dataclass

from flask import current_app, has_app_context
from flask_babel import lazy_gettext as _l
from sqlalchemy import event, func, insert, inspect, select, update
from sqlalchemy.orm import Session

from ..models.customer import Address, Contact, Customer
from ..models.integrations import ACCOUNTING_PROVIDERS, IntegrationConnection
from ..models.outbox import FAILED, PENDING, SENT, OutboxMessage
from .settings import get_settings

KIND = "accounting"
_CHANGED = "accounting_changed"  # customer id -> number the provider knows (None: unknown yet)
_DELETED = "accounting_deleted"  # customer id -> number, of customers deleted in this transaction
_origin: contextvars.ContextVar = contextvars.ContextVar("accounting_origin", default=None)


def ordering_key(provider: str, customer_id: int) -> str:
    return f"{provider}:{customer_id}"


@contextlib.contextmanager
def from_provider(provider: str):
    """Changes made inside the block came from `provider`: they are not sent back to it."""
    token = _origin.set(provider)
    try:
        yield
    finally:
        _origin.reset(token)


def _now() -> datetime.datetime:
    return datetime.datetime.now(datetime.UTC).replace(tzinfo=None)


def _customer_of(obj) -> int | None:
    if isinstance(obj, Customer):
        return obj.id
    if obj.customer_id is not None:
        return obj.customer_id
    customer = obj.customer if "customer" in obj.__dict__ else None
    if customer is not None:
        return customer.id
    earlier = [v for v in inspect(obj).attrs.customer_id.history.deleted or () if v is not None]
    return earlier[0] if earlier else None


def _after_flush(session: Session, _context) -> None:
    changed: dict = session.info.get(_CHANGED, {})
    deleted: dict = session.info.get(_DELETED, {})
    for obj in session.new:
        if isinstance(obj, Customer | Contact | Address):
            customer_id = _customer_of(obj)
            if customer_id is not None:
                changed.setdefault(customer_id, None)
    for obj in session.dirty:
        if isinstance(obj, Customer | Contact | Address) and session.is_modified(obj, include_collections=False):
            customer_id = _customer_of(obj)
            if customer_id is None:
                continue
            if isinstance(obj, Customer):
                history = inspect(obj).attrs.customer_number.history
                if history.deleted and history.deleted[0] and changed.get(customer_id) is None:
                    changed[customer_id] = history.deleted[0]  # the number before the first renumbering
            changed.setdefault(customer_id, None)
    for obj in session.deleted:
        if isinstance(obj, Customer):
            deleted[obj.id] = obj.customer_number
        elif isinstance(obj, Contact | Address):
            customer_id = _customer_of(obj)
            if customer_id is not None:
                changed.setdefault(customer_id, None)
    if changed:
        session.info[_CHANGED] = changed
    if deleted:
        session.info[_DELETED] = deleted


def enabled_providers(session) -> list[str]:
    """Connected providers with "sync updated customers" on (configured on this server)."""
    if not has_app_context():
        return []
    config = current_app.config
    rows = session.execute(select(IntegrationConnection).where(
        IntegrationConnection.provider.in_(ACCOUNTING_PROVIDERS))).scalars().all()
    return [row.provider for row in rows
            if row.connected and row.option("sync_customers")
            and config.get(f"{row.provider.upper()}_CLIENT_ID") and config.get(f"{row.provider.upper()}_CLIENT_SECRET")]


def _queue(session, provider: str, customer_id: int, number: str, body: dict) -> None:
    """Replace the snapshot of the customer's waiting row, or add a row behind the one being sent."""
    key = ordering_key(provider, customer_id)
    connection = session.connection()
    latest = connection.execute(select(OutboxMessage.body, OutboxMessage.status).where(
        OutboxMessage.ordering_key == key).order_by(OutboxMessage.id.desc()).limit(1)).first()
    if latest is not None and latest.status in (PENDING, SENT) and json.loads(latest.body or "{}") == body:
        return  # nothing the accounting system holds has changed (an internal comment, a discount…)
    waiting = connection.execute(
        select(OutboxMessage.id, OutboxMessage.body).where(
            OutboxMessage.ordering_key == key, OutboxMessage.status.in_((PENDING, FAILED)),
            OutboxMessage.claimed_by.is_(None))
        .order_by(OutboxMessage.id.desc()).limit(1)).first()
    newer_exists = waiting is not None and connection.execute(
        select(func.count()).select_from(OutboxMessage).where(
            OutboxMessage.ordering_key == key, OutboxMessage.id > waiting.id)).scalar()
    if waiting is not None and not newer_exists:
        earlier = json.loads(waiting.body or "{}")
        if earlier.get("previous_number"):  # the provider still knows the number from before
            body = {**body, "previous_number": earlier["previous_number"]}
        if body.get("previous_number") == number:
            body.pop("previous_number")
        # Still unclaimed? (a worker may have just taken it: then queue behind it)
        done = connection.execute(update(OutboxMessage).where(
            OutboxMessage.id == waiting.id, OutboxMessage.claimed_by.is_(None),
            OutboxMessage.status.in_((PENDING, FAILED)))
            .values(body=json.dumps(body), subject=number, status=PENDING, next_attempt_at=_now())).rowcount
        if done == 1:
            return
    connection.execute(insert(OutboxMessage).values(
        kind=KIND, recipient=provider, subject=number, body=json.dumps(body), status=PENDING, attempts=0,
        next_attempt_at=_now(), ordering_key=key, created_at=_now()))


def _before_commit(session: Session) -> None:
    if not session.info.get(_CHANGED) and not session.info.get(_DELETED):
        return
    session.flush()
    changed: dict = session.info.pop(_CHANGED, {})
    deleted: dict = session.info.pop(_DELETED, {})
    providers = [p for p in enabled_providers(session) if p != _origin.get()]
    if not providers:
        return
    from .accounting_sync import snapshot_from_customer

    settings = get_settings()
    for customer_id, previous_number in changed.items():
        if customer_id in deleted:
            continue
        customer = session.get(Customer, customer_id)
        if customer is None:
            continue
        snapshot = snapshot_from_customer(customer, settings).to_dict()
        body = {"snapshot": snapshot}
        if previous_number and previous_number != customer.customer_number:
            body["previous_number"] = previous_number
        for provider in providers:
            _queue(session, provider, customer_id, customer.customer_number, body)
    for customer_id, number in deleted.items():
        for provider in providers:
            _queue(session, provider, customer_id, number, {"deleted": True, "customer_number": number})


def queue_customers(session, provider: str, customers) -> None:
    """Queue these customers for `provider` as they are now (the initial sync's "send ours")."""
    from .accounting_sync import snapshot_from_customer

    settings = get_settings()
    for customer in customers:
        _queue(session, provider, customer.id, customer.customer_number,
               {"snapshot": snapshot_from_customer(customer, settings).to_dict()})


def _forget(session: Session) -> None:
    session.info.pop(_CHANGED, None)
    session.info.pop(_DELETED, None)


def install_accounting_hook() -> None:
    """Called once from create_app, after the history hook."""
    if event.contains(Session, "after_flush", _after_flush):
        return
    event.listen(Session, "after_flush", _after_flush)
    event.listen(Session, "before_commit", _before_commit)
    event.listen(Session, "after_rollback", _forget)


# -- what the status page and the sync need to know ----------------------------------------------
def queued_count(session, provider: str) -> int:
    return session.execute(select(func.count()).select_from(OutboxMessage).where(
        OutboxMessage.kind == KIND, OutboxMessage.recipient == provider,
        OutboxMessage.status.in_((PENDING, FAILED)))).scalar()


def has_unsynced_changes(session, provider: str, customer_id: int) -> bool:
    return bool(session.execute(select(func.count()).select_from(OutboxMessage).where(
        OutboxMessage.ordering_key == ordering_key(provider, customer_id),
        OutboxMessage.status.in_((PENDING, FAILED)))).scalar())


@dataclass(frozen=True)
class Troubled:
    id: int
    customer_number: str
    name: str
    status: str
    attempts: int
    last_error: str | None
    next_attempt_at: datetime.datetime


def troubled(session, provider: str | None = None, limit: int = 200) -> list[Troubled]:
    """Failed rows and rows delayed by a failed attempt, oldest first (the status list)."""
    query = select(OutboxMessage).where(
        OutboxMessage.kind == KIND, OutboxMessage.status.in_((PENDING, FAILED)),
        (OutboxMessage.status == FAILED) | (OutboxMessage.attempts > 0))
    if provider:
        query = query.where(OutboxMessage.recipient == provider)
    result = []
    for m in session.execute(query.order_by(OutboxMessage.id).limit(limit)).scalars():
        body = json.loads(m.body or "{}")
        result.append(Troubled(m.id, m.subject, (body.get("snapshot") or {}).get("name", ""), m.status, m.attempts,
                               m.last_error, m.next_attempt_at))
    return result


# -- delivery (the outbox worker, `flask outbox deliver`, `flask integrations sync`) -------------
# Per process: after an outage answer, the provider's other rows are delayed at once for
# ACCOUNTING_OUTAGE_PAUSE_SECONDS instead of each spending the client's retries on it.
_paused_until: dict[tuple, float] = {}


def _paused_message(provider: str) -> str:
    from .integration_connections import LABELS

    return str(_l("%(provider)s cannot be reached right now; the change is kept and sent later.",
                  provider=LABELS.get(provider, provider)))


def send(message: OutboxMessage, config) -> None:
    """Push one row through `accounting_sync`; the outbox keeps it on Retry/Rejected."""
    from . import accounting_sync
    from .outbox import Rejected, Retry

    provider = message.recipient
    key = (provider, config.get(f"{provider.upper()}_API_URL"))
    paused = _paused_until.get(key)
    if paused is not None and time.monotonic() < paused:
        raise Retry(_paused_message(provider))
    body = json.loads(message.body or "{}")
    if body.get("deleted"):
        outcome = accounting_sync.deliver_deactivation(provider, body["customer_number"])
    else:
        snapshot = accounting_sync.CustomerSnapshot.from_dict(body["snapshot"])
        outcome = accounting_sync.deliver_customer(provider, snapshot, previous_number=body.get("previous_number"))
    if outcome.status is accounting_sync.Delivery.RETRY:
        # The provider is down or throttling: the rows behind this one wait without a call each.
        pause = float(config.get("ACCOUNTING_OUTAGE_PAUSE_SECONDS", 30))
        if pause > 0:
            _paused_until[key] = time.monotonic() + pause
        raise Retry(outcome.message)
    _paused_until.pop(key, None)
    if outcome.status is accounting_sync.Delivery.REJECTED:
        raise Rejected(outcome.message)


def _enabled(config) -> bool:
    return any(config.get(f"{p.upper()}_CLIENT_ID") and config.get(f"{p.upper()}_CLIENT_SECRET")
               for p in ACCOUNTING_PROVIDERS)


def register() -> None:
    """The outbox kind, and the status page's count of queued changes."""
    from . import integration_connections as connections
    from .outbox import register_kind

    register_kind(KIND, send, retry_on=(), enabled=_enabled)
    from ..extensions import db

    connections.register_queue_counter(lambda provider: queued_count(db.session, provider))


def deliver_now(limit: int = 1000) -> tuple[int, int]:
    """Deliver what is due of the accounting rows only (`flask integrations sync --once`)."""
    from .outbox import deliver

    return deliver(limit, kinds=[KIND])
