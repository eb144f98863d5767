"""Upload register (F24): read a CSV or XLSX file of customers and import it.

A file is read twice at most, never held in memory: the first pass validates every row
with the same services as the form (`clean_customer`, `clean_contact`, `clean_address`,
identity numbers, postcodes, custom fields); the second writes. Both work in batches of
whole customers, so one query per batch finds the existing customers and one flush per
batch writes them (through the import command, `app/commands/imports.py`).

Rules
- One row carries a customer with its invoice, visiting and postal address and one
  contact; further contacts come as further rows with the same customer number, right
  after it (the rows of one customer must follow each other). On further rows only the
  contact columns count; a different name there is an error (two customers sharing a
  number by mistake).
- Modes: insert, update, upsert, keyed on the customer number. Rows without a number
  get generated numbers when automatic numbering is on. In update mode a column that
  is in the file sets the value (an empty cell clears it); columns not in the file are
  left as they are. Contacts are matched by name or e-mail and never deleted.
- By default a file with any error writes nothing. With `valid_only`, valid customers
  are written and the rest reported. A customer is written whole or not at all: each
  batch of whole customers is one transaction.
- Dry run: the first pass only.

Hostile files are refused with a message, before anything is parsed where possible:
zip bombs (member sizes and ratios are checked before openpyxl opens the file), binary
junk, too many columns, huge cells or lines, formulas.

Modules: `files` (reading CSV/XLSX), `headers` (mapping column names to fields), `report`,
`check` (validating customers, the passes, `run_import`).
"""

from .check import (
    UNCHANGED,
    Checked,
    Importer,
    ImportNotAllowed,
    ResumePoint,
    preview,
    run_import,
)
from .files import ImportFileInvalid, cell_text, open_table
from .headers import importable_columns, map_headers, template_columns, template_notes
from .report import INSERT, MODES, UPDATE, UPSERT, ImportReport, RowError

__all__ = [
    "INSERT", "MODES", "UNCHANGED", "UPDATE", "UPSERT", "Checked", "ImportFileInvalid", "ImportNotAllowed",
    "ImportReport", "Importer", "ResumePoint", "RowError", "cell_text", "importable_columns", "map_headers",
    "open_table", "preview", "run_import", "template_columns", "template_notes",
]
