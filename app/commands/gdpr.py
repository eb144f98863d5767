"""Erase one person (GDPR Art. 17; issue 15): anonymise them everywhere they are stored.

A private customer keeps its row, number and the non-personal facts the bookkeeping law
(bokföringslagen, 7 years) needs (customer articles, discount letters, accounting links,
order facts once orders exist), but loses its name, personnummer, addresses, contacts,
custom field values, comment, documents (rows and stored files) and portal logins. A contact
person (by e-mail) is deleted wherever they are a contact, and their portal login with them.
Everywhere else their data was written — history old/new values and authors, outbox mails,
notifications, import jobs' files and reports — the values are cleared.

Everything is written with plain SQL statements (not through the ORM), so the history hook
writes no row with the erased values in it; one history entry says that an erasure happened,
without the data. One transaction.
"""

import json

from flask import current_app
from flask_babel import force_locale, gettext
from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, or_, select, update

from ..errors import Invalid, NotFound
from ..models.custom_fields import CustomFieldValue
from ..models.customer import PRIVATE, Address, Contact, Customer, CustomerAlias
from ..models.documents import Document, DocumentFolder
from ..models.history import CustomerHistory
from ..models.import_job import ImportJob
from ..models.notifications import Notification
from ..models.outbox import OutboxMessage
from ..models.portal import CustomerUser
from ..security.access import require
from ..security.rights import HANDLE_PERSONAL_DATA
from ..services import gdpr
from ..services.documents import remove_after_commit
from ..services.duplicates import refresh_flags
from ..services.history import note
from ..services.portal import remove_login
from ..services.search_text import refresh_search_text
from ..uploads import get_storage
from .transaction import transaction

ERASED = "erased"


def person_for(session, *, by, personnummer=None, email=None, customer_number=None) -> gdpr.Person:
    """The person to extract or erase, for someone with the right; NotFound when nothing is stored."""
    require(by, HANDLE_PERSONAL_DATA)
    try:
        person = gdpr.find_person(session, personnummer=personnummer, email=email, customer_number=customer_number)
    except ValueError as exc:
        raise Invalid({"person": exc.args[0]}) from None
    if not person.found:
        raise NotFound()
    return person


def erase_person(*, by, customer_number: str | None = None, email: str | None = None) -> dict:
    """Anonymise a private customer (by number) or a contact person / customer user (by e-mail).

    Returns what was done, counted (for the confirmation and the CLI)."""
    require(by, HANDLE_PERSONAL_DATA)
    if not customer_number and not email:
        raise Invalid({"person": _l("Give a customer number or an e-mail address.")})
    with transaction(by) as session:
        person = person_for(session, by=by, customer_number=customer_number, email=email)
        if customer_number and any(c.customer_type != PRIVATE for c in person.customers):
            raise Invalid({"person": _l("Only a private customer is a person. Erase a company's contact "
                                        "persons by their e-mail address.")})
        done = {"customers": 0, "contacts": 0, "logins": 0, "documents": 0, "history": 0, "outbox": 0,
                "notifications": 0, "import_jobs": 0}
        customer_ids = [c.id for c in person.customers]
        contact_ids = [c.id for c in person.contacts]
        touched = {c.customer_id for c in person.contacts} | set(customer_ids)
        names = {c.name for c in person.customers} | {c.name for c in person.contacts} | {
            f"{u.first_name} {u.last_name}".strip() for u in person.users}
        names = {n for n in names if n and len(n) >= 4}
        markers = person.markers
        user_ids = [u.id for u in person.users]

        for link in session.execute(select(CustomerUser).where(CustomerUser.user_id.in_(user_ids))).scalars():
            touched.add(link.customer_id)
            remove_login(link, session)
            done["logins"] += 1
        for user in person.users:  # a login tied to no customer
            if session.get(type(user), user.id) is not None and user not in session.deleted:
                user.roles = []
                session.delete(user)
                done["logins"] += 1
        session.flush()  # the logins' removal is history too; it names the login's id only

        done["contacts"] = session.execute(delete(Contact).where(Contact.id.in_(contact_ids))).rowcount
        if contact_ids:
            done["history"] += session.execute(
                update(CustomerHistory).where(CustomerHistory.record_type == "contact",
                                              CustomerHistory.record_id.in_(contact_ids))
                .values(old_value=None, new_value=None)).rowcount
        erased_keys = ({c.identity_key for c in person.customers}, {c.duplicate_key for c in person.customers})
        for customer_id in customer_ids:
            done["documents"] += _erase_customer(session, customer_id)
            done["customers"] += 1
            done["history"] += session.execute(
                update(CustomerHistory).where(CustomerHistory.customer_id == customer_id)
                .values(old_value=None, new_value=None)).rowcount
        refresh_flags(session, erased_keys[0], erased_keys[1], customer_ids)
        done["history"] += _clear_history_elsewhere(session, markers | names, user_ids)
        done["outbox"] = _clear_outbox(session, markers | names)
        done["notifications"] = _clear_notifications(session, names)
        done["import_jobs"] = _clear_import_jobs(session, markers | names)
        for customer_id in sorted(touched):
            note(session, customer_id, "customer", "erase")
        refresh_search_text(session, touched)  # contacts and names were removed with plain statements
    return done


def _erase_customer(session, customer_id: int) -> int:
    """The customer row anonymised; what hangs on it and is personal, deleted. Returns documents removed."""
    number = session.execute(select(Customer.customer_number).where(Customer.id == customer_id)).scalar()
    with force_locale(current_app.config.get("BABEL_DEFAULT_LOCALE", "sv")):  # stored: the register's language
        name = gettext("Erased person %(number)s", number=number)[:200]
    session.execute(update(Customer).where(Customer.id == customer_id).values(
        name=name, name_key=None, duplicate_key=None, identity_number=None,
        identity_key=None, tax_reduction_personnummer=None, property_designation=None, apartment_number=None,
        housing_coop_org_number=None, comment=None, cost_centre=None, language=None, active=False,
        assigned_to_id=None, version=Customer.version + 1))
    session.execute(delete(Address).where(Address.customer_id == customer_id))
    session.execute(delete(Contact).where(Contact.customer_id == customer_id))
    session.execute(delete(CustomFieldValue).where(CustomFieldValue.customer_id == customer_id))
    session.execute(update(CustomerAlias).where(CustomerAlias.customer_id == customer_id).values(merged_name=None))
    keys = session.execute(select(Document.storage_key).where(Document.customer_id == customer_id)).scalars().all()
    session.execute(delete(Document).where(Document.customer_id == customer_id))
    session.execute(delete(DocumentFolder).where(DocumentFolder.customer_id == customer_id))
    remove_after_commit(session, get_storage(), keys)
    return len(keys)


def _clear_history_elsewhere(session, markers, user_ids) -> int:
    rows = gdpr.history_mentioning(session, markers)
    ids = [r.id for r in rows]
    cleared = 0
    if ids:
        cleared += session.execute(update(CustomerHistory).where(CustomerHistory.id.in_(ids))
                                   .values(old_value=None, new_value=None)).rowcount
    authors = [CustomerHistory.changed_by.in_(list(markers))]
    if user_ids:
        authors.append(CustomerHistory.changed_by_id.in_(user_ids))
    session.execute(update(CustomerHistory).where(or_(*authors)).values(changed_by=ERASED, changed_by_id=None))
    return cleared


def _clear_outbox(session, markers) -> int:
    ids = [m.id for m in gdpr.outbox_mentioning(session, markers)]
    if not ids:
        return 0
    return session.execute(delete(OutboxMessage).where(OutboxMessage.id.in_(ids))).rowcount


def _clear_notifications(session, names) -> int:
    """Other users' notifications that name the person: the name replaced."""
    changed = 0
    for name in names:
        for row in session.execute(select(Notification.id, Notification.params).where(
                Notification.params.like(f"%{json.dumps(name)[1:-1]}%"))).all():
            params = {k: v.replace(name, ERASED) if isinstance(v, str) else v
                      for k, v in json.loads(row.params or "{}").items()}
            session.execute(update(Notification).where(Notification.id == row.id).values(params=json.dumps(params)))
            changed += 1
    return changed


def _clear_import_jobs(session, markers) -> int:
    """Import jobs that hold the person: their file, failed rows and report are deleted."""
    ids = [job.id for job in gdpr.import_jobs_mentioning(session, markers)]
    if not ids:
        return 0
    return session.execute(update(ImportJob).where(ImportJob.id.in_(ids))
                           .values(content=None, failed_rows=None, report=None)).rowcount


def extract_person(*, by, personnummer: str | None = None, email: str | None = None) -> dict:
    """Art. 15/20: every stored personal datum of one person (read-only; the right is checked)."""
    from ..extensions import db

    person = person_for(db.session, by=by, personnummer=personnummer, email=email)
    return gdpr.extract(db.session, person)
