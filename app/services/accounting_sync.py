"""The accounting sync engine (F28, F29): push our customers, pull the accounting system's
changes, and decide between the two. Plain functions; the outbox worker / Celery tasks call
them, and the caller's own callbacks read and write our register (so every change still goes
through the customer commands, with history attributed to the provider).

The conflict rule (one rule, both directions):
    Our register is the master. When a customer changed on both sides since the last sync,
    OURS IS KEPT: our version is (or will be) pushed over the accounting system's, and the
    pair is recorded in `accounting_conflict` for an administrator to review.
    "Changed in the accounting system" = its record's fingerprint differs from the one stored
    in `accounting_link` at the last sync; "changed here" = the caller reports an undelivered
    change for that customer (an outbox row not yet delivered).

Echoes: after a push the link stores the fingerprint of what the provider saved, so the next
pull recognises our own change coming back and ignores it.

Initial sync matches by customer number (`initial_match`), then the caller offers to push the
customers only we have and to create those only the accounting system has.
"""

import datetime
import enum
import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from ..extensions import db
from ..integrations import mapping
from ..integrations.errors import IntegrationError, RemoteRejected
from ..integrations.http import utcnow
from ..integrations.mapping import CustomerSnapshot, OrderSnapshot
from ..models.integrations import FORTNOX, VISMA, AccountingConflict, AccountingLink
from . import integration_connections as connections
from .settings import get_settings
from .vat import shows_prices_including_vat

log = logging.getLogger(__name__)
PULL_OVERLAP = datetime.timedelta(minutes=2)  # re-read a little of the past; echoes are ignored


def snapshot_from_customer(customer, settings=None) -> CustomerSnapshot:
    """Read a Customer (with contacts, addresses and assigned user) into a snapshot."""
    def address(kind: str) -> mapping.AddressSnapshot:
        a = customer.address(kind)
        if a is None:
            return mapping.AddressSnapshot()
        return mapping.AddressSnapshot(a.street or "", a.street2 or "", a.postcode or "", a.city or "")

    main = customer.main_contact
    assigned = customer.assigned_to
    return CustomerSnapshot(
        customer_number=customer.customer_number,
        name=customer.name,
        customer_type=customer.customer_type,
        identity_number=customer.identity_number or "",
        prices_include_vat=shows_prices_including_vat(customer, settings or get_settings()),
        active=bool(customer.active),
        invoice_address=address("invoice"),
        visiting_address=address("visiting"),
        postal_address=address("postal"),
        email=(main.email or "") if main else "",
        phone=(main.phone or "") if main else "",
        your_reference=main.name if main else "",
        our_reference=f"{assigned.first_name} {assigned.last_name}".strip() if assigned else "",
    )


@dataclass(frozen=True)
class PushResult:
    provider: str
    customer_number: str
    remote_id: str  # Fortnox: the customer number; Visma: the customer's Id (GUID)
    created: bool
    overwrote_remote_change: bool  # the conflict rule applied; listed in accounting_conflict


@dataclass(frozen=True)
class RemoteChange:
    provider: str
    customer_number: str
    remote_id: str
    snapshot: CustomerSnapshot
    fingerprint: str
    is_new: bool  # no link yet: created in the accounting system (or never synced)


@dataclass(frozen=True)
class LocalState:
    snapshot: CustomerSnapshot
    has_unsynced_changes: bool  # an undelivered outbox row for this customer and provider


class Delivery(enum.Enum):
    DELIVERED = "delivered"
    RETRY = "retry"  # outage, 5xx, rate limit: keep the outbox row, try again later with back-off
    # The provider refused the data, or we are not (or no longer) connected: keep the row too,
    # marked failed with the message, shown in the status list with *retry* — a person must act.
    REJECTED = "rejected"


@dataclass(frozen=True)
class DeliveryOutcome:
    status: Delivery
    message: str = ""
    result: PushResult | None = None


@dataclass
class PullReport:
    applied: list[str] = field(default_factory=list)
    created: list[str] = field(default_factory=list)
    conflicts: list[str] = field(default_factory=list)
    echoes: int = 0
    failed: list[tuple[str, str]] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)


# -- helpers ---------------------------------------------------------------------------------
def _keys(provider: str) -> tuple[str, ...]:
    return mapping.FORTNOX_KEYS if provider == FORTNOX else mapping.VISMA_KEYS


def _from_remote(provider: str, record: dict) -> CustomerSnapshot:
    return mapping.from_fortnox(record) if provider == FORTNOX else mapping.from_visma(record)


def _remote_id(provider: str, record: dict) -> str:
    return str(record["CustomerNumber"] if provider == FORTNOX else record["Id"])


def _link(provider: str, customer_number: str) -> AccountingLink | None:
    return db.session.execute(select(AccountingLink).where(
        AccountingLink.provider == provider, AccountingLink.customer_number == customer_number)).scalar_one_or_none()


def _save_link(provider: str, customer_number: str, remote_id: str, fingerprint: str | None) -> None:
    link = _link(provider, customer_number) or AccountingLink(provider=provider, customer_number=customer_number)
    link.remote_id = remote_id
    link.synced_hash = fingerprint
    link.synced_at = utcnow()
    db.session.add(link)


def _record_conflict(provider: str, ours: CustomerSnapshot, theirs: CustomerSnapshot) -> None:
    """Listed once: the pull and the push that follows it may both meet the same conflict."""
    listed = db.session.execute(select(AccountingConflict.theirs).where(
        AccountingConflict.provider == provider, AccountingConflict.customer_number == ours.customer_number,
        AccountingConflict.resolved.is_(False))).scalars().all()
    if theirs.to_dict() in listed:
        return
    db.session.add(AccountingConflict(provider=provider, customer_number=ours.customer_number,
                                      ours=ours.to_dict(), theirs=theirs.to_dict(), detected_at=utcnow()))


_visma_terms: dict[str, str] = {}


def _visma_terms_of_payment(client) -> str:
    key = client.base_url
    if key not in _visma_terms:
        _visma_terms[key] = client.default_terms_of_payment()
    return _visma_terms[key]


# -- push ------------------------------------------------------------------------------------
def push_customer(provider: str, snapshot: CustomerSnapshot, *, client=None) -> PushResult:
    """Create or update the customer at the provider, matched by customer number. Raises
    IntegrationError (see `.retryable`). Commits the link (and a conflict record, if any)."""
    client = client or connections.client_for(provider)
    link = _link(provider, snapshot.customer_number)
    keys = _keys(provider)
    if provider == FORTNOX:
        remote = client.get_customer(snapshot.customer_number)
        body = mapping.to_fortnox(snapshot)
    else:
        remote = client.get_customer(link.remote_id) if link else None
        remote = remote or client.find_customer(snapshot.customer_number)
        body = mapping.to_visma(snapshot, remote.get("TermsOfPaymentId") if remote and remote.get(
            "TermsOfPaymentId") else _visma_terms_of_payment(client))
    overwrote = False
    if remote is None:
        if provider == FORTNOX:
            body["VATType"] = "SEVAT"
        saved = client.create_customer(body)
        created = True
    else:
        if link is not None and link.synced_hash and mapping.fingerprint(remote, keys) != link.synced_hash \
                and mapping.fingerprint(remote, keys) != mapping.fingerprint(body, keys):
            overwrote = True
            _record_conflict(provider, snapshot, _from_remote(provider, remote))
        if provider == FORTNOX:
            saved = client.update_customer(snapshot.customer_number, body)
        else:
            saved = client.update_customer(remote["Id"], {**body, "Id": remote["Id"]})
        created = False
    remote_id = _remote_id(provider, saved)
    _save_link(provider, snapshot.customer_number, remote_id, mapping.fingerprint(saved, keys))
    db.session.commit()
    return PushResult(provider, snapshot.customer_number, remote_id, created, overwrote)


def renumber_link(provider: str, previous_number: str, snapshot: CustomerSnapshot, *, client=None) -> None:
    """The customer was renumbered here (F1). Visma: the link moves, and the push renames the same
    record. Fortnox cannot change a customer number: the push creates the customer under the new
    number, and the record under the old one is made inactive here (and unlinked)."""
    link = _link(provider, previous_number)
    if provider == VISMA:
        if link is not None and _link(provider, snapshot.customer_number) is None:
            link.customer_number = snapshot.customer_number
            db.session.commit()
        return
    deactivate_customer(provider, previous_number, client=client)


def deactivate_customer(provider: str, customer_number: str, *, client=None) -> bool:
    """Make the customer inactive at the provider (it was deleted or renumbered here); False when
    the provider does not have it."""
    client = client or connections.client_for(provider)
    if provider == FORTNOX:
        if client.get_customer(customer_number) is None:
            return False
        saved = client.update_customer(customer_number, {"Active": False})
    else:
        link = _link(provider, customer_number)
        remote = client.get_customer(link.remote_id) if link else None
        remote = remote or client.find_customer(customer_number)
        if remote is None:
            return False
        saved = client.update_customer(remote["Id"], {**remote, "IsActive": False})
    # Linked with what the provider saved, so the next pull knows this change for our own.
    _save_link(provider, customer_number, _remote_id(provider, saved), mapping.fingerprint(saved, _keys(provider)))
    db.session.commit()
    return True


def _outcome(provider: str, what: str, work: Callable) -> DeliveryOutcome:
    try:
        result = work()
    except IntegrationError as exc:
        db.session.rollback()
        connections.record_error(provider, exc)
        log.info("%s push of %s: %s (%s)", provider, what, exc.message, exc.detail)
        return DeliveryOutcome(Delivery.RETRY if exc.retryable else Delivery.REJECTED, exc.message)
    connections.record_success(provider)
    return DeliveryOutcome(Delivery.DELIVERED, result=result if isinstance(result, PushResult) else None)


def deliver_deactivation(provider: str, customer_number: str, *, client=None) -> DeliveryOutcome:
    """A customer deleted here becomes inactive at the provider (for an outbox worker)."""
    return _outcome(provider, customer_number, lambda: deactivate_customer(provider, customer_number, client=client))


def deliver_customer(provider: str, snapshot: CustomerSnapshot, *, client=None,
                     previous_number: str | None = None) -> DeliveryOutcome:
    """`push_customer` for an outbox worker: never raises for the provider's answers, says what to do.
    `previous_number`: the customer was renumbered since the provider last heard of it."""
    def work():
        if previous_number and previous_number != snapshot.customer_number:
            if provider == VISMA:
                renumber_link(provider, previous_number, snapshot, client=client)
                return push_customer(provider, snapshot, client=client)
            result = push_customer(provider, snapshot, client=client)
            renumber_link(provider, previous_number, snapshot, client=client)
            return result
        return push_customer(provider, snapshot, client=client)

    return _outcome(provider, snapshot.customer_number, work)


# -- pull ------------------------------------------------------------------------------------
def pull_changes(provider: str, since: datetime.datetime | None, *, client=None) -> list[RemoteChange]:
    """Customers changed at the provider after `since` (UTC; None = all), read in full."""
    client = client or connections.client_for(provider)
    keys = _keys(provider)
    start = since - PULL_OVERLAP if since else None
    if provider == FORTNOX:
        rows = client.list_customers(lastmodified=start)
        records = [r for r in (client.get_customer(str(row["CustomerNumber"])) for row in rows) if r]
    else:
        records, _server_time = client.changed_customers(start)
    changes = []
    for record in records:
        number = str(record.get("CustomerNumber") or "")
        if not number:
            continue
        changes.append(RemoteChange(provider, number, _remote_id(provider, record), _from_remote(provider, record),
                                    mapping.fingerprint(record, keys), _link(provider, number) is None))
    return changes


def apply_remote_changes(provider: str, changes: Iterable[RemoteChange], *,
                         local_state: Callable[[str], LocalState | None],
                         apply_change: Callable[[RemoteChange], bool | None]) -> PullReport:
    """Apply what changed at the provider, following the conflict rule. `apply_change` writes our
    register (through the customer commands, as the provider); raising ValueError or
    IntegrationError there skips that change (reported in `failed`) and goes on; returning False
    leaves it alone on purpose (`skipped`, not linked)."""
    report = PullReport()
    for change in changes:
        link = _link(provider, change.customer_number)
        if link is not None and link.synced_hash == change.fingerprint:
            report.echoes += 1
            continue
        local = local_state(change.customer_number)
        if link is not None and link.synced_hash is None and local is not None:
            report.echoes += 1  # linked by the initial sync, ours not pushed yet: ours goes first
            continue
        if local is not None and local.has_unsynced_changes:
            _record_conflict(provider, local.snapshot, change.snapshot)
            db.session.commit()
            report.conflicts.append(change.customer_number)
            continue
        try:
            applied = apply_change(change)
        except (ValueError, IntegrationError) as exc:
            db.session.rollback()
            report.failed.append((change.customer_number, str(exc)))
            continue
        if applied is False:  # left alone on purpose (e.g. not linked before the initial sync)
            report.skipped.append(change.customer_number)
            continue
        _save_link(provider, change.customer_number, change.remote_id, change.fingerprint)
        db.session.commit()
        (report.created if local is None else report.applied).append(change.customer_number)
    return report


def pull_and_apply(provider: str, *, local_state: Callable[[str], LocalState | None],
                   apply_change: Callable[[RemoteChange], bool | None], client=None) -> PullReport:
    """One periodic pull: from the stored cursor, apply, then move the cursor — unless some change
    could not be applied, so it is read again next time (nothing is dropped)."""
    row = connections.get_connection(provider)
    since = row.pull_cursor if row else None
    started = utcnow()
    try:
        changes = pull_changes(provider, since, client=client)
    except IntegrationError as exc:
        connections.record_error(provider, exc)
        raise
    report = apply_remote_changes(provider, changes, local_state=local_state, apply_change=apply_change)
    row = connections.get_connection(provider)
    if not report.failed:
        row.pull_cursor = started
        row.last_sync_at = utcnow()
        row.last_error = row.last_error_at = None
    else:
        row.last_error = str(_l("%(count)s changes from %(provider)s could not be applied: %(first)s",
                                count=len(report.failed), provider=connections.LABELS[provider],
                                first=report.failed[0][1]))[:2000]
        row.last_error_at = utcnow()
    db.session.commit()
    return report


# -- initial sync ----------------------------------------------------------------------------
@dataclass
class InitialSyncPlan:
    matched: list[str] = field(default_factory=list)  # linked now, by customer number
    only_here: list[str] = field(default_factory=list)  # offer: create them in the accounting system
    only_there: list[tuple[str, str]] = field(default_factory=list)  # (number, name): offer: create here


def initial_match(provider: str, local_numbers: Iterable[str], *, client=None) -> InitialSyncPlan:
    """Link every customer that exists on both sides under the same number. The link has no
    fingerprint yet, so the first push simply writes ours (correcting, e.g., private customers
    that were entered as companies there) without counting as a conflict."""
    client = client or connections.client_for(provider)
    if provider == FORTNOX:
        remote = {str(r["CustomerNumber"]): (str(r["CustomerNumber"]), r.get("Name") or "")
                  for r in client.list_customers()}
    else:
        rows, _ = client.changed_customers(None)
        remote = {str(r["CustomerNumber"]): (str(r["Id"]), r.get("Name") or "") for r in rows}
    plan = InitialSyncPlan()
    local = list(dict.fromkeys(local_numbers))
    for number in local:
        if number in remote:
            plan.matched.append(number)
            if _link(provider, number) is None:
                _save_link(provider, number, remote[number][0], None)
        else:
            plan.only_here.append(number)
    local_set = set(local)
    plan.only_there = [(number, name) for number, (_id, name) in remote.items() if number not in local_set]
    db.session.commit()
    return plan


# -- orders and invoices ---------------------------------------------------------------------
@dataclass(frozen=True)
class SentDocument:
    provider: str
    kind: str  # "order" | "invoice"
    number: str  # Fortnox DocumentNumber / Visma Id


@dataclass(frozen=True)
class InvoiceState:
    invoiced: bool
    booked: bool
    paid: bool


def send_order(provider: str, order: OrderSnapshot, *, client=None) -> SentDocument:
    """An order set Ready for invoicing goes as an order, or as an invoice when the customer has
    F13 "always invoice". With Visma's option on, OurReference is the assigned technician."""
    client = client or connections.client_for(provider)
    if provider == FORTNOX:
        if order.always_invoice:
            return SentDocument(provider, "invoice", str(client.create_invoice(mapping.fortnox_invoice(order))[
                "DocumentNumber"]))
        return SentDocument(provider, "order", str(client.create_order(mapping.fortnox_order(order))["DocumentNumber"]))
    link = _link(VISMA, order.customer_number)
    customer = client.get_customer(link.remote_id) if link else None
    customer = customer or client.find_customer(order.customer_number)
    if customer is None:
        raise RemoteRejected(_l("The customer %(number)s is not in Visma eAccounting yet.",
                                number=order.customer_number))
    row = connections.get_connection(VISMA)
    our_reference = order.our_reference if row and row.option("assigned_as_our_reference") else None
    body = mapping.visma_document(order, customer["Id"], our_reference)
    if order.always_invoice:
        return SentDocument(provider, "invoice", str(client.create_invoice_draft(body)["Id"]))
    return SentDocument(provider, "order", str(client.create_order(body)["Id"]))


def invoice_state(document: SentDocument, *, client=None) -> InvoiceState:
    """Fortnox: has the order become an invoice, and is that invoice booked / paid?"""
    if document.provider != FORTNOX:
        raise NotImplementedError("invoice status is read from Fortnox only")
    client = client or connections.client_for(FORTNOX)
    invoice_number = document.number
    if document.kind == "order":
        reference = str(client.get_order(document.number).get("InvoiceReference") or "")
        if reference in ("", "0"):
            return InvoiceState(invoiced=False, booked=False, paid=False)
        invoice_number = reference
    invoice = client.get_invoice(invoice_number)
    if invoice.get("Cancelled"):
        return InvoiceState(invoiced=False, booked=False, paid=False)
    paid = bool(invoice.get("FinalPayDate")) or (float(invoice.get("Balance") or 0) == 0
                                                  and float(invoice.get("Total") or 0) > 0)
    return InvoiceState(invoiced=True, booked=bool(invoice.get("Booked")), paid=paid)


def enabled_providers() -> list[str]:
    """Connected providers with "sync updated customers" on: where a customer change must go."""
    result = []
    for provider in (FORTNOX, VISMA):
        row = connections.get_connection(provider)
        if row is not None and row.connected and row.option("sync_customers") and \
                connections.is_configured(provider, current_app.config):
            result.append(provider)
    return result


def remote_change(provider: str, record: dict) -> RemoteChange:
    """A provider's record as a change to apply (the initial sync's "create here")."""
    number = str(record.get("CustomerNumber") or "")
    return RemoteChange(provider, number, _remote_id(provider, record), _from_remote(provider, record),
                        mapping.fingerprint(record, _keys(provider)), _link(provider, number) is None)


def link_applied(change: RemoteChange) -> None:
    """After applying `change` here: linked, agreed on what the provider has (commits)."""
    _save_link(change.provider, change.customer_number, change.remote_id, change.fingerprint)
    db.session.commit()


# -- the administrator's list of conflicts ---------------------------------------------------
SNAPSHOT_LABELS = {
    "name": _l("Name"), "customer_type": _l("Customer type"), "identity_number": _l("Organisation number / personnummer"),
    "prices_include_vat": _l("Prices including VAT"), "active": _l("Active"),
    "invoice_address": _l("Invoice address"), "visiting_address": _l("Visiting address"),
    "postal_address": _l("Postal address"), "email": _l("E-mail"), "phone": _l("Phone"),
    "your_reference": _l("Your reference"),
}


@dataclass(frozen=True)
class ConflictView:
    id: int
    provider: str
    customer_number: str
    detected_at: datetime.datetime
    differences: list  # (label, ours, theirs)


def _shown(value) -> str:
    if isinstance(value, dict):
        return ", ".join(str(v) for v in value.values() if v)
    if isinstance(value, bool):
        return str(_l("Yes") if value else _l("No"))
    return str(value or "")


def open_conflicts(provider: str | None = None, limit: int = 200) -> list[ConflictView]:
    """Unreviewed conflicts, newest first, with the fields that differ."""
    query = select(AccountingConflict).where(AccountingConflict.resolved.is_(False))
    if provider:
        query = query.where(AccountingConflict.provider == provider)
    result = []
    for row in db.session.execute(query.order_by(AccountingConflict.id.desc()).limit(limit)).scalars():
        differences = [(label, _shown(row.ours.get(key)), _shown(row.theirs.get(key)))
                       for key, label in SNAPSHOT_LABELS.items()
                       if _shown(row.ours.get(key)) != _shown(row.theirs.get(key))
                       and not (row.provider == VISMA and key in ("visiting_address", "prices_include_vat"))]
        result.append(ConflictView(row.id, row.provider, row.customer_number, row.detected_at, differences))
    return result


def resolve_conflict(conflict_id: int) -> bool:
    """An administrator has reviewed the conflict: off the list (kept in the table)."""
    row = db.session.get(AccountingConflict, int(conflict_id))
    if row is None or row.resolved:
        return False
    row.resolved = True
    db.session.commit()
    return True
