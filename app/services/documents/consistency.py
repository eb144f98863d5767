"""The consistency check of the file store against the document rows (`flask documents check`)."""

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from sqlalchemy import delete, func, select

from ...models.documents import Document
from ...uploads import get_storage
from .access import session_of
from .errors import RepairRefused


@dataclass
class MissingObject:
    document_id: int
    customer_id: int
    name: str
    storage_key: str


@dataclass
class CheckReport:
    objects: int = 0  # objects in the store
    rows: int = 0  # document rows
    orphan_objects: list = field(default_factory=list)  # StoredObject: in the store, no row
    missing_objects: list = field(default_factory=list)  # MissingObject: a row, no object
    young_objects: int = 0  # unreferenced but newer than min_age: maybe an upload in progress
    stale_uploads: list = field(default_factory=list)  # UnfinishedUpload older than min_age (S3)

    @property
    def clean(self) -> bool:
        return not self.orphan_objects and not self.missing_objects and not self.stale_uploads

    @property
    def suspicious(self) -> bool:
        """Everything mismatches: most likely the wrong bucket, folder or database."""
        return bool(
            (self.orphan_objects and len(self.orphan_objects) == self.objects)
            or (self.missing_objects and len(self.missing_objects) == self.rows)
        )


def check_documents(storage=None, min_age: timedelta = timedelta(hours=1), session=None,
                    now: datetime | None = None) -> CheckReport:
    """Compare the store with the document rows, both walked in key order (bounded memory).

    Objects without a row count as orphans only when older than `min_age`: an upload stores
    its object before its row is committed. Every finding is re-checked before it is
    reported, so an upload or delete during the walk is not mistaken for damage.
    """
    session = session_of(session)
    storage = storage or get_storage()
    now = now or datetime.now(UTC)
    report = CheckReport()
    key_column = Document.storage_key
    if session.get_bind().dialect.name == "postgresql":
        key_column = key_column.collate("C")  # the byte order the stores list keys in
    rows = session.execute(
        select(Document.storage_key, Document.id, Document.customer_id, Document.name)
        .order_by(key_column)
        .execution_options(yield_per=1000)
    )
    objects = iter(storage.list_objects())
    obj, row = next(objects, None), next(rows, None)
    orphan_candidates, missing_candidates = [], []
    while obj is not None or row is not None:
        if row is None or (obj is not None and obj.key < row.storage_key):
            report.objects += 1
            if now - obj.modified >= min_age:
                orphan_candidates.append(obj)
            else:
                report.young_objects += 1
            obj = next(objects, None)
        elif obj is None or row.storage_key < obj.key:
            report.rows += 1
            missing_candidates.append(MissingObject(row.id, row.customer_id, row.name, row.storage_key))
            row = next(rows, None)
        else:
            report.objects += 1
            report.rows += 1
            obj, row = next(objects, None), next(rows, None)

    for start in range(0, len(orphan_candidates), 500):
        batch = orphan_candidates[start:start + 500]
        referenced = set(
            session.execute(select(Document.storage_key).where(Document.storage_key.in_([o.key for o in batch])))
            .scalars()
        )
        report.orphan_objects.extend(o for o in batch if o.key not in referenced)
    for missing in missing_candidates:
        still_listed = session.get(Document, missing.document_id) is not None
        if still_listed and not storage.exists(missing.storage_key):
            report.missing_objects.append(missing)
    session.rollback()  # end the read transaction
    report.stale_uploads = [u for u in storage.list_unfinished_uploads() if now - u.initiated >= min_age]
    return report


def repair_findings(report: CheckReport, storage=None, force: bool = False, session=None) -> tuple[int, int]:
    """Remove orphan objects and delete the rows of missing objects (the caller commits: the
    `repair_documents` command); returns (objects, rows) removed."""
    session = session_of(session)
    storage = storage or get_storage()
    if report.suspicious and not force:
        raise RepairRefused(
            "Every object or every row mismatches: this looks like a wrong bucket, folder or database "
            "rather than damage. Check STORAGE_BACKEND, UPLOAD_FOLDER/S3_* and DATABASE_URL; "
            "repair with --force only if you are sure."
        )
    removed_objects = 0
    for upload in report.stale_uploads:  # their parts are no document: abort them
        storage.abort_upload(upload)
    for obj in report.orphan_objects:
        referenced = session.execute(
            select(func.count()).select_from(Document).where(Document.storage_key == obj.key)
        ).scalar()
        if not referenced:
            storage.delete(obj.key)
            removed_objects += 1
    ids = [m.document_id for m in report.missing_objects]
    removed_rows = 0
    if ids:
        removed_rows = session.execute(delete(Document).where(Document.id.in_(ids))).rowcount
    return removed_objects, removed_rows
