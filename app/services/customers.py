"""Create and change customers, contacts, addresses and customer articles.

Every writer (web form, REST, import, CLI, demo) calls these functions, so the rules of
F1–F13 are written once. Input is a plain dict of submitted values; errors come back as
`CustomerInvalid({field: message})` and nothing is written.
"""

from decimal import Decimal, InvalidOperation

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError

from ..extensions import db
from ..models.article import CUSTOMER_ARTICLE_KINDS, Article, CustomerArticle
from ..models.custom_fields import CustomFieldValue
from ..models.customer import (
    ADDRESS_KINDS,
    COMPANY,
    CUSTOMER_TYPES,
    INVOICE,
    VAT_TYPES,
    Address,
    Contact,
    Customer,
)
from ..models.discount import DiscountLetter
from . import custom_fields as cf
from .identity import (
    parse_apartment_number,
    parse_email,
    parse_identity,
    parse_orgnr,
    parse_personnummer,
    parse_postcode,
)
from .numbering import check_customer_number, next_customer_number, number_taken
from .settings import get_settings

F13_FLAGS = ("facilities_disabled", "facility_required", "cost_centre_required", "always_invoice")
ADDRESS_PARTS = ("street", "street2", "postcode", "city")


class CustomerInvalid(ValueError):
    """Input that breaks a rule; `errors` maps a field name to a user message."""

    def __init__(self, errors: dict):
        super().__init__(errors)
        self.errors = errors


class EditConflict(Exception):
    """Someone saved the customer after this edit began; nothing was overwritten."""

    message = _l("Someone else saved this customer after you opened it. Nothing was saved: "
                 "reload the customer to see their changes, then make yours again.")


def _text(raw: dict, key: str, max_len: int) -> str | None:
    value = raw.get(key)
    value = "" if value is None else str(value).strip()
    return value[:max_len] if value else None


def _flag(raw: dict, key: str) -> bool:
    value = raw.get(key)
    if isinstance(value, bool):
        return value
    return str(value or "").strip().lower() in cf.TRUE_WORDS


def offered_languages() -> dict:
    """F6: the languages the system itself is translated into."""
    return {code: info["name"] for code, info in current_app.config["LANGUAGES"].items()}


def _clean_address(raw: dict, prefix: str, errors: dict) -> dict:
    values = {part: _text(raw, f"{prefix}{part}", 200) for part in ADDRESS_PARTS}
    if values["city"]:
        values["city"] = values["city"][:100]
    if values["postcode"]:
        try:
            values["postcode"] = parse_postcode(values["postcode"])
        except ValueError as exc:
            errors[f"{prefix}postcode"] = exc.args[0]
    return values


def clean_customer(raw: dict, session, settings, customer: Customer | None = None, *, fields=None,
                   letters: dict | None = None, check_number: bool = True) -> tuple[dict, dict]:
    """Validate `raw`; returns (clean values, errors). Fields hidden by a setting are skipped.

    Batched writers (import) pass the custom `fields` and discount `letters` (id -> letter)
    they loaded once, and check customer numbers themselves (`check_number=False`).
    """
    errors: dict = {}
    clean: dict = {}

    name = _text(raw, "name", 200)
    if not name:
        errors["name"] = _l("Enter the customer's name.")
    clean["name"] = name

    if customer is None and check_number:
        typed = _text(raw, "customer_number", 32)
        if typed:
            try:
                clean["customer_number"] = check_customer_number(typed, settings)
                if number_taken(session, clean["customer_number"]):
                    errors["customer_number"] = _l("The customer number is already in use.")
            except ValueError as exc:
                errors["customer_number"] = exc.args[0]
        elif not settings.auto_customer_number:
            errors["customer_number"] = _l("Enter a customer number.")

    customer_type = raw.get("customer_type") or COMPANY
    if customer_type not in CUSTOMER_TYPES:
        errors["customer_type"] = _l("Choose company or private.")
    clean["customer_type"] = customer_type

    identity = _text(raw, "identity_number", 20)
    clean["identity_number"] = None
    if identity and customer_type in CUSTOMER_TYPES:
        try:
            clean["identity_number"] = parse_identity(customer_type, identity)
        except ValueError as exc:
            errors["identity_number"] = exc.args[0]

    clean["comment"] = _text(raw, "comment", 10_000)
    for flag in F13_FLAGS:
        clean[flag] = _flag(raw, flag)

    if settings.show_vat_type:
        vat_type = raw.get("vat_type") or None
        if vat_type is not None and vat_type not in VAT_TYPES:
            errors["vat_type"] = _l("Choose a VAT type.")
        clean["vat_type"] = vat_type
    if settings.show_language:
        language = raw.get("language") or None
        if language is not None and language not in offered_languages():
            errors["language"] = _l("Choose one of the offered languages.")
        clean["language"] = language
    if settings.show_cost_centre:
        clean["cost_centre"] = _text(raw, "cost_centre", 100)
    if settings.use_rot_rut:
        _clean_tax_reduction(raw, clean, errors)

    clean["invoice_address"] = _clean_address(raw, "invoice_", errors)

    letter_ids = raw.get("discount_letter_ids") or []
    try:
        letter_ids = sorted({int(i) for i in letter_ids})
    except (TypeError, ValueError):
        letter_ids = None
    chosen = []
    if letter_ids and letters is not None:
        chosen = [letters[i] for i in letter_ids if i in letters]
    elif letter_ids:
        chosen = list(session.execute(select(DiscountLetter).where(DiscountLetter.id.in_(letter_ids))).scalars())
    if letter_ids is None or len(chosen) != len(letter_ids or []):
        errors["discount_letter_ids"] = _l("Choose discount letters from the list.")
    clean["discount_letters"] = chosen

    clean["custom_values"] = {}
    for field in cf.active_fields(session) if fields is None else fields:
        key = f"cf_{field.id}"
        try:
            clean["custom_values"][field.id] = cf.parse_value(field, raw.get(key))
        except ValueError as exc:
            errors[key] = exc.args[0]
    return clean, errors


def _clean_tax_reduction(raw: dict, clean: dict, errors: dict) -> None:
    """F12: the private person's personnummer, or property/housing-cooperative data."""
    parsers = {
        "tax_reduction_personnummer": parse_personnummer,
        "housing_coop_org_number": parse_orgnr,
        "apartment_number": parse_apartment_number,
    }
    for key, parser in parsers.items():
        value = _text(raw, key, 20)
        clean[key] = None
        if value:
            try:
                clean[key] = parser(value)
            except ValueError as exc:
                errors[key] = exc.args[0]
    clean["property_designation"] = _text(raw, "property_designation", 200)
    if clean["housing_coop_org_number"] and not clean["apartment_number"] and "apartment_number" not in errors:
        errors["apartment_number"] = _l("Enter the apartment number of the housing cooperative.")


def apply_customer(customer: Customer, clean: dict, session) -> None:
    """Set the values `clean_customer` returned, without committing (the import batches this)."""
    scalar_keys = [k for k in clean if k not in ("invoice_address", "discount_letters", "custom_values")]
    for key in scalar_keys:
        setattr(customer, key, clean[key])
    customer.discount_letters = clean["discount_letters"]
    set_address(customer, INVOICE, clean["invoice_address"])
    existing = {v.field_id: v for v in customer.custom_values}
    for field_id, value in clean["custom_values"].items():
        if field_id in existing:
            if value is None:
                customer.custom_values.remove(existing[field_id])
            else:
                existing[field_id].value = value
        elif value is not None:
            customer.custom_values.append(CustomFieldValue(field_id=field_id, value=value))


def clean_address(raw: dict) -> tuple[dict, dict]:
    """A visiting or postal address (F10): (clean parts, errors)."""
    errors: dict = {}
    values = _clean_address(raw, "", errors)
    if not errors and not (values["street"] or values["city"]):
        errors["street"] = _l("Enter a street address or a city.")
    return values, errors


def set_address(customer: Customer, kind: str, values: dict) -> None:
    """Set (or, for empty invoice values, remove) one address, without committing."""
    address = customer.address(kind)
    if not any(values.values()):
        if address is not None and kind == INVOICE:
            customer.addresses.remove(address)
        return
    if address is None:
        address = Address(kind=kind)
        customer.addresses.append(address)
    for part in ADDRESS_PARTS:
        setattr(address, part, values[part])


def create_customer(raw: dict, session=None) -> Customer:
    session = session or db.session
    settings = get_settings()
    clean, errors = clean_customer(raw, session, settings)
    if errors:
        raise CustomerInvalid(errors)
    try:
        if "customer_number" not in clean:
            clean["customer_number"] = next_customer_number(session, settings)
        customer = Customer(active=True)
        session.add(customer)
        apply_customer(customer, clean, session)
        session.commit()
    except ValueError as exc:
        session.rollback()
        raise CustomerInvalid({"customer_number": exc.args[0]}) from None
    except Exception:
        session.rollback()
        raise
    return customer


def update_customer(customer: Customer, raw: dict, session=None, expected_version: int | None = None) -> Customer:
    """Change a customer's fields; the customer number is changed only by renumbering.

    `expected_version` is the version the edit form was opened on: if the customer was
    saved since, EditConflict is raised and nothing is written.
    """
    session = session or db.session
    if expected_version is not None and expected_version != customer.version:
        raise EditConflict()
    clean, errors = clean_customer(raw, session, get_settings(), customer)
    if errors:
        raise CustomerInvalid(errors)
    try:
        apply_customer(customer, clean, session)
        session.commit()
    except StaleDataError:
        session.rollback()
        raise EditConflict() from None
    except Exception:
        session.rollback()
        raise
    return customer


def change_customer_number(customer: Customer, new_number: str, session=None) -> Customer:
    """F1 [Ändra kundnummer]: the number rules and collisions apply; history records old and new."""
    session = session or db.session
    try:
        number = check_customer_number(new_number, get_settings())
    except ValueError as exc:
        raise CustomerInvalid({"customer_number": exc.args[0]}) from None
    if number == customer.customer_number:
        raise CustomerInvalid({"customer_number": _l("That is already the customer's number.")})
    if number_taken(session, number, except_id=customer.id):
        raise CustomerInvalid({"customer_number": _l("The customer number is already in use.")})
    customer.customer_number = number
    try:
        session.commit()
    except IntegrityError:  # taken by someone else at the same moment
        session.rollback()
        raise CustomerInvalid({"customer_number": _l("The customer number is already in use.")}) from None
    return customer


def clean_contact(raw: dict) -> tuple[dict, dict]:
    errors, clean = {}, {}
    clean["name"] = _text(raw, "name", 200)
    if not clean["name"]:
        errors["name"] = _l("Enter the contact's name.")
    clean["phone"] = _text(raw, "phone", 50)
    if clean["phone"] and not all(ch.isdigit() or ch in " +-()" for ch in clean["phone"]):
        errors["phone"] = _l("A phone number may contain digits, spaces and + - ( ).")
    clean["email"] = _text(raw, "email", 254)
    if clean["email"]:
        try:
            clean["email"] = parse_email(clean["email"])
        except ValueError as exc:
            errors["email"] = exc.args[0]
    for flag in ("send_service_protocol", "send_work_order", "is_main_contact"):
        clean[flag] = _flag(raw, flag)
    if (clean["send_service_protocol"] or clean["send_work_order"]) and not clean["email"] and "email" not in errors:
        errors["email"] = _l("Documents are sent by e-mail: enter the contact's e-mail address.")
    return clean, errors


def save_contact(customer: Customer, raw: dict, contact: Contact | None = None, session=None) -> Contact:
    """Add or change a contact. Marking one contact as main contact unmarks the others (F11)."""
    session = session or db.session
    clean, errors = clean_contact(raw)
    if errors:
        raise CustomerInvalid(errors)
    try:
        if clean["is_main_contact"]:
            others = [c for c in customer.contacts if c is not contact and c.is_main_contact]
            for other in others:
                other.is_main_contact = False
            session.flush()  # before the new main contact, or the unique index would refuse it
        if contact is None:
            contact = Contact(customer=customer)
            session.add(contact)
        for key, value in clean.items():
            setattr(contact, key, value)
        session.commit()
    except Exception:
        session.rollback()
        raise
    return contact


def delete_contact(contact: Contact, session=None) -> None:
    session = session or db.session
    session.delete(contact)
    session.commit()


def save_address(customer: Customer, kind: str, raw: dict, session=None) -> Address:
    """Add or change the visiting, postal or invoice address (F10)."""
    session = session or db.session
    if kind not in ADDRESS_KINDS:
        raise CustomerInvalid({"kind": _l("Unknown address type.")})
    values, errors = clean_address(raw)
    if errors:
        raise CustomerInvalid(errors)
    try:
        set_address(customer, kind, values)
        session.commit()
    except Exception:
        session.rollback()
        raise
    return customer.address(kind)


def delete_address(customer: Customer, kind: str, session=None) -> None:
    session = session or db.session
    address = customer.address(kind)
    if address is not None:
        customer.addresses.remove(address)
        session.commit()


def add_customer_article(customer: Customer, kind: str, raw: dict, session=None) -> CustomerArticle:
    """F9: an article offered for automatic addition to the customer's new orders."""
    session = session or db.session
    errors = {}
    if kind not in CUSTOMER_ARTICLE_KINDS:
        errors["kind"] = _l("Unknown article list.")
    article = None
    try:
        article = session.get(Article, int(raw.get("article_id") or 0))
    except (TypeError, ValueError):
        pass
    if article is None:
        errors["article_id"] = _l("Choose an article from the register.")
    try:
        quantity = Decimal(str(raw.get("quantity") or "1").replace(",", ".").strip())
        if not quantity.is_finite() or quantity < 0 or quantity >= 100_000:
            raise InvalidOperation
    except InvalidOperation:
        errors["quantity"] = _l("Enter a quantity of 0 or more, e.g. 1 or 2,5.")
        quantity = None
    if errors:
        raise CustomerInvalid(errors)
    row = CustomerArticle(customer=customer, article=article, kind=kind, quantity=quantity)
    session.add(row)
    session.commit()
    return row


def remove_customer_article(row: CustomerArticle, session=None) -> None:
    session = session or db.session
    session.delete(row)
    session.commit()


def display_name(customer: Customer, settings=None) -> str:
    """F25: "Include the customer number in the display name"."""
    settings = settings or get_settings()
    if settings.number_in_display_name:
        return f"{customer.customer_number} {customer.name}"
    return customer.name


def set_active(customer_ids: list[int], active: bool, session=None) -> int:
    """Activate or inactivate customers (F19); their data and orders stay. Returns how many changed."""
    session = session or db.session
    changed = 0
    for chunk in _chunks(sorted(set(customer_ids)), 1000):
        for customer in session.execute(select(Customer).where(Customer.id.in_(chunk))).scalars():
            if customer.active != active:
                customer.active = active
                changed += 1
        session.flush()
    session.commit()
    return changed


def _chunks(items: list, size: int):
    for start in range(0, len(items), size):
        yield items[start:start + size]
