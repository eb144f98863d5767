"""Merge two customers [slå ihop] (issue 15): the second disappears into the first.

The survivor keeps its number and takes, field by field, the value the user chose; then
everything that pointed at the merged customer points at the survivor: contacts, addresses,
custom field values, customer articles, discount letters, documents and folders, customer
users, notifications and history. The merged-away number is kept (`CustomerAlias`), so a
search for it finds the survivor and no new customer gets it. One history entry on the
survivor says what came from where. All of it is one transaction: a merge that cannot
complete changes nothing.

The children are moved with plain UPDATE statements (not through the ORM), so the session
hook writes no history row per moved row and the ORM's delete-orphan cascades never see
them; the merged customer is then deleted by a plain DELETE (whatever is left on it, such
as its invoice address, goes with it by ON DELETE CASCADE).
"""

from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, insert, select, update

from ..errors import Invalid, NotFound
from ..models.article import CustomerArticle
from ..models.customer import POSTAL, VISITING, Address, Contact, Customer, CustomerAlias
from ..models.customer import customer_discount_letter as letter_link
from ..models.documents import Document, DocumentFolder
from ..models.history import CustomerHistory
from ..models.notifications import Notification
from ..models.portal import CustomerUser
from ..security.access import require
from ..security.rights import MERGE_CUSTOMERS
from ..services import accounting_outbox, links
from ..services import customers as rules
from ..services.duplicates import refresh_flags
from ..services.history import note
from ..services.search_text import refresh_search_text
from .customers import customer_for, update_customer
from .transaction import transaction

SURVIVOR, MERGED = "survivor", "merged"
# The addresses that are not form fields (the invoice address is): chosen as a whole.
ADDRESS_CHOICES = {f"{VISITING}_address": VISITING, f"{POSTAL}_address": POSTAL}


@dataclass
class FieldChoice:
    """One line of the merge page: a field, both values as text, and which one wins."""

    key: str
    label: str
    survivor: str
    merged: str
    choice: str
    kind: str = "text"

    @property
    def differs(self) -> bool:
        return self.survivor != self.merged


def _text(value) -> str:
    if value is None or value is False:
        return ""
    if value is True:
        return "✓"
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    return str(value)


def _address_text(customer: Customer, kind: str) -> str:
    address = customer.address(kind)
    return repr(address) if address is not None else ""


def merge_plan(survivor: Customer, merged: Customer, session, choices: dict | None = None) -> list[FieldChoice]:
    """Every field that can differ, with the default choice: the survivor's value, unless it is
    empty and the merged customer has one. `choices` ({key: "survivor"|"merged"}) override."""
    prepared = rules.Prepared(session)
    mine, theirs = rules.customer_values(survivor, prepared), rules.customer_values(merged, prepared)
    plan = []
    for entry in prepared.form_fields:
        if entry.storage == "letters":  # discount letters: the survivor gets both customers' letters
            continue
        plan.append(FieldChoice(entry.key, str(entry.title), _text(mine.get(entry.key)),
                                _text(theirs.get(entry.key)), SURVIVOR, entry.kind))
    for key, kind in ADDRESS_CHOICES.items():
        plan.append(FieldChoice(key, str({VISITING: _l("Visiting address"), POSTAL: _l("Postal address")}[kind]),
                                _address_text(survivor, kind), _address_text(merged, kind), SURVIVOR))
    for line in plan:
        if not line.survivor and line.merged and line.kind != "bool":  # a "no" is a value too
            line.choice = MERGED
        wanted = (choices or {}).get(line.key)
        if wanted in (SURVIVOR, MERGED):
            line.choice = wanted
    return plan


def customers_by_number(survivor_number: str, merged_number: str, *, by, session) -> tuple[Customer, Customer]:
    found = {c.customer_number: c for c in session.execute(
        select(Customer).where(Customer.customer_number.in_([survivor_number, merged_number]))).scalars()}
    if survivor_number not in found or merged_number not in found:
        raise NotFound()
    return (customer_for(found[survivor_number].id, by, for_edit=True, session=session),
            customer_for(found[merged_number].id, by, for_edit=True, session=session))


def merge_customers(survivor_id: int, merged_id: int, *, by, choices: dict | None = None) -> Customer:
    """Merge customer `merged_id` into `survivor_id`; returns the survivor. `choices`: per field,
    SURVIVOR or MERGED (fields not named keep the defaults of `merge_plan`)."""
    require(by, MERGE_CUSTOMERS)
    if int(survivor_id) == int(merged_id):
        raise Invalid({"merged": _l("Choose two different customers.")})
    with transaction(by) as session:
        survivor = customer_for(int(survivor_id), by, for_edit=True, session=session)
        merged = customer_for(int(merged_id), by, for_edit=True, session=session)
        plan = merge_plan(survivor, merged, session, choices)
        origin = f"{merged.customer_number} {merged.name}"
        moved = {}
        taken = _take_values(session, survivor, merged, plan, by)
        session.flush()
        old, new = survivor.id, merged.id
        merged_number, merged_name = merged.customer_number, merged.name
        merged_keys = ({merged.identity_key}, {merged.duplicate_key})
        session.expunge(merged)
        moved["addresses"] = _move_addresses(session, old, new, plan)
        moved["contacts"] = _move_contacts(session, old, new)
        moved["articles"] = _move_rows(session, CustomerArticle, old, new)
        moved["discount letters"] = _move_letters(session, old, new)
        moved["documents"] = _move_documents(session, old, new, origin)
        moved["customer users"] = _move_rows(session, CustomerUser, old, new)
        moved["notifications"] = _move_notifications(session, old, new)
        moved["history"] = _move_rows(session, CustomerHistory, old, new)
        _keep_number(session, old, new, merged_number, merged_name)
        session.execute(delete(Customer).where(Customer.id == new))
        refresh_flags(session, merged_keys[0], merged_keys[1], [old])
        session.expire(survivor)
        # Written with plain statements, so the search document and the accounting systems are
        # brought up to date here rather than by the session hooks.
        refresh_search_text(session, [old])
        for provider in accounting_outbox.enabled_providers(session):
            accounting_outbox.queue_customers(session, provider, [survivor])
        summary = "; ".join([f"values from {merged_number}: {', '.join(taken) or '-'}"]
                            + [f"{what}: {count}" for what, count in moved.items() if count])
        note(session, old, "customer", "merge", old_value=origin, new_value=summary)
    return survivor


# -- the steps (each a function, so a test can make one fail midway) --------------------------------


def _take_values(session, survivor, merged, plan, by) -> list[str]:
    prepared = rules.Prepared(session)
    theirs = rules.customer_values(merged, prepared)
    wanted = {line.key: theirs.get(line.key) for line in plan
              if line.choice == MERGED and line.key not in ADDRESS_CHOICES and line.differs}
    letters = {d.id for d in survivor.discount_letters} | {d.id for d in merged.discount_letters}
    if letters != {d.id for d in survivor.discount_letters}:
        wanted["discount_letters"] = sorted(letters)
    if wanted:
        update_customer(survivor, wanted, by=by, prepared=prepared)
    return [line.key for line in plan if line.choice == MERGED and line.differs]


def _move_rows(session, model, survivor_id: int, merged_id: int) -> int:
    return session.execute(update(model).where(model.customer_id == merged_id)
                           .values(customer_id=survivor_id)).rowcount


def _move_addresses(session, survivor_id: int, merged_id: int, plan) -> int:
    moved = 0
    choices = {line.key: line.choice for line in plan}
    for key, kind in ADDRESS_CHOICES.items():
        theirs = session.execute(select(Address.id).where(Address.customer_id == merged_id,
                                                          Address.kind == kind)).scalar()
        if theirs is None:
            continue
        mine = session.execute(select(Address.id).where(Address.customer_id == survivor_id,
                                                        Address.kind == kind)).scalar()
        if mine is not None and choices.get(key) != MERGED:
            continue  # the survivor's stays; the merged one's goes with the merged customer
        if mine is not None:
            session.execute(delete(Address).where(Address.id == mine))
        session.execute(update(Address).where(Address.id == theirs).values(customer_id=survivor_id))
        moved += 1
    return moved


def _move_contacts(session, survivor_id: int, merged_id: int) -> int:
    has_main = session.execute(select(Contact.id).where(Contact.customer_id == survivor_id,
                                                        Contact.is_main_contact.is_(True))).first()
    if has_main:  # one main contact per customer (F11): the survivor's stays main
        session.execute(update(Contact).where(Contact.customer_id == merged_id).values(is_main_contact=False))
    return _move_rows(session, Contact, survivor_id, merged_id)


def _move_letters(session, survivor_id: int, merged_id: int) -> int:
    """The link rows themselves: `_take_values` gave the survivor the union already."""
    return session.execute(delete(letter_link).where(letter_link.c.customer_id == merged_id)).rowcount


def _move_documents(session, survivor_id: int, merged_id: int, origin: str) -> int:
    """The merged customer's folders and documents, in one new top-level folder named after it
    (so no name meets one of the survivor's); the stored files stay where they are."""
    count = session.execute(select(Document.id).where(Document.customer_id == merged_id)).all()
    folders = session.execute(select(DocumentFolder.id).where(DocumentFolder.customer_id == merged_id)).all()
    if not count and not folders:
        return 0
    taken = {n.casefold() for n in session.execute(select(DocumentFolder.name).where(
        DocumentFolder.customer_id == survivor_id, DocumentFolder.parent_id.is_(None))).scalars()}
    name, n = origin[:255], 2
    while name.casefold() in taken:
        name, n = f"{origin} ({n})"[:255], n + 1
    folder = DocumentFolder(customer_id=survivor_id, name=name)
    session.add(folder)
    session.flush()
    folder_id = folder.id
    session.execute(update(DocumentFolder).where(DocumentFolder.customer_id == merged_id,
                                                 DocumentFolder.parent_id.is_(None)).values(parent_id=folder_id))
    session.execute(update(Document).where(Document.customer_id == merged_id, Document.folder_id.is_(None))
                    .values(folder_id=folder_id))
    _move_rows(session, DocumentFolder, survivor_id, merged_id)
    return _move_rows(session, Document, survivor_id, merged_id)


def _move_notifications(session, survivor_id: int, merged_id: int) -> int:
    return session.execute(update(Notification).where(Notification.link == links.customer(merged_id))
                           .values(link=links.customer(survivor_id))).rowcount


def _keep_number(session, survivor_id: int, merged_id: int, number: str, name: str) -> None:
    session.execute(update(CustomerAlias).where(CustomerAlias.customer_id == merged_id)
                    .values(customer_id=survivor_id))
    session.execute(insert(CustomerAlias).values(number=number, customer_id=survivor_id, merged_name=name))
