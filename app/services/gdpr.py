"""One person's data (GDPR Art. 15, 17, 20; issue 15): where it is stored, and the extract.

A person is found by personnummer (a private customer, or a customer whose ROT/RUT
personnummer it is) or by e-mail (contact persons everywhere, a customer user's login).
`find_person` gathers every row that holds their data; `extract` turns it into one
machine-readable document; the erasure (`app/commands/gdpr.py`) anonymises the same rows.
"""

import datetime
import json
from dataclasses import dataclass, field

from flask_appbuilder.security.sqla.models import User
from sqlalchemy import func, or_, select

from ..models.custom_fields import CustomFieldDefinition
from ..models.customer import PRIVATE, Contact, Customer
from ..models.documents import Document, DocumentFolder
from ..models.history import CustomerHistory
from ..models.import_job import ImportJob
from ..models.notifications import Notification
from ..models.outbox import OutboxMessage
from ..models.portal import CustomerUser
from .duplicates import identity_key
from .identity import parse_email, parse_personnummer


@dataclass
class Person:
    """Every stored row that holds one person's data, and the strings that identify them."""

    query: dict
    customers: list = field(default_factory=list)  # private customers that are the person
    contacts: list = field(default_factory=list)  # contact persons that are the person
    users: list = field(default_factory=list)  # FAB users: the person's portal logins
    markers: set = field(default_factory=set)  # personnummer forms, e-mails, phones

    @property
    def found(self) -> bool:
        return bool(self.customers or self.contacts or self.users)


def _personnummer_forms(value: str) -> set[str]:
    """The forms a personnummer may be stored in: canonical, with and without century and hyphen."""
    forms = {value, value.replace("-", ""), value[2:], value[2:].replace("-", "")}
    return {f for f in forms if f}


def find_person(session, *, personnummer: str | None = None, email: str | None = None,
                customer_number: str | None = None) -> Person:
    """The person behind a personnummer, an e-mail or a private customer's number.

    ValueError (with a user message) for a malformed personnummer or e-mail."""
    if customer_number:
        person = Person({"customer": customer_number})
        person.customers = list(session.execute(select(Customer).where(
            Customer.customer_number == customer_number)).scalars())
    elif personnummer:
        canonical = parse_personnummer(personnummer)
        person = Person({"personnummer": canonical})
        person.customers = list(session.execute(select(Customer).where(or_(
            Customer.identity_number == canonical, Customer.tax_reduction_personnummer == canonical,
            Customer.identity_key == identity_key(canonical))).order_by(Customer.id)).scalars())
    else:
        address = parse_email(email or "").casefold()
        person = Person({"email": address})
        person.contacts = list(session.execute(select(Contact).where(func.lower(Contact.email) == address)
                                               .order_by(Contact.id)).scalars())
        # portal logins only: a colleague's account is not a customer's personal data to erase here
        person.users = list(session.execute(select(User).join(CustomerUser, CustomerUser.user_id == User.id).where(or_(
            func.lower(User.email) == address, func.lower(User.username) == address))
            .order_by(User.id).distinct()).scalars())
        person.markers.add(address)
    for customer in person.customers:
        for value in (customer.identity_number, customer.tax_reduction_personnummer):
            if value and (customer.customer_type == PRIVATE or value == person.query.get("personnummer")):
                person.markers |= _personnummer_forms(value)
        # a private customer's contacts and portal logins are the person (or their household)
        if customer.customer_type == PRIVATE:
            person.contacts += [c for c in customer.contacts if c not in person.contacts]
            person.users += [link.user for link in session.execute(select(CustomerUser).where(
                CustomerUser.customer_id == customer.id)).scalars() if link.user not in person.users]
    for contact in person.contacts:
        person.markers |= {m for m in (contact.email, contact.phone) if m}
    for user in person.users:
        person.markers |= {m for m in (user.email, user.username) if m}
    person.markers = {m for m in person.markers if len(m) >= 6}  # nothing short enough to match at random
    return person


def history_mentioning(session, markers, exclude_customer_ids=()) -> list[CustomerHistory]:
    """History rows of other customers whose old or new value (or author) holds one of `markers`."""
    if not markers:
        return []
    conditions = []
    for marker in markers:
        pattern = f"%{marker}%"
        conditions += [CustomerHistory.old_value.like(pattern), CustomerHistory.new_value.like(pattern),
                       CustomerHistory.changed_by == marker]
    query = select(CustomerHistory).where(or_(*conditions))
    if exclude_customer_ids:
        query = query.where(CustomerHistory.customer_id.not_in(list(exclude_customer_ids)))
    return list(session.execute(query.order_by(CustomerHistory.id)).scalars())


def outbox_mentioning(session, markers) -> list[OutboxMessage]:
    if not markers:
        return []
    conditions = []
    for marker in markers:
        conditions += [func.lower(OutboxMessage.recipient) == marker.casefold(),
                       OutboxMessage.body.like(f"%{marker}%"), OutboxMessage.subject.like(f"%{marker}%")]
    return list(session.execute(select(OutboxMessage).where(or_(*conditions)).order_by(OutboxMessage.id)).scalars())


def import_jobs_mentioning(session, markers) -> list[ImportJob]:
    """Import jobs whose report, failed rows or (CSV) file holds a marker."""
    if not markers:
        return []
    found = []
    for job in session.execute(select(ImportJob).order_by(ImportJob.id)).scalars():
        texts = [job.report or ""]
        blobs = [job.content or b"", job.failed_rows or b""]
        if any(m in t for m in markers for t in texts) or any(m.encode() in b for m in markers for b in blobs):
            found.append(job)
    return found


def _when(value) -> str | None:
    return value.isoformat() if isinstance(value, datetime.date | datetime.datetime) else value


def _history(rows) -> list[dict]:
    return [{"customer_id": r.customer_id, "changed_at": _when(r.changed_at), "changed_by": r.changed_by,
             "record": r.record_type, "action": r.action, "field": r.field, "old_value": r.old_value,
             "new_value": r.new_value} for r in rows]


def _contact(c: Contact) -> dict:
    return {"customer_number": c.customer.customer_number, "name": c.name, "phone": c.phone, "email": c.email,
            "send_service_protocol": c.send_service_protocol, "send_work_order": c.send_work_order,
            "is_main_contact": c.is_main_contact}


def extract(session, person: Person) -> dict:
    """Every stored personal datum of `person`, as one JSON-ready document."""
    labels = dict(session.execute(select(CustomFieldDefinition.id, CustomFieldDefinition.label)).all())
    customer_ids = [c.id for c in person.customers]
    data = {"generated_at": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
            "query": person.query, "customers": [], "contacts": [_contact(c) for c in person.contacts],
            "customer_users": [], "notifications": [], "outbox": [], "import_jobs": [],
            "history_elsewhere": _history(history_mentioning(session, person.markers, customer_ids))}
    for customer in person.customers:
        history = session.execute(select(CustomerHistory).where(CustomerHistory.customer_id == customer.id)
                                  .order_by(CustomerHistory.changed_at, CustomerHistory.id)).scalars()
        folders = dict(session.execute(select(DocumentFolder.id, DocumentFolder.name).where(
            DocumentFolder.customer_id == customer.id)).all())
        documents = session.execute(select(Document).where(Document.customer_id == customer.id)
                                    .order_by(Document.id)).scalars()
        data["customers"].append({
            **{key: _when(getattr(customer, key)) for key in (
                "customer_number", "name", "customer_type", "identity_number", "vat_type", "language", "comment",
                "cost_centre", "tax_reduction_personnummer", "property_designation", "housing_coop_org_number",
                "apartment_number", "active", "created_at", "updated_at")},
            "addresses": [{"kind": a.kind, "street": a.street, "street2": a.street2, "postcode": a.postcode,
                           "city": a.city} for a in customer.addresses],
            "contacts": [_contact(c) for c in customer.contacts],
            "custom_fields": {labels.get(v.field_id, str(v.field_id)): v.value for v in customer.custom_values},
            "documents": [{"name": d.name, "folder": folders.get(d.folder_id), "size": d.size,
                           "content_type": d.content_type, "uploaded_at": _when(d.uploaded_at)} for d in documents],
            "history": _history(history),
        })
    for user in person.users:
        links = session.execute(select(CustomerUser).where(CustomerUser.user_id == user.id)).scalars().all()
        data["customer_users"].append({
            "username": user.username, "first_name": user.first_name, "last_name": user.last_name,
            "email": user.email, "active": user.active, "created_on": _when(user.created_on),
            "last_login": _when(user.last_login), "login_count": user.login_count,
            "fail_login_count": user.fail_login_count,
            "customers": [{"customer_number": link.customer.customer_number, "can_edit_details": link.can_edit_details,
                           "can_see_documents": link.can_see_documents} for link in links],
        })
        for n in session.execute(select(Notification).where(Notification.user_id == user.id)
                                 .order_by(Notification.id)).scalars():
            data["notifications"].append({"kind": n.kind, "params": json.loads(n.params or "{}"), "link": n.link,
                                          "created_at": _when(n.created_at), "read_at": _when(n.read_at)})
    for message in outbox_mentioning(session, person.markers):
        data["outbox"].append({"recipient": message.recipient, "subject": message.subject, "body": message.body,
                               "status": message.status, "created_at": _when(message.created_at),
                               "sent_at": _when(message.sent_at)})
    for job in import_jobs_mentioning(session, person.markers):
        data["import_jobs"].append({"filename": job.filename, "created_at": _when(job.created_at),
                                    "status": job.status})
    return data


def extract_json(session, person: Person) -> str:
    return json.dumps(extract(session, person), ensure_ascii=False, indent=2)
