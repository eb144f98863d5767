"""Catalogs: complete in sv and en, nothing fuzzy, and every .mo compiled from its .po."""

import io
import subprocess
import sys
from pathlib import Path

import pytest
from babel.messages.mofile import read_mo, write_mo
from babel.messages.pofile import read_po

TRANSLATIONS = Path(__file__).resolve().parent.parent / "translations"
LANGUAGES = ["sv", "en"]


def _strings(message) -> tuple:
    return message.string if isinstance(message.string, tuple) else (message.string,)


def catalog(language):
    with (TRANSLATIONS / language / "LC_MESSAGES" / "messages.po").open("rb") as handle:
        return read_po(handle, locale=language)


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_message_is_translated_and_none_is_fuzzy(language):
    untranslated = [m.id for m in catalog(language) if m.id and not all(_strings(m))]
    fuzzy = [m.id for m in catalog(language) if m.id and m.fuzzy]
    assert untranslated == []
    assert fuzzy == []


def test_every_string_in_the_code_is_in_both_catalogs(tmp_path):
    """Extract afresh from app/: a string added without `make translations` fails here."""
    pot = tmp_path / "fresh.pot"
    subprocess.run(
        [sys.executable, "-m", "babel.messages.frontend", "extract", "-F", "translations/babel.cfg",
         "-k", "_l", "-k", "lazy_gettext", "-o", str(pot), "app"],
        cwd=TRANSLATIONS.parent, check=True, capture_output=True,
    )
    with pot.open("rb") as handle:
        in_code = {m.id for m in read_po(handle) if m.id}
    for language in LANGUAGES:
        assert in_code - {m.id for m in catalog(language) if m.id} == set(), language


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_mo_file_is_compiled_from_the_current_po(language):
    """A stale .mo (older than its .po) would show old texts; compare contents, not mtimes,
    which a git checkout does not preserve."""
    mo_path = TRANSLATIONS / language / "LC_MESSAGES" / "messages.mo"
    assert mo_path.exists()
    def key(value):  # plural entries carry (singular, plural) and a list of forms
        return tuple(value) if isinstance(value, list | tuple) else value

    with mo_path.open("rb") as handle:
        compiled = {key(m.id): key(m.string) for m in read_mo(handle) if m.id}
    expected = {key(m.id): key(m.string) for m in catalog(language) if m.id and m.string}
    assert compiled == expected
    buffer = io.BytesIO()
    write_mo(buffer, catalog(language))
    assert buffer.getvalue()


def test_swedish_uses_the_words_of_the_reference():
    sv = catalog("sv")
    expected = {
        "Customer number": "Kundnummer",
        "Company": "Företag",
        "Private": "Privat",
        "Organisation number": "Organisationsnummer",
        "Personnummer": "Personnummer",
        "Discount letters": "Rabattbrev",
        "Invoice address": "Faktureringsadress",
        "Visiting address": "Besöksadress",
        "Postal address": "Postadress",
        "Show VAT type": "Visa momstyp",
        "Show language": "Visa språk",
        "View (only) assigned": "Visa (endast) tilldelade",
        "Delete uploaded files": "Ta bort uppladdade filer",
    }
    assert {k: sv[k].string for k in expected} == expected
