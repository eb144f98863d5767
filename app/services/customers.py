"""The rules of a customer's values, its contacts, addresses and articles (F1–F13).

Pure rules: validate submitted values into canonical ones and set them on the objects,
never committing. The commands in `app/commands` decide who may do it and run it in one
transaction; the web form, the REST API, the import and the CLI all reach these through
them. Errors come back as `{field: message}` and nothing is changed.
"""

from decimal import Decimal, InvalidOperation

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import object_session

from ..errors import Invalid
from ..models.article import CUSTOMER_ARTICLE_KINDS, Article
from ..models.custom_fields import CustomFieldValue
from ..models.customer import ADDRESS_KINDS, COMPANY, INVOICE, Address, Customer
from ..models.discount import DiscountLetter
from . import custom_fields as cf
from . import customer_fields as registry
from .identity import parse_email, parse_postcode
from .numbering import check_customer_number, number_taken
from .settings import get_settings

ADDRESS_PARTS = registry.ADDRESS_PARTS
CONTACT_FLAGS = ("send_service_protocol", "send_work_order", "is_main_contact")


def _text(raw: dict, key: str, max_len: int) -> str | None:
    value = raw.get(key)
    value = "" if value is None else str(value).strip()
    return value[:max_len] if value else None


def _flag(raw: dict, key: str) -> bool:
    value = raw.get(key)
    if isinstance(value, bool):
        return value
    return str(value or "").strip().lower() in cf.TRUE_WORDS


class Prepared:
    """What validating many customers needs once: settings, custom fields, discount letters."""

    def __init__(self, session, settings=None, definitions=None, letters: dict | None = None):
        self.settings = settings if settings is not None else get_settings()
        self.definitions = definitions if definitions is not None else cf.active_fields(session)
        self.letters = letters
        self.form_fields = registry.form_fields(self.settings, self.definitions)

    def letters_by_id(self, session, ids) -> dict:
        if self.letters is not None:
            return self.letters
        return {letter.id: letter for letter in
                session.execute(select(DiscountLetter).where(DiscountLetter.id.in_(ids))).scalars()}


def customer_values(customer: Customer, prepared: Prepared) -> dict:
    """A customer's current values as form input (an update starts from these)."""
    return {entry.key: entry.form_value(customer) for entry in prepared.form_fields}


def clean_customer(raw: dict, session, prepared: Prepared, customer: Customer | None = None, *,
                   check_number: bool = True) -> tuple[dict, dict]:
    """Validate `raw` (every form field of the registry); returns (clean values, errors).

    Fields hidden by a setting are not touched. A new customer's number is checked here
    unless the caller checks numbers itself (`check_number=False`, the import).
    """
    errors: dict = {}
    clean: dict = {}
    if customer is None and check_number:
        typed = _text(raw, "customer_number", 32)
        if typed:
            try:
                clean["customer_number"] = check_customer_number(typed, prepared.settings)
                if number_taken(session, clean["customer_number"]):
                    errors["customer_number"] = _l("The customer number is already in use.")
            except ValueError as exc:
                errors["customer_number"] = exc.args[0]
        elif not prepared.settings.auto_customer_number:
            errors["customer_number"] = _l("Enter a customer number.")
    for entry in prepared.form_fields:
        value = raw.get(entry.key)
        if entry.key == "customer_type" and registry.is_empty(value):
            value = COMPANY
        try:
            clean[entry.key] = registry.parse_field(entry, value, clean)
        except ValueError as exc:
            errors[entry.key] = exc.args[0]
            clean[entry.key] = None
    if clean.get("housing_coop_org_number") and not clean.get("apartment_number") and "apartment_number" not in errors:
        errors["apartment_number"] = _l("Enter the apartment number of the housing cooperative.")
    if "discount_letters" in clean and "discount_letters" not in errors:
        ids = clean["discount_letters"] or []
        letters = prepared.letters_by_id(session, ids)
        chosen = [letters[i] for i in ids if i in letters]
        if len(chosen) != len(ids):
            errors["discount_letters"] = _l("Choose discount letters from the list.")
        clean["discount_letters"] = chosen
    return clean, errors


def apply_customer(customer: Customer, clean: dict, prepared: Prepared) -> None:
    """Set the values `clean_customer` returned, without committing."""
    if "customer_number" in clean:
        customer.customer_number = clean["customer_number"]
    invoice = {}
    for entry in prepared.form_fields:
        if entry.key not in clean:
            continue
        value = clean[entry.key]
        if entry.storage == "attr":
            setattr(customer, entry.key, value)
        elif entry.storage == "address":
            invoice[entry.part] = value
        elif entry.storage == "letters":
            customer.discount_letters = value
        elif entry.storage == "custom":
            set_custom_value(customer, entry.definition.id, value)
    if invoice:
        set_address(customer, INVOICE, {part: invoice.get(part) for part in ADDRESS_PARTS})


def set_custom_value(customer: Customer, field_id: int, value: str | None) -> None:
    existing = next((v for v in customer.custom_values if v.field_id == field_id), None)
    if existing is None:
        if value is not None:
            customer.custom_values.append(CustomFieldValue(field_id=field_id, value=value))
    elif value is None:
        customer.custom_values.remove(existing)
    else:
        existing.value = value


def clean_address(raw: dict) -> tuple[dict, dict]:
    """A visiting or postal address (F10): (clean parts, errors)."""
    errors: dict = {}
    values = {part: _text(raw, part, 100 if part == "city" else 200) for part in ADDRESS_PARTS}
    if values["postcode"]:
        try:
            values["postcode"] = parse_postcode(values["postcode"])
        except ValueError as exc:
            errors["postcode"] = exc.args[0]
    if not errors and not (values["street"] or values["city"]):
        errors["street"] = _l("Enter a street address or a city.")
    return values, errors


def set_address(customer: Customer, kind: str, values: dict | None) -> Address | None:
    """Set (or, for empty values, remove) one address, without committing."""
    address = customer.address(kind)
    if values is None or not any(values.values()):
        if address is not None:
            object_session(customer).delete(address)  # deleted as itself, so history knows whose it was
            customer.addresses.remove(address)
        return None
    if address is None:
        address = Address(kind=kind)
        customer.addresses.append(address)
    for part in ADDRESS_PARTS:
        setattr(address, part, values.get(part))
    return address


def check_address_kind(kind: str) -> None:
    if kind not in ADDRESS_KINDS:
        raise Invalid({"kind": _l("Unknown address type.")})


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
    for flag in CONTACT_FLAGS:
        clean[flag] = _flag(raw, flag)
    if (clean["send_service_protocol"] or clean["send_work_order"]) and not clean["email"] and "email" not in errors:
        errors["email"] = _l("Documents are sent by e-mail: enter the contact's e-mail address.")
    return clean, errors


def clean_customer_article(raw: dict, session) -> tuple[dict, dict]:
    """F9: an article (from the register) and a quantity of 0 or more."""
    errors, clean = {}, {}
    if raw.get("kind") not in CUSTOMER_ARTICLE_KINDS:
        errors["kind"] = _l("Unknown article list.")
    clean["kind"] = raw.get("kind")
    article = raw.get("article")
    if not isinstance(article, Article):
        try:
            article = session.get(Article, int(raw.get("article_id") or 0))
        except (TypeError, ValueError, OverflowError):
            article = None
    if article is None:
        errors["article_id"] = _l("Choose an article from the register.")
    clean["article"] = article
    try:
        quantity = Decimal(str(raw.get("quantity") if raw.get("quantity") not in (None, "") else "1")
                           .replace(",", ".").strip())
        if not quantity.is_finite() or quantity < 0 or quantity >= 100_000:
            raise InvalidOperation
    except InvalidOperation:
        errors["quantity"] = _l("Enter a quantity of 0 or more, e.g. 1 or 2,5.")
        quantity = None
    clean["quantity"] = quantity
    return clean, errors


def display_name(customer: Customer, settings=None) -> str:
    """F25: "Include the customer number in the display name"."""
    settings = settings or get_settings()
    if settings.number_in_display_name:
        return f"{customer.customer_number} {customer.name}"
    return customer.name


def chunks(items: list, size: int):
    for start in range(0, len(items), size):
        yield items[start:start + size]
