"""Catalog helpers for `flask translate`."""

from pathlib import Path

from babel.messages.pofile import read_po, write_po


def fill_english(po_path: Path) -> int:
    """Our source strings are English: an empty English msgstr takes its msgid.

    Only empty entries are filled, so a translator's wording in en is kept.
    """
    with po_path.open("rb") as handle:
        catalog = read_po(handle, locale="en")
    filled = 0
    for message in catalog:
        if not message.id:
            continue
        empty = not any(message.string) if isinstance(message.id, tuple) else not message.string
        if empty or message.fuzzy:
            message.string = tuple(message.id) if isinstance(message.id, tuple) else message.id
            message.flags.discard("fuzzy")
            filled += 1
    with po_path.open("wb") as handle:
        write_po(handle, catalog, width=100, sort_output=True, omit_header=False, ignore_obsolete=True)
    return filled
