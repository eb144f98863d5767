"""Upload register (F24): the import's writing pass, through the same commands as the card.

The importer (`app/services/importer.py`) reads and checks the file; each batch of valid
customers is written here, as one transaction, by `create_customer`/`update_customer`,
`save_address`, `save_contact`, `set_active` and `assign_technician`: the rules, history
and notifications (F20: the technician hears of the customers assigned by an import) are
the same as when a person types the values in.
"""

from collections.abc import Callable

from ..database import fold
from ..security.access import SYSTEM
from ..services import importer as reading
from ..services.numbering import next_customer_numbers
from .assignment import assign_technician
from .contacts import delete_address, save_address, save_contact
from .customers import CONFIRMED, IGNORE, create_customer, set_active, update_customer
from .transaction import transaction


def _match_contact(contacts: list, clean: dict):
    for contact in contacts:
        if clean.get("email") and contact.email and fold(contact.email) == fold(clean["email"]):
            return contact
    for contact in contacts:
        if fold(contact.name or "") == fold(clean["name"] or ""):
            return contact
    return None


def _write_contacts(importer, customer, checked, by) -> None:
    """Add or update the customer's contacts (matched by e-mail, then name; never deleted).

    A row that says whether the contact is the main contact decides; otherwise a customer
    without a main contact gets its first contact as main contact (F11).
    """
    contacts = list(customer.contacts)
    for _row, clean, main_given in checked.contacts:
        contact = _match_contact(contacts, clean)
        if main_given:
            is_main = clean["is_main_contact"]
        elif contact is not None and contact.is_main_contact:
            is_main = True
        else:
            is_main = not any(c.is_main_contact for c in contacts)
        saved = save_contact(customer, {**clean, "is_main_contact": is_main}, by=by, contact=contact)
        if contact is None:
            contacts.append(saved)
            importer.report.contacts += 1


def write_batch(importer, batch: list, progress=None) -> None:
    """Write one batch of checked customers (`importer.Checked`) in one transaction, which also
    records the import's `progress` (so a resumed import knows exactly what was written)."""
    by = importer.by
    with transaction(by) as session:
        wanted = sum(1 for c in batch if c.existing is None and not c.group.number)
        generated = iter(next_customer_numbers(session, importer.settings, wanted,
                                               at_least=importer.highest_number + 1,
                                               avoid={c.group.number for c in batch if c.group.number})
                         if wanted else [])
        activity: dict[bool, list[int]] = {True: [], False: []}
        assignments: dict[object, list[int]] = {}
        for checked in batch:
            if checked.existing is None:
                clean = {**checked.clean, "customer_number": checked.group.number or next(generated)}
                customer = create_customer({}, by=by, clean=clean, prepared=importer.prepared,
                                           duplicates=CONFIRMED if checked.duplicates else IGNORE)
                importer.report.created += 1
            else:
                customer = update_customer(checked.existing, {}, by=by, clean=checked.clean,
                                           prepared=importer.prepared)
                importer.report.updated += 1
            for kind, values in checked.addresses.items():
                if values is None:
                    delete_address(customer, kind, by=by)
                else:
                    save_address(customer, kind, values, by=by)
            if checked.active is not reading.UNCHANGED:
                activity[checked.active].append(customer.id)
            if checked.assigned is not reading.UNCHANGED:
                assignments.setdefault(checked.assigned, []).append(customer.id)
            _write_contacts(importer, customer, checked, by)
        for active, ids in activity.items():
            if ids:
                set_active(ids, active, by=by)
        for technician_id, ids in assignments.items():
            assign_technician(ids, technician_id, by=by)
        if progress is not None:
            progress()


def import_register(session, opener: Callable, filename: str, by=None, *, mode: str = reading.INSERT,
                    dry_run: bool = False, valid_only: bool = False, progress: Callable | None = None,
                    allow_duplicates: bool = False):
    """Import the file behind `opener` as `by` (None: the system); returns (report, failed-rows CSV).

    `allow_duplicates`: insert mode also writes new customers that look like existing ones
    (history records that they were imported although possible duplicates)."""
    return reading.run_import(session, opener, filename, by if by is not None else SYSTEM, mode=mode,
                              dry_run=dry_run, valid_only=valid_only, progress=progress, writer=write_batch,
                              allow_duplicates=allow_duplicates)
