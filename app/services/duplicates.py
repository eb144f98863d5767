"""Possible duplicates (issue 15): the same identity number, or a close name at the same postcode.

Two keys are stored on every customer and kept in step by attribute events (whoever sets
the value: the form, the import, the API, the demo loader):
- `identity_key`: the last ten digits of the identity number. 556036-0793 and 5560360793
  are stored alike already (`identity.parse_identity`); the key also makes a personnummer
  with and without its century (or `+`) meet, and a sole trader's organisation number
  (the owner's personnummer) meet the private customer.
- `name_key`: the name folded, without punctuation and legal form ("Bygg & Måleri AB" and
  "bygg och måleri" are one key).
Both are indexed, so a new customer is compared by index lookups, and the list filter
*possible duplicates* groups over the indexes instead of comparing every pair. Inactive
customers count: an inactive customer is still the same customer.
"""

import difflib
import re
import unicodedata
from dataclasses import dataclass

from sqlalchemy import and_, event, exists, inspect, or_, select, update
from sqlalchemy.orm import Session

from ..models.customer import INVOICE, Address, Customer

# Legal forms and filler words that do not tell two customers apart.
_NOISE = {
    "ab", "publ", "aktiebolag", "aktiebolaget", "hb", "handelsbolag", "handelsbolaget", "kb", "kommanditbolag",
    "ek", "för", "ekonomisk", "förening", "ekonomiska", "brf", "bostadsrättsförening", "bostadsrättsföreningen",
    "ef", "enskild", "firma", "i", "likvidation", "och", "and", "ltd", "inc", "oy", "as", "aps", "gmbh",
}
# How alike two name keys at the same postcode must be to count as "close" (difflib's ratio).
CLOSE_NAME = 0.88
# At most this many candidates are shown for one customer.
SHOWN = 10


def identity_key(identity_number: str | None) -> str | None:
    digits = re.sub(r"\D", "", identity_number or "")
    return digits[-10:] if len(digits) >= 10 else None


def name_key(name: str | None) -> str | None:
    text = unicodedata.normalize("NFKC", name or "").casefold().replace("&", " och ")
    words = [w for w in re.split(r"[^\w]+", text) if w and w not in _NOISE]
    key = " ".join(words)[:200]
    return key or None


def _set_identity(target, value, _old, _initiator):
    target.identity_key = identity_key(value)
    return value


def _keep(_target, value, _old, _initiator):
    return value


def _set_name(target, value, _old, _initiator):
    target.name_key = name_key(value)
    return value


def duplicate_key(name_key_value: str | None, postcode: str | None) -> str | None:
    return f"{name_key_value}|{postcode}"[:210] if name_key_value and postcode else None


def _invoice_postcode(customer: Customer, session) -> str | None:
    address = next((a for a in customer.addresses if a.kind == INVOICE and a not in session.deleted), None)
    return address.postcode if address is not None else None


_AFFECTED = "duplicate_keys_affected"


def _note_keys(session, customer: Customer, keys: tuple[set, set, set]) -> None:
    """The customer's keys before and after this flush: their groups' flags are refreshed after it."""
    state = inspect(customer)
    for name, bucket in (("identity_key", keys[0]), ("duplicate_key", keys[1])):
        history = state.attrs[name].history
        bucket.update(v for v in (*history.added, *history.deleted, *history.unchanged) if v)
    if customer.id is not None:
        keys[2].add(customer.id)


def _update_duplicate_keys(session, _flush_context, _instances) -> None:
    """Before a flush: the duplicate key of every customer whose name or invoice address changed."""
    customers = {obj for obj in (*session.new, *session.dirty) if isinstance(obj, Customer)}
    for obj in (*session.new, *session.dirty, *session.deleted):
        if isinstance(obj, Address) and obj.kind == INVOICE:
            customer = obj.customer
            if customer is None and obj.customer_id is not None:
                customer = session.get(Customer, obj.customer_id)
            if customer is not None:
                customers.add(customer)
    customers |= {obj for obj in session.deleted if isinstance(obj, Customer)}
    keys = session.info.setdefault(_AFFECTED, (set(), set(), set()))
    for customer in customers:
        if customer not in session.deleted:
            key = duplicate_key(customer.name_key, _invoice_postcode(customer, session))
            if customer.duplicate_key != key:
                customer.duplicate_key = key
        _note_keys(session, customer, keys)


def _after_flush(session, _flush_context) -> None:
    """After a flush: the flags of every group a customer joined or left."""
    keys = session.info.pop(_AFFECTED, None)
    if keys is None:
        return
    refresh_flags(session, keys[0], keys[1], keys[2])


def refresh_flags(session, identity_keys=(), duplicate_keys=(), customer_ids=()) -> None:
    """Recompute `possible_duplicate` of the customers with these keys or ids (index lookups).

    Plain SQL on the table: the flag is derived, so it neither bumps a customer's version nor
    writes history. Writers that change keys with plain SQL (merge, erasure) call this."""
    table = Customer.__table__
    other = table.alias("other")
    conditions = []
    for column, values in ((table.c.identity_key, identity_keys), (table.c.duplicate_key, duplicate_keys),
                           (table.c.id, customer_ids)):
        values = sorted({v for v in values if v is not None})
        conditions += [column.in_(chunk) for chunk in _chunks(values)]
    if not conditions:
        return
    flag = or_(
        exists().where(other.c.identity_key == table.c.identity_key, other.c.id != table.c.id),
        exists().where(other.c.duplicate_key == table.c.duplicate_key, other.c.id != table.c.id),
    )
    session.connection().execute(update(table).where(or_(*conditions)).values(possible_duplicate=flag))


def install_key_events() -> None:
    """Keep the keys in step with the values (idempotent)."""
    if not event.contains(Customer.identity_number, "set", _set_identity):
        event.listen(Customer.identity_number, "set", _set_identity, retval=True)
        event.listen(Customer.name, "set", _set_name, retval=True)
        event.listen(Session, "before_flush", _update_duplicate_keys)
        event.listen(Session, "after_flush", _after_flush)
        # the keys' old values are loaded before a change, so the group they leave is refreshed too
        for attribute in (Customer.identity_key, Customer.duplicate_key):
            event.listen(attribute, "set", _keep, active_history=True, retval=True)


def close_names(a: str, b: str) -> bool:
    """Equal keys, or a typo apart; numbers in a name must agree ("Kund 1" is not "Kund 12")."""
    if a == b:
        return True
    if re.findall(r"\d+", a) != re.findall(r"\d+", b):
        return False
    matcher = difflib.SequenceMatcher(None, a, b)  # the cheap upper bounds first
    return matcher.real_quick_ratio() >= CLOSE_NAME and matcher.quick_ratio() >= CLOSE_NAME and \
        matcher.ratio() >= CLOSE_NAME


@dataclass
class Match:
    """An existing customer a new or changed one may duplicate, and why."""

    id: int
    customer_number: str
    name: str
    active: bool
    reason: str  # "identity" or "name"

    def as_dict(self) -> dict:
        return {"id": self.id, "customer_number": self.customer_number, "name": self.name,
                "active": self.active, "reason": self.reason}


def find_duplicates(session, *, identity_number: str | None, name: str | None, postcode: str | None,
                    exclude_ids=()) -> list[Match]:
    """Existing customers (active or not) with the same identity, or a close name at the same postcode."""
    exclude = {int(i) for i in exclude_ids if i is not None}
    matches: dict[int, Match] = {}
    key = identity_key(identity_number)
    if key:
        query = select(Customer.id, Customer.customer_number, Customer.name, Customer.active).where(
            Customer.identity_key == key).order_by(Customer.id).limit(SHOWN + len(exclude))
        for row in session.execute(query):
            if row.id not in exclude:
                matches[row.id] = Match(row.id, row.customer_number, row.name, row.active, "identity")
    wanted = name_key(name)
    if wanted and postcode:
        query = (
            select(Customer.id, Customer.customer_number, Customer.name, Customer.active, Customer.name_key)
            .join(Address, and_(Address.customer_id == Customer.id, Address.kind == INVOICE))
            .where(Address.postcode == postcode).order_by(Customer.id).limit(2000)
        )
        for row in session.execute(query):
            if row.id in exclude or row.id in matches or not row.name_key:
                continue
            if close_names(row.name_key, wanted):
                matches[row.id] = Match(row.id, row.customer_number, row.name, row.active, "name")
    return sorted(matches.values(), key=lambda m: (m.reason != "identity", m.id))[:SHOWN]


def find_duplicates_many(session, wanted: list[tuple[str | None, str | None, str | None]]) -> list[list[Match]]:
    """`find_duplicates` for many new customers at once, (identity, name, postcode) each: one query
    for the identities and one for the postcodes of a whole batch (the import)."""
    keys = {identity_key(identity) for identity, _n, _p in wanted} - {None}
    postcodes = {postcode for _i, name, postcode in wanted if postcode and name_key(name)}
    by_key: dict[str, list[Match]] = {}
    for chunk in _chunks(sorted(keys)):
        for row in session.execute(select(Customer.id, Customer.customer_number, Customer.name, Customer.active,
                                          Customer.identity_key).where(Customer.identity_key.in_(chunk))
                                   .order_by(Customer.id)):
            by_key.setdefault(row.identity_key, []).append(
                Match(row.id, row.customer_number, row.name, row.active, "identity"))
    by_postcode: dict[str, list] = {}
    for chunk in _chunks(sorted(postcodes)):
        query = (select(Customer.id, Customer.customer_number, Customer.name, Customer.active, Customer.name_key,
                        Address.postcode)
                 .join(Address, and_(Address.customer_id == Customer.id, Address.kind == INVOICE))
                 .where(Address.postcode.in_(chunk), Customer.name_key.is_not(None)).order_by(Customer.id))
        for row in session.execute(query):
            by_postcode.setdefault(row.postcode, []).append(row)
    result = []
    for identity, name, postcode in wanted:
        matches = {m.id: m for m in by_key.get(identity_key(identity), [])[:SHOWN]}
        key = name_key(name)
        for row in by_postcode.get(postcode, []) if key else []:
            if row.id not in matches and close_names(row.name_key, key):
                matches[row.id] = Match(row.id, row.customer_number, row.name, row.active, "name")
        result.append(sorted(matches.values(), key=lambda m: (m.reason != "identity", m.id))[:SHOWN])
    return result


def _chunks(items: list, size: int = 1000):
    for start in range(0, len(items), size):
        yield items[start:start + size]


def duplicates_of_values(session, clean: dict, customer: Customer | None = None) -> list[Match]:
    """Possible duplicates of a customer about to be saved with the checked values `clean`."""
    if customer is not None:
        identity = clean.get("identity_number", customer.identity_number)
        name = clean.get("name", customer.name)
        invoice = customer.address(INVOICE)
        postcode = clean.get("invoice_postcode", invoice.postcode if invoice else None)
        # An edit warns only when it changes what identifies the customer.
        if identity == customer.identity_number and name == customer.name and \
                postcode == (invoice.postcode if invoice else None):
            return []
    else:
        identity, name, postcode = clean.get("identity_number"), clean.get("name"), clean.get("invoice_postcode")
    return find_duplicates(session, identity_number=identity, name=name, postcode=postcode,
                           exclude_ids=[customer.id] if customer is not None else [])


def possible_duplicates_condition():
    """A WHERE condition: the customer shares its identity key, or its name key and invoice postcode
    (duplicate_key), with another customer: the stored flag, read through a partial index."""
    return Customer.possible_duplicate.is_(True)
