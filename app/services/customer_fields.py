"""The customer's fields, declared once (F1–F13, F7).

Each `CustomerField` says what a field is — key, label, kind, the setting that shows it,
its length, how text becomes its canonical value, its import names, whether customer
users see it, whether it is a personnummer — and the register loops over this list: the
form and its validation, the card, the list's columns and filters, the export, the
import's header mapping, the history labels and the portal. Adding an ordinary field is
the model column, a migration and one entry in `FIELDS`. Administrator-defined fields
(F7) become entries too, one per definition, at request time (`fields()`).

Storage says where a value lives: a column of `customer` ("attr"), a part of one of its
addresses ("address"), its discount letters ("letters"), its custom-field values
("custom"), or the assigned technician ("technician").
"""

import datetime
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from decimal import Decimal

from flask import current_app
from flask_babel import format_date
from flask_babel import lazy_gettext as _l

from ..models.customer import (
    COMPANY,
    INVOICE,
    NO_VAT,
    NORMAL_VAT,
    POSTAL,
    PRIVATE,
    VISITING,
)
from . import custom_fields as cf
from .identity import (
    format_postcode,
    mask_personnummer,
    parse_apartment_number,
    parse_identity,
    parse_orgnr,
    parse_personnummer,
    parse_postcode,
)

# Sections of the form and the card, in order.
SECTIONS = {
    "customer": _l("Customer"),
    "invoice_address": _l("Invoice address"),
    "custom": _l("Custom fields"),
    "tax_reduction": _l("Tax reduction (ROT, RUT, green deduction)"),
    "comment": _l("Comment (internal)"),
    "settings": _l("Further settings"),
}
ADDRESS_KIND_LABELS = {INVOICE: _l("Invoice address"), VISITING: _l("Visiting address"), POSTAL: _l("Postal address")}
ADDRESS_PART_LABELS = {
    "street": _l("Street address"),
    "street2": _l("Address line 2"),
    "postcode": _l("Postcode"),
    "city": _l("City"),
}
ADDRESS_PARTS = tuple(ADDRESS_PART_LABELS)
TYPE_LABELS = {COMPANY: _l("Company"), PRIVATE: _l("Private")}
VAT_TYPE_LABELS = {NO_VAT: _l("No VAT"), NORMAL_VAT: _l("Normal VAT")}
IDENTITY_LABELS = {COMPANY: _l("Organisation number"), PRIVATE: _l("Personnummer")}


class Composed:
    """A label made of two translated labels, e.g. "Invoice address: Postcode"."""

    def __init__(self, first, second):
        self.first, self.second = first, second

    def __str__(self) -> str:
        return f"{self.first}: {self.second}"


@dataclass(frozen=True)
class CustomerField:
    key: str
    label: object
    kind: str = "text"  # text, textarea, choice, letters, bool, date, number, datetime, technician
    section: str = "customer"
    storage: str = "attr"  # attr, address, letters, custom, technician
    max_length: int | None = None
    setting: str | None = None  # shown only when this setting is on
    editable: bool = True  # on the form, the API and the import
    on_form: bool = True  # False: set elsewhere (renumber, assign, activate) or read-only
    on_card: bool = True
    portal: bool = True  # customer users see it (F8, F14)
    personal_id: bool = False  # a personnummer: masked for users without the right to see it
    sort: str | None = None  # a key of search.SORT_COLUMNS
    in_list: bool = True  # offered as a list/export column
    filterable: bool = False  # offered as a list filter (`f_<key>`; attribute fields)
    aliases: tuple = ()  # further import header names (compared folded)
    choices: Callable | None = None  # () -> [(value, label)]
    parse: Callable | None = None  # (text, clean values so far) -> canonical value; ValueError(message)
    required: object = None  # the message when empty
    description: object = None  # help text under the form field
    address_kind: str | None = None
    part: str | None = None
    definition: object = None  # the CustomFieldDefinition of an "custom" field

    @property
    def title(self) -> str:
        return str(self.label)

    @property
    def history_name(self) -> str:
        """The `field` the history hook records changes of this field under."""
        if self.storage == "technician":
            return "assigned_to_id"
        if self.storage == "custom":
            return f"cf:{self.definition.id}"
        return self.key

    # -- reading and writing a customer -------------------------------------------------
    def read(self, customer):
        if self.storage == "attr":
            return getattr(customer, self.key)
        if self.storage == "address":
            address = customer.address(self.address_kind)
            return getattr(address, self.part) if address is not None else None
        if self.storage == "letters":
            return list(customer.discount_letters)
        if self.storage == "custom":
            return customer.custom_value(self.definition.id)
        if self.storage == "technician":
            return customer.assigned_to
        raise ValueError(self.storage)

    def form_value(self, customer):
        """The value as the form shows it (text; ids for letters; postcode as NNN NN)."""
        value = self.read(customer)
        if self.storage == "letters":
            return [str(letter.id) for letter in value]
        if self.part == "postcode":
            return format_postcode(value) if value else value
        return value

    # -- showing a value ----------------------------------------------------------------
    def display(self, value, *, full_identity: bool = True, labels: dict | None = None) -> str:
        """The value as a person reads it, in the current language."""
        if value is None or value == "" or value == []:
            return ""
        if self.personal_id and not full_identity:
            return mask_personnummer(value)
        if self.kind == "bool":
            return str(_l("Yes")) if value else str(_l("No"))
        if self.kind == "choice":
            options = labels.get(self.key) if labels is not None else None
            if options is None:
                options = {k: str(v) for k, v in (self.choices() if self.choices else [])}
            return options.get(value, str(value))
        if self.kind == "letters":
            return ", ".join(letter.name for letter in value)
        if self.kind == "technician":
            return f"{value.first_name or ''} {value.last_name or ''}".strip()
        if self.kind == "datetime":
            return format_date(value.date(), "short")
        if self.storage == "custom":
            return cf.display_value(self.definition, value)
        if self.part == "postcode":
            return format_postcode(value)
        return str(value)


def _customer_types():
    return list(TYPE_LABELS.items())


def _vat_types():
    return [("", _l("Default (by organisation number)"))] + list(VAT_TYPE_LABELS.items())


def offered_languages() -> dict:
    """F6: the languages the system itself is translated into."""
    return {code: info["name"] for code, info in current_app.config["LANGUAGES"].items()}


def _languages():
    return [("", "")] + list(offered_languages().items())


def _identity(text, clean):
    return parse_identity(clean.get("customer_type") or COMPANY, text)


def _postcode(text, _clean):
    return parse_postcode(text)


def _choice_of(choices):
    def parse(text, _clean):
        if text not in {value for value, _label in choices()}:
            raise ValueError(_l("Choose one of the listed values."))
        return text or None

    return parse


def _text(text, _clean):
    return text


def _address_fields(kind: str, section: str | None, on_form: bool) -> list[CustomerField]:
    return [
        CustomerField(
            f"{kind}_{part}", Composed(ADDRESS_KIND_LABELS[kind], label), section=section or "addresses",
            storage="address", address_kind=kind, part=part, max_length=100 if part == "city" else 200,
            parse=_postcode if part == "postcode" else None, on_form=on_form, on_card=False,
        )
        for part, label in ADDRESS_PART_LABELS.items()
    ]


def _parse_type(text, _clean):
    if text not in TYPE_LABELS:
        raise ValueError(_l("Choose company or private."))
    return text


def _parse_vat_type(text, _clean):
    if text not in VAT_TYPE_LABELS:
        raise ValueError(_l("Choose a VAT type."))
    return text


def _parse_language(text, _clean):
    if text not in offered_languages():
        raise ValueError(_l("Choose one of the offered languages."))
    return text


# The built-in fields, in form and card order. Custom fields are added per request by `fields()`.
FIELDS: list[CustomerField] = [
    CustomerField("customer_number", _l("Customer number"), max_length=32, sort="customer_number", on_form=False,
                  aliases=("customer number", "customer no", "customer id", "kundnummer", "kundnr", "kund nr")),
    CustomerField("name", _l("Name"), max_length=200, sort="name", required=_l("Enter the customer's name."),
                  aliases=("name", "customer name", "company name", "namn", "kundnamn", "företagsnamn", "företag")),
    CustomerField("customer_type", _l("Customer type"), kind="choice", max_length=10, sort="customer_type",
                  choices=_customer_types, parse=_parse_type, aliases=("customer type", "type", "kundtyp", "typ")),
    CustomerField("identity_number", _l("Organisation number / personnummer"), max_length=20,
                  sort="identity_number", parse=_identity, personal_id=True,
                  aliases=("identity number", "organisation number", "organization number", "org number", "orgnr",
                           "org nr", "organisationsnummer", "personnummer", "personal identity number",
                           "person organisationsnummer", "organisationsnummer personnummer", "vat number")),
    CustomerField("vat_type", _l("VAT type"), kind="choice", max_length=10, setting="show_vat_type",
                  choices=_vat_types, parse=_parse_vat_type, aliases=("vat type", "momstyp"), filterable=True),
    CustomerField("language", _l("Language"), kind="choice", max_length=8, setting="show_language",
                  choices=_languages, parse=_parse_language, aliases=("language", "språk"), filterable=True),
    CustomerField("cost_centre", _l("Cost centre"), max_length=100, setting="show_cost_centre",
                  aliases=("cost centre", "cost center", "kostnadsställe"), filterable=True),
    CustomerField("customer_order_number", _l("Customer's order number"), max_length=100,
                  setting="show_customer_order_number",
                  aliases=("customer order number", "customer's order number", "kundens ordernummer")),
    CustomerField("discount_letters", _l("Discount letters"), kind="letters", storage="letters",
                  aliases=("discount letters", "discount letter", "rabattbrev")),
    CustomerField("assigned_to", _l("Assigned technician"), kind="technician", storage="technician",
                  on_form=False, aliases=("assigned technician", "technician", "assigned to", "tilldelad tekniker",
                                          "tekniker", "tilldelad", "ansvarig", "ansvarig tekniker")),
    *_address_fields(INVOICE, "invoice_address", on_form=True),
    *_address_fields(VISITING, None, on_form=False),
    *_address_fields(POSTAL, None, on_form=False),
    CustomerField("tax_reduction_personnummer", _l("Personnummer (private person)"), section="tax_reduction",
                  max_length=20, setting="use_rot_rut", personal_id=True,
                  parse=lambda text, _c: parse_personnummer(text)),
    CustomerField("property_designation", _l("Property designation"), section="tax_reduction", max_length=200,
                  setting="use_rot_rut"),
    CustomerField("housing_coop_org_number", _l("Housing cooperative's organisation number"),
                  section="tax_reduction", max_length=20, setting="use_rot_rut",
                  parse=lambda text, _c: parse_orgnr(text)),
    CustomerField("apartment_number", _l("Apartment number"), section="tax_reduction", max_length=20,
                  setting="use_rot_rut", parse=lambda text, _c: parse_apartment_number(text)),
    CustomerField("comment", _l("Comment (internal)"), kind="textarea", section="comment", max_length=10_000,
                  portal=False, description=_l("Never shown to customer users or on printouts."),
                  aliases=("comment", "comments", "note", "notes", "kommentar", "kommentarer", "anteckning")),
    CustomerField("facilities_disabled", _l("Facilities are disabled for this customer"), kind="bool",
                  section="settings", aliases=("facilities disabled",)),
    CustomerField("facility_required", _l("A facility is mandatory on orders for this customer"), kind="bool",
                  section="settings", aliases=("facility required",)),
    CustomerField("cost_centre_required", _l("A cost centre is mandatory on orders for this customer"),
                  kind="bool", section="settings", aliases=("cost centre required",)),
    CustomerField("always_invoice", _l("Always send to the accounting system as an invoice"), kind="bool",
                  section="settings", aliases=("always invoice",)),
    CustomerField("active", _l("Active"), kind="bool", sort="active", on_form=False, on_card=False,
                  aliases=("active", "aktiv", "status")),
    CustomerField("created_at", _l("Created"), kind="datetime", sort="created_at", editable=False, on_form=False,
                  on_card=False, aliases=("created", "skapad")),
]


def custom_field(definition) -> CustomerField:
    """The registry entry of an administrator-defined field (F7)."""
    kind = {"boolean": "bool", "date": "date", "number": "number", "choice": "choice"}.get(
        definition.field_type, "text")
    choices = None
    if definition.field_type == "choice":
        values = definition.choice_list
        choices = lambda: [("", "")] + [(c, c) for c in values]  # noqa: E731
    return CustomerField(
        f"cf_{definition.id}", definition.label, kind=kind, section="custom", storage="custom",
        portal=not definition.hidden_for_customer_users, in_list=True, choices=choices,
        parse=lambda text, _clean: cf.parse_value(definition, text), definition=definition,
    )


def is_shown(entry: CustomerField, settings) -> bool:
    return entry.setting is None or bool(settings.get(entry.setting))


def fields(settings, definitions=()) -> list[CustomerField]:
    """Every field the current settings show, the custom fields (F7) among them."""
    shown = [f for f in FIELDS if is_shown(f, settings)]
    custom = [custom_field(d) for d in definitions]
    position = next((i for i, f in enumerate(shown) if f.section not in ("customer", "invoice_address", "addresses")),
                    len(shown))
    return shown[:position] + custom + shown[position:]


def filter_fields(settings) -> list[CustomerField]:
    """The built-in fields the list can be filtered by (custom fields have their own filters)."""
    return [f for f in fields(settings) if f.filterable and f.storage == "attr"]


def form_fields(settings, definitions=()) -> list[CustomerField]:
    return [f for f in fields(settings, definitions) if f.on_form and f.editable]


def by_key(settings, definitions=()) -> dict[str, CustomerField]:
    return {f.key: f for f in fields(settings, definitions)}


def history_labels(settings=None, definitions=()) -> dict[str, object]:
    """History field name -> label, for every field whatever the settings (old entries stay readable)."""
    labels = {f.history_name: f.label for f in FIELDS if f.storage != "address"}
    labels.update({f"cf:{d.id}": d.label for d in definitions})
    return labels


def register(entry: CustomerField, after: str | None = None) -> None:
    """Add a built-in field (a model column with its migration); `after` a key, else at the end."""
    position = next((i + 1 for i, f in enumerate(FIELDS) if f.key == after), len(FIELDS))
    FIELDS.insert(position, entry)


def unregister(key: str) -> None:
    FIELDS[:] = [f for f in FIELDS if f.key != key]


# -- parsing submitted values ------------------------------------------------------------------


def is_empty(value) -> bool:
    return value is None or (isinstance(value, str) and not value.strip()) or value == []


def parse_field(entry: CustomerField, raw, clean: dict):
    """The canonical value of one submitted value (text, bool or id list); ValueError(message)."""
    if entry.kind == "bool" and entry.storage != "custom":
        if isinstance(raw, bool):
            return raw
        return str(raw or "").strip().lower() in cf.TRUE_WORDS
    if entry.storage == "custom":
        if entry.kind == "bool" and isinstance(raw, bool):
            raw = "1" if raw else "0"
        return (entry.parse or _text)("" if raw is None else str(raw), clean)
    if entry.kind == "letters":
        try:
            ids = sorted({int(i) for i in (raw or [])})
        except (TypeError, ValueError):
            raise ValueError(_l("Choose discount letters from the list.")) from None
        if any(not 0 < i < 2**31 for i in ids):  # no such row (and no such integer in PostgreSQL)
            raise ValueError(_l("Choose discount letters from the list."))
        return ids
    text = "" if raw is None else str(raw).strip()
    if not text:
        if entry.required:
            raise ValueError(entry.required)
        return None
    if entry.max_length and len(text) > entry.max_length:
        raise ValueError(_l("At most %(n)s characters.", n=entry.max_length))
    return (entry.parse or _text)(text, clean)


@dataclass
class ValueLabels:
    """Labels of choice values, translated once (an export writes them 100,000 times)."""

    by_key: dict = field(default_factory=dict)

    @classmethod
    def of(cls, entries) -> "ValueLabels":
        return cls({e.key: {k: str(v) for k, v in e.choices()} for e in entries if e.kind == "choice" and e.choices})


def typed_value(entry: CustomerField, value):
    """The value for a typed spreadsheet cell: numbers and dates typed, the rest as text."""
    if value is None or value == "":
        return None
    if entry.storage == "custom" and entry.kind == "number":
        return Decimal(value)
    if entry.storage == "custom" and entry.kind == "date":
        return datetime.date.fromisoformat(value)
    if entry.kind == "datetime":
        return value.replace(microsecond=0)
    return None


def with_label(entry: CustomerField, label) -> CustomerField:
    return replace(entry, label=label)
