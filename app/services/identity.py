"""Swedish identity numbers, postcodes and e-mail addresses (F2, F10, F11, F12).

Check digits come from python-stdnum; what stdnum leaves out is added here:
samordningsnummer (day + 60), birth dates in the future, and the canonical forms the
rest of the app stores (DESIGN.md: `NNNNNN-NNNN` and `YYYYMMDD-NNNN`).
"""

import datetime
import re

from flask_babel import lazy_gettext as _l
from stdnum import luhn
from stdnum.exceptions import ValidationError
from stdnum.se import orgnr, postnummer

from ..models.customer import COMPANY, PRIVATE

_PERSONNUMMER = re.compile(r"^(\d{2})?(\d{2})(\d{2})(\d{2})([-+]?)(\d{4})$")


def _clean(value: str) -> str:
    return re.sub(r"[\s.]", "", value or "")


def parse_personnummer(value: str, today: datetime.date | None = None) -> str:
    """Canonical `YYYYMMDD-NNNN` of a personnummer or samordningsnummer, or ValueError."""
    today = today or datetime.date.today()
    match = _PERSONNUMMER.match(_clean(value))
    if not match:
        raise ValueError(_l("A personnummer has the form YYYYMMDD-NNNN."))
    century, yy, mm, dd, sign, tail = match.groups()
    day = int(dd)
    birth_day = day - 60 if day > 60 else day  # samordningsnummer
    if century:
        year = int(century + yy)
    else:
        # Ten digits: the most recent year that is not in the future; `+` means 100 or older.
        year = today.year - (today.year - int(yy)) % 100
        if sign == "+":
            year -= 100
    try:
        birth_date = datetime.date(year, int(mm), birth_day)
    except ValueError:
        raise ValueError(_l("The personnummer does not contain a valid date.")) from None
    if birth_date > today:
        raise ValueError(_l("The personnummer contains a date in the future."))
    digits10 = f"{yy}{mm}{dd}{tail}"
    if not luhn.is_valid(digits10):
        raise ValueError(_l("The personnummer has a wrong check digit."))
    return f"{year:04d}{mm}{dd}-{tail}"


def parse_orgnr(value: str) -> str:
    """Canonical `NNNNNN-NNNN` of an organisation number, or ValueError.

    A sole trader's organisation number is the owner's personnummer; given with twelve
    digits it is accepted and stored as a personnummer (`YYYYMMDD-NNNN`).
    """
    cleaned = _clean(value).replace("-", "")
    if len(cleaned) == 12 and cleaned.startswith("16"):
        cleaned = cleaned[2:]  # the "16" prefix some registries use for legal entities
    if len(cleaned) == 12:
        return parse_personnummer(value)
    if not cleaned.isdigit() or len(cleaned) != 10:
        raise ValueError(_l("An organisation number has the form NNNNNN-NNNN."))
    try:
        orgnr.validate(cleaned)
    except ValidationError:
        raise ValueError(_l("The organisation number has a wrong check digit.")) from None
    return orgnr.format(cleaned)


def parse_identity(customer_type: str, value: str) -> str:
    """The canonical identity number for a customer of `customer_type` (F2)."""
    if customer_type == PRIVATE:
        return parse_personnummer(value)
    if customer_type == COMPANY:
        return parse_orgnr(value)
    raise ValueError(_l("Unknown customer type."))


def is_organisation_number(identity_number: str | None) -> bool:
    """True for a legal entity's number (10 digits with the month-digit 2 or more)."""
    return bool(identity_number) and len(identity_number) == 11 and identity_number[2] >= "2"


def mask_personnummer(value: str | None) -> str:
    """`YYYYMMDD-XXXX`: shown where the full number is not needed."""
    if not value:
        return ""
    return value[:-4] + "XXXX" if len(value) == 13 else value


def parse_postcode(value: str) -> str:
    """Five digits of a Swedish postcode (shown as `NNN NN`), or ValueError."""
    cleaned = re.sub(r"\s", "", value or "")
    if cleaned.upper().startswith("SE-"):
        cleaned = cleaned[3:]
    try:
        return postnummer.compact(postnummer.validate(cleaned))
    except ValidationError:
        raise ValueError(_l("A postcode has five digits, e.g. 123 45.")) from None


def format_postcode(value: str | None) -> str:
    return f"{value[:3]} {value[3:]}" if value and len(value) == 5 else (value or "")


_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s.]{2,}$")


def parse_email(value: str) -> str:
    cleaned = (value or "").strip()
    if not _EMAIL.match(cleaned) or len(cleaned) > 254:
        raise ValueError(_l("Enter a valid e-mail address, e.g. name@example.se."))
    return cleaned


def parse_apartment_number(value: str) -> str:
    cleaned = (value or "").strip()
    if not re.fullmatch(r"\d{4}", cleaned):
        raise ValueError(_l("An apartment number has four digits."))
    return cleaned
