"""Mapping a register's column names to the customer's fields (F24).

A header is recognised by the field's label in every offered language and by the
registry's import names, compared folded (lower case, punctuation as spaces).
"""

import re
from dataclasses import dataclass

from flask import current_app
from flask_babel import force_locale
from flask_babel import lazy_gettext as _l

from ...database import fold
from ...models.customer import INVOICE
from ..list_columns import Column, catalogue
from .files import ImportFileInvalid

# Further names a header may have (compared folded: lower case, punctuation as spaces).
# The column's label in every offered language is always accepted as well.
KIND_NAMES = {
    INVOICE: ("invoice address", "invoice", "billing address", "faktureringsadress", "fakturaadress", "faktura"),
    "visiting": ("visiting address", "visiting", "visit address", "besöksadress", "besök"),
    "postal": ("postal address", "postal", "mailing address", "postadress", "utdelningsadress"),
}
PART_NAMES = {
    "street": ("street address", "street", "address", "gatuadress", "adress", "gata"),
    "street2": ("address line 2", "street 2", "address 2", "adressrad 2", "c o", "co"),
    "postcode": ("postcode", "post code", "postal code", "zip", "zip code", "postnummer", "postnr"),
    "city": ("city", "town", "ort", "postort", "stad"),
}
CONTACT_NAMES = ("contact person", "contact", "kontaktperson", "kontakt")
CONTACT_PART_NAMES = {
    "name": ("name", "namn"),
    "email": ("e mail", "email", "mail", "e post", "epost", "e postadress", "email address"),
    "phone": ("phone", "telephone", "mobile", "tel", "telefon", "telefonnummer", "mobil", "mobilnummer"),
    "is_main_contact": ("main contact", "huvudkontakt", "huvudkontaktperson"),
    "send_service_protocol": ("send service protocol", "skicka serviceprotokoll"),
    "send_work_order": ("send work order", "skicka arbetsorder"),
}


def fold_header(text) -> str:
    text = fold(str(text or ""))
    text = re.sub(r"[\s\-_:.,;/()\[\]'\"–—]+", " ", text)
    return text.strip()


@dataclass
class MappedColumn:
    index: int
    header: str
    key: str | None
    label: str = ""  # what the column means, in the user's language
    note: object = None  # why it is ignored


def _label_names(column: Column) -> set[str]:
    return {fold_header(name) for name in _translations(column.label)}


def importable_columns(settings, fields) -> list[Column]:
    return catalogue(settings, fields)


def header_index(columns: list[Column]) -> dict[str, str]:
    """Folded header -> column key: exact labels (every language) first, then aliases."""
    index: dict[str, str] = {}
    exact: dict[str, str] = {}
    for column in columns:
        for name in _label_names(column):
            exact.setdefault(name, column.key)
    keys = {c.key for c in columns}
    aliases: dict[str, str] = {}
    for column in columns:
        for name in (column.entry.aliases if column.entry is not None else ()):
            aliases.setdefault(fold_header(name), column.key)
    for kind, kind_names in KIND_NAMES.items():
        for part, part_names in PART_NAMES.items():
            for kind_name in kind_names:
                for part_name in part_names:
                    aliases.setdefault(fold_header(f"{kind_name} {part_name}"), f"{kind}_{part}")
                    aliases.setdefault(fold_header(f"{part_name} {kind_name}"), f"{kind}_{part}")
            for kind_name in kind_names:
                aliases.setdefault(fold_header(kind_name), f"{kind}_street")
        for part, part_names in PART_NAMES.items():
            for part_name in part_names:
                aliases.setdefault(fold_header(part_name), f"{INVOICE}_{part}")
    for part, part_names in CONTACT_PART_NAMES.items():
        for prefix in CONTACT_NAMES:
            for part_name in part_names:
                aliases.setdefault(fold_header(f"{prefix} {part_name}"), f"contact_{part}")
        if part not in ("name",):
            for part_name in part_names:
                aliases.setdefault(fold_header(part_name), f"contact_{part}")
    for prefix in CONTACT_NAMES:
        aliases.setdefault(fold_header(prefix), "contact_name")
    index.update({k: v for k, v in aliases.items() if v in keys})
    index.update(exact)  # a label always wins over an alias (a custom field called "Ort")
    return index


def map_headers(headers: list[str], columns: list[Column]) -> list[MappedColumn]:
    by_key = {c.key: c for c in columns}
    index = header_index(columns)
    mapped, used = [], {}
    for position, header in enumerate(headers):
        key = index.get(fold_header(header)) if header else None
        column = MappedColumn(position, header, key)
        if key is None:
            column.note = _l("Not recognised; ignored.") if header else None
        elif not by_key[key].importable:
            column.key, column.label, column.note = None, by_key[key].title, _l("Read only; ignored.")
        else:
            column.label = by_key[key].title
            if key in used:
                raise ImportFileInvalid(_l("The columns %(a)s and %(b)s both mean %(label)s.",
                                           a=used[key], b=header, label=column.label))
            used[key] = header
        mapped.append(column)
    return mapped


def _translations(label) -> set[str]:
    """`label` folded, in every offered language."""
    names = set()
    for language in current_app.config.get("LANGUAGES", {"sv": None, "en": None}):
        with force_locale(language):
            names.add(fold(str(label)))
    return names


def template_columns(settings, fields) -> list[Column]:
    """The columns of the downloadable template: everything that can be imported."""
    return [c for c in importable_columns(settings, fields) if c.importable]


def template_notes(column: Column) -> str:
    """What a template column accepts, in the current language."""
    if column.key == "customer_type":
        return str(_l("Company or Private"))
    if column.kind in ("bool", "cf_bool"):
        return str(_l("Yes or No"))
    if column.kind == "cf_date":
        return str(_l("Date as YYYY-MM-DD"))
    if column.key == "assigned_to":
        return str(_l("The user's full name, user name or e-mail"))
    if column.key == "discount_letters":
        return str(_l("Names of discount letters, separated by commas"))
    if column.key.startswith("contact_"):
        return str(_l("Further contacts: further rows with the same customer number"))
    if column.key == "customer_number":
        return str(_l("Leave empty to get the next number."))
    return ""
