"""Changes made in Fortnox / Visma eAccounting come back (F28, F29): the periodic pull applies
them through the customer commands, as the provider (history says "Fortnox" or "Visma"), and the
initial sync links customers by number and creates, on request, those only the provider has.

The rule for a customer changed on both sides since the last sync is `accounting_sync`'s: ours
is kept (our waiting change is pushed over theirs) and the pair is listed for an administrator.
"""

from dataclasses import dataclass

from sqlalchemy import select

from ..errors import Invalid
from ..extensions import db
from ..integrations.errors import IntegrationError
from ..integrations.mapping import CustomerSnapshot
from ..models.customer import POSTAL, VISITING, Customer
from ..models.integrations import FORTNOX, VISMA
from ..security.access import SystemActor, require
from ..security.rights import CREATE
from ..services import accounting_outbox, accounting_sync
from ..services import integration_connections as connections
from .contacts import delete_address, save_address, save_contact
from .customers import create_customer, set_active, update_customer
from .transaction import transaction

# Who history names for a change that came from the accounting system.
ACTORS = {FORTNOX: SystemActor("Fortnox"), VISMA: SystemActor("Visma")}


def _customer(number: str) -> Customer | None:
    return db.session.execute(select(Customer).where(Customer.customer_number == number)).scalar_one_or_none()


def _values(s: CustomerSnapshot) -> dict:
    inv = s.invoice_address
    return {"name": s.name, "customer_type": s.customer_type, "identity_number": s.identity_number,
            "invoice_street": inv.street, "invoice_street2": inv.street2, "invoice_postcode": inv.postcode,
            "invoice_city": inv.city}


def _apply(provider: str, customer: Customer | None, s: CustomerSnapshot, by) -> Customer:
    """Write the provider's version of the mapped fields (only those it holds) in one transaction."""
    with transaction(by):
        if customer is None:
            customer = create_customer({**_values(s), "customer_number": s.customer_number}, by=by)
        else:
            update_customer(customer, _values(s), by=by)
        kinds = ((VISITING, s.visiting_address), (POSTAL, s.postal_address)) if provider == FORTNOX \
            else ((POSTAL, s.postal_address),)  # Visma has no visiting address: ours stays
        for kind, address in kinds:
            if address.is_empty():
                if customer.address(kind) is not None:
                    delete_address(customer, kind, by=by)
            else:
                save_address(customer, kind, {"street": address.street, "street2": address.street2,
                                              "postcode": address.postcode, "city": address.city}, by=by)
        main = customer.main_contact
        if main is not None or s.email or s.phone or s.your_reference:
            values = {"name": s.your_reference or (main.name if main else s.name), "email": s.email,
                      "phone": s.phone, "is_main_contact": True}
            if main is not None:
                values.update(send_service_protocol=main.send_service_protocol, send_work_order=main.send_work_order)
            save_contact(customer, values, by=by, contact=main)
        if bool(customer.active) != s.active:
            set_active([customer.id], s.active, by=by)
    return customer


def apply_remote_change(change: accounting_sync.RemoteChange, *, offered: bool = False) -> bool:
    """One change from the provider, through the commands, as the provider; False when left alone:
    a customer not linked yet before the initial sync has run or one it offered (the offer decides),
    and one the provider made inactive that we do not have. Raises ValueError (Invalid) if our rules
    refuse the provider's data: the change is reported and read again next time."""
    by = ACTORS[change.provider]
    customer = _customer(change.customer_number)
    if customer is None and not change.snapshot.active:
        return False
    if change.is_new and not offered:
        row = connections.get_connection(change.provider)
        if not (row and row.option("initial_sync_done")) or \
                change.customer_number in (row.option("offered_at_initial_sync") or ()):
            return False
    with accounting_outbox.from_provider(change.provider):
        try:
            _apply(change.provider, customer, change.snapshot, by)
        except Invalid as exc:
            raise ValueError(f"{change.customer_number}: {exc}") from None
    return True


def local_state(provider: str):
    def state(number: str) -> accounting_sync.LocalState | None:
        customer = _customer(number)
        if customer is None:
            return None
        return accounting_sync.LocalState(
            accounting_sync.snapshot_from_customer(customer),
            accounting_outbox.has_unsynced_changes(db.session, provider, customer.id))
    return state


def pull(provider: str, *, client=None) -> accounting_sync.PullReport:
    """One periodic pull of `provider`'s changes, applied here. Raises IntegrationError when the
    provider cannot be read (recorded on the status page)."""
    return accounting_sync.pull_and_apply(provider, local_state=local_state(provider),
                                          apply_change=apply_remote_change, client=client)


@dataclass
class PullRound:
    reports: dict
    errors: dict


def pull_all() -> PullRound:
    """Pull every enabled provider once (the beat task and `flask integrations sync`)."""
    result = PullRound({}, {})
    for provider in accounting_sync.enabled_providers():
        try:
            result.reports[provider] = pull(provider)
        except IntegrationError as exc:
            db.session.rollback()
            result.errors[provider] = exc.message
    return result


# -- initial sync ------------------------------------------------------------------------------
def initial_sync(provider: str, *, by) -> accounting_sync.InitialSyncPlan:
    """Link every customer both sides have under the same number and queue ours for them (our
    register is the master: e.g. private customers entered as companies there are corrected);
    the plan lists the rest."""
    require(by, CREATE)
    numbers = db.session.execute(select(Customer.customer_number)).scalars().all()
    plan = accounting_sync.initial_match(provider, numbers)
    matched = db.session.execute(select(Customer).where(Customer.customer_number.in_(plan.matched))
                                 .order_by(Customer.customer_number)).scalars().all()
    with transaction(by) as session:
        accounting_outbox.queue_customers(session, provider, matched)
    connections.mark_initial_sync(provider, [number for number, _name in plan.only_there])
    return plan


def push_only_here(provider: str, numbers, *, by) -> int:
    """Queue the customers only we have for `provider` (the outbox sends them)."""
    require(by, CREATE)
    wanted = set(numbers)
    customers = db.session.execute(select(Customer).where(Customer.customer_number.in_(wanted))).scalars().all()
    with transaction(by) as session:
        accounting_outbox.queue_customers(session, provider, customers)
    return len(customers)


def create_only_there(provider: str, numbers, *, by, client=None) -> list[str]:
    """Create here, as the provider, the customers only `provider` has; returns those created."""
    require(by, CREATE)
    client = client or connections.client_for(provider)
    created = []
    for number in numbers:
        if _customer(number) is not None:
            continue
        record = client.get_customer(number) if provider == FORTNOX else client.find_customer(number)
        if record is None:
            continue
        change = accounting_sync.remote_change(provider, record)
        if apply_remote_change(change, offered=True):
            accounting_sync.link_applied(change)
            created.append(number)
    return created
