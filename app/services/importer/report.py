"""What an import reports: counts, the errors by row and column, and the mapping."""

import json
from dataclasses import dataclass, field

from .files import MAX_ERRORS_KEPT

# How an import treats the customer numbers in the file (keyed on them).
INSERT, UPDATE, UPSERT = "insert", "update", "upsert"
MODES = (INSERT, UPDATE, UPSERT)


@dataclass
class RowError:
    row: int
    column: str
    message: str


@dataclass
class ImportReport:
    mode: str = INSERT
    dry_run: bool = False
    valid_only: bool = False
    rows: int = 0
    customers: int = 0
    created: int = 0
    updated: int = 0
    contacts: int = 0
    failed_customers: int = 0
    failed_rows: int = 0
    error_count: int = 0
    errors: list = field(default_factory=list)
    written: bool = False
    file_error: str | None = None
    columns: list = field(default_factory=list)  # [header, label or None, note or None]
    # New customers that look like existing ones: [row, name, "number name; …"] (issue 15).
    duplicates: list = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.file_error is None and self.error_count == 0

    def add_error(self, row: int, column: str, message) -> None:
        self.error_count += 1
        if len(self.errors) < MAX_ERRORS_KEPT:
            self.errors.append(RowError(row, str(column), str(message)))

    def add_duplicate(self, row: int, name: str, existing: str) -> None:
        if len(self.duplicates) < MAX_ERRORS_KEPT and all(d[0] != row for d in self.duplicates):  # once per row
            self.duplicates.append([row, str(name), str(existing)])

    def to_json(self) -> str:
        data = {k: v for k, v in self.__dict__.items() if k != "errors"}
        data["errors"] = [[e.row, e.column, e.message] for e in self.errors]
        return json.dumps(data)

    @classmethod
    def from_json(cls, text: str | None) -> "ImportReport":
        data = json.loads(text or "{}")
        errors = [RowError(*e) for e in data.pop("errors", [])]
        report = cls(**{k: v for k, v in data.items() if k in cls.__dataclass_fields__})
        report.errors = errors
        return report
