"""Customer documents in folders (F17): the rules, with no HTTP in them.

Nothing lost, nothing orphaned — the order of every write:
- upload: check every file first (nothing written on a refusal), store the objects, then
  write the rows in one transaction. A failing store removes what it had stored and writes
  no row; a failing database write removes the stored objects.
- delete (a file, a folder with its contents, or a whole customer): commit the row
  deletions, then remove the objects. A store that fails then leaves an unreferenced
  object, never a row without its file; `check_documents`/`repair_documents`
  (`flask documents check --repair`) find and remove such leftovers either way.

Who may see which customer's documents: `visible_customer` (the scope rule of
`scope.get_customer`, plus `may_see_documents`, the single place where the portal's
"customer users see their own customer's documents only when given that right" belongs).
"""

import logging
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from flask import current_app, has_app_context
from flask_appbuilder.security.sqla.models import User
from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, event, func, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, selectinload

from ..extensions import db
from ..models.customer import Customer
from ..models.documents import Document, DocumentFolder
from ..uploads import (
    StorageError,
    UploadRejected,
    check_rename,
    check_upload,
    clean_name,
    get_storage,
    new_key,
)
from ..uploads.filetypes import extension_of
from .scope import get_customer, portal_link

log = logging.getLogger(__name__)

MAX_FOLDER_DEPTH = 10
DEFAULT_MAX_FILES = 20
DEFAULT_MAX_BYTES = 25 * 1024 * 1024
SORTS = ("name", "size", "type", "uploader", "date")
_PENDING_KEYS = "documents_objects_to_remove"
_PENDING_STORAGE = "documents_storage"


class DocumentError(Exception):
    """A refused document operation; `messages` are for the user. Nothing was changed."""

    status = 400

    def __init__(self, *messages):
        super().__init__("; ".join(str(m) for m in messages))
        self.messages = list(messages)


class DocumentInvalid(DocumentError):
    """Bad input: an empty, oversize or disallowed file, a bad name, a foreign folder."""


class StoreUnavailable(DocumentError):
    """The object store failed; nothing was saved (or fetched)."""

    status = 503


class NotSaved(DocumentError):
    """The database write failed after the upload; the stored objects were removed."""

    status = 503


class FolderNotEmpty(DocumentError):
    """Deleting a folder with contents needs a confirmation that states the counts."""

    status = 409

    def __init__(self, files: int, folders: int):
        super().__init__(_l("The folder is not empty."))
        self.files, self.folders = files, folders


# -- who sees what --------------------------------------------------------------------


def may_see_documents(user, customer: Customer) -> bool:
    """Whether `user`, who may see `customer`, may see its documents.

    Back-office users with View / View (only) assigned do. A customer user (the portal)
    sees its own customer's documents only with its `can_see_documents` right (F14).
    """
    link = portal_link(user)
    if link is None:
        return True
    return link.customer_id == customer.id and link.can_see_documents


def all_documents(customer: Customer, session=None) -> list[Document]:
    """Every document of the customer, folder by folder (the portal's read-only list)."""
    session = _session(session)
    return list(session.execute(
        select(Document).where(Document.customer_id == customer.id)
        .order_by(Document.folder_id.is_not(None), Document.folder_id, Document.name)
    ).scalars())


def visible_customer(customer_id, user, session=None) -> Customer | None:
    """The customer whose documents `user` may see, or None (a 404 for the caller)."""
    customer = get_customer(customer_id, user, session=session)
    if customer is None or not may_see_documents(user, customer):
        return None
    return customer


def _session(session=None):
    return session or db.session


def as_int(value) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def get_folder(customer: Customer, folder_id, session=None) -> DocumentFolder | None:
    """The folder if it exists and belongs to `customer`."""
    folder_id = as_int(folder_id)
    folder = _session(session).get(DocumentFolder, folder_id) if folder_id is not None else None
    return folder if folder is not None and folder.customer_id == customer.id else None


def get_document(customer: Customer, document_id, session=None) -> Document | None:
    """The document if it exists and belongs to `customer`."""
    document_id = as_int(document_id)
    document = _session(session).get(Document, document_id) if document_id is not None else None
    return document if document is not None and document.customer_id == customer.id else None


def _target_folder(customer: Customer, folder_id, session) -> DocumentFolder | None:
    """The folder chosen in a form: empty means the top level; anything else must be the customer's."""
    if folder_id in (None, ""):
        return None
    folder = get_folder(customer, folder_id, session)
    if folder is None:
        raise DocumentInvalid(_l("The folder does not exist."))
    return folder


# -- settings -------------------------------------------------------------------------


def max_file_bytes(config=None) -> int:
    """The size limit per file: MAX_UPLOAD_MB (MAX_CONTENT_LENGTH), default 25 MB."""
    config = config or current_app.config
    return int(config.get("DOCUMENT_MAX_BYTES") or config.get("MAX_CONTENT_LENGTH") or DEFAULT_MAX_BYTES)


def max_files(config=None) -> int:
    config = config or current_app.config
    return int(config.get("DOCUMENT_MAX_FILES") or DEFAULT_MAX_FILES)


# -- folders ----------------------------------------------------------------------------


@dataclass
class FolderNode:
    folder: DocumentFolder
    depth: int
    path: str  # "Avtal / 2024"


def customer_folders(customer: Customer, session=None) -> list[DocumentFolder]:
    return list(
        _session(session).execute(
            select(DocumentFolder).where(DocumentFolder.customer_id == customer.id).order_by(DocumentFolder.id)
        ).scalars()
    )


def folder_tree(customer: Customer, session=None) -> list[FolderNode]:
    """Every folder of the customer, depth first, siblings by name."""
    folders = customer_folders(customer, session)
    children: dict[int | None, list[DocumentFolder]] = {}
    for folder in folders:
        children.setdefault(folder.parent_id, []).append(folder)
    nodes: list[FolderNode] = []

    def walk(parent_id, depth, prefix):
        for folder in sorted(children.get(parent_id, []), key=lambda f: (f.name.casefold(), f.id)):
            path = f"{prefix} / {folder.name}" if prefix else folder.name
            nodes.append(FolderNode(folder, depth, path))
            walk(folder.id, depth + 1, path)

    walk(None, 0, "")
    return nodes


def folder_path(folder: DocumentFolder | None) -> list[DocumentFolder]:
    """The folder and its ancestors, top level first."""
    path = []
    seen = set()
    while folder is not None and folder.id not in seen:
        seen.add(folder.id)
        path.append(folder)
        folder = folder.parent
    return list(reversed(path))


def subfolders(customer: Customer, folder: DocumentFolder | None, session=None) -> list[DocumentFolder]:
    parent = DocumentFolder.parent_id == folder.id if folder else DocumentFolder.parent_id.is_(None)
    return list(
        _session(session).execute(
            select(DocumentFolder)
            .where(DocumentFolder.customer_id == customer.id, parent)
            .order_by(func.lower(DocumentFolder.name), DocumentFolder.id)
        ).scalars()
    )


def _subtree_ids(folder: DocumentFolder, session) -> list[int]:
    """The folder's id and those of every folder below it."""
    rows = session.execute(
        select(DocumentFolder.id, DocumentFolder.parent_id).where(DocumentFolder.customer_id == folder.customer_id)
    ).all()
    children: dict[int | None, list[int]] = {}
    for folder_id, parent_id in rows:
        children.setdefault(parent_id, []).append(folder_id)
    ids, todo = [], [folder.id]
    while todo:
        current = todo.pop()
        if current in ids:
            continue
        ids.append(current)
        todo.extend(children.get(current, []))
    return ids


def folder_contents(folder: DocumentFolder, session=None) -> tuple[int, int]:
    """(files, folders) inside the folder, at any depth."""
    session = _session(session)
    ids = _subtree_ids(folder, session)
    files = session.execute(select(func.count()).select_from(Document).where(Document.folder_id.in_(ids))).scalar()
    return files, len(ids) - 1


def _sibling_names(customer_id: int, parent_id: int | None, session, except_id=None) -> set[str]:
    parent = DocumentFolder.parent_id == parent_id if parent_id else DocumentFolder.parent_id.is_(None)
    query = select(DocumentFolder.name).where(DocumentFolder.customer_id == customer_id, parent)
    if except_id is not None:
        query = query.where(DocumentFolder.id != except_id)
    return {name.casefold() for name in session.execute(query).scalars()}


def _folder_name(name) -> str:
    try:
        return clean_name(name)
    except UploadRejected as exc:
        raise DocumentInvalid(exc.message) from None


def _commit(session) -> None:
    try:
        session.commit()
    except SQLAlchemyError:
        session.rollback()
        raise


def create_folder(customer: Customer, name, parent_id=None, user=None, session=None) -> DocumentFolder:
    session = _session(session)
    name = _folder_name(name)
    parent = _target_folder(customer, parent_id, session)
    if parent is not None and len(folder_path(parent)) >= MAX_FOLDER_DEPTH:
        raise DocumentInvalid(_l("Folders can be nested at most %(n)s levels deep.", n=MAX_FOLDER_DEPTH))
    if name.casefold() in _sibling_names(customer.id, parent.id if parent else None, session):
        raise DocumentInvalid(_l("There is already a folder named %(name)s here.", name=name))
    folder = DocumentFolder(customer_id=customer.id, parent_id=parent.id if parent else None, name=name,
                            created_by_id=getattr(user, "id", None))
    session.add(folder)
    _commit(session)
    return folder


def rename_folder(folder: DocumentFolder, name, session=None) -> DocumentFolder:
    session = _session(session)
    name = _folder_name(name)
    if name.casefold() in _sibling_names(folder.customer_id, folder.parent_id, session, except_id=folder.id):
        raise DocumentInvalid(_l("There is already a folder named %(name)s here.", name=name))
    folder.name = name
    _commit(session)
    return folder


def delete_folder(folder: DocumentFolder, confirmed: tuple[int, int] | None = None, storage=None,
                  session=None) -> tuple[int, int]:
    """Delete the folder; with contents only when `confirmed` equals its (files, folders).

    Returns the (files, folders) deleted with it. Raises FolderNotEmpty when the folder
    has contents that were not confirmed (or changed since the confirmation).
    """
    session = _session(session)
    counts = folder_contents(folder, session)
    if counts != (0, 0) and tuple(confirmed or ()) != counts:
        raise FolderNotEmpty(*counts)
    ids = _subtree_ids(folder, session)
    keys = list(session.execute(select(Document.storage_key).where(Document.folder_id.in_(ids))).scalars())
    session.execute(delete(Document).where(Document.folder_id.in_(ids)))
    session.execute(delete(DocumentFolder).where(DocumentFolder.id.in_(ids)))
    _commit(session)
    remove_objects(storage or get_storage(), keys)
    return counts


# -- documents --------------------------------------------------------------------------


def list_documents(customer: Customer, folder: DocumentFolder | None, sort: str = "name",
                   direction: str = "asc", session=None) -> list[Document]:
    """The documents directly in `folder` (None: the top level), sorted."""
    columns = {
        "name": [func.lower(Document.name)],
        "size": [Document.size],
        "type": [Document.content_type],
        "uploader": [func.lower(User.first_name), func.lower(User.last_name)],
        "date": [Document.uploaded_at],
    }.get(sort) or [func.lower(Document.name)]
    order = [c.desc() if direction == "desc" else c.asc() for c in columns]
    place = Document.folder_id == folder.id if folder else Document.folder_id.is_(None)
    query = (
        select(Document)
        .outerjoin(User, Document.uploaded_by_id == User.id)
        .where(Document.customer_id == customer.id, place)
        .options(selectinload(Document.uploaded_by))
        .order_by(*order, Document.id.desc() if direction == "desc" else Document.id)
    )
    return list(_session(session).execute(query).scalars())


def _names_in(customer_id: int, folder_id: int | None, session, except_id=None) -> set[str]:
    place = Document.folder_id == folder_id if folder_id else Document.folder_id.is_(None)
    query = select(Document.name).where(Document.customer_id == customer_id, place)
    if except_id is not None:
        query = query.where(Document.id != except_id)
    return {name.casefold() for name in session.execute(query).scalars()}


def _free_name(name: str, taken: set[str]) -> str:
    """`name`, or "name (2).ext", "name (3).ext" … when a file of that name is already there."""
    if name.casefold() not in taken:
        return name
    extension = extension_of(name)
    stem = name[: -(len(extension) + 1)] if extension else name
    suffix = f".{name.rsplit('.', 1)[1]}" if extension else ""
    number = 2
    while f"{stem} ({number}){suffix}".casefold() in taken:
        number += 1
    return f"{stem} ({number}){suffix}"


def upload_documents(customer: Customer, folder_id, files, user=None, storage=None,
                     session=None) -> list[Document]:
    """Store `files` — (file name, binary stream) pairs — in the customer's folder.

    All or nothing: every file is checked first (a refusal writes nothing), then the
    objects are stored, then the rows are written in one transaction.
    """
    session = _session(session)
    storage = storage or get_storage()
    customer_id = customer.id
    folder = _target_folder(customer, folder_id, session)
    target_id = folder.id if folder else None
    files = [(name, stream) for name, stream in files if name or _has_content(stream)]
    if not files:
        raise DocumentInvalid(_l("Choose one or more files to upload."))
    if len(files) > max_files():
        raise DocumentInvalid(_l("At most %(n)s files can be uploaded at once.", n=max_files()))

    checked, errors = [], []
    for name, stream in files:
        try:
            checked.append(check_upload(name, stream, max_file_bytes()))
        except UploadRejected as exc:
            errors.append(exc.message)
    if errors:
        raise DocumentInvalid(*errors)

    taken = _names_in(customer_id, target_id, session)
    for item in checked:
        item.name = _free_name(item.name, taken)
        taken.add(item.name.casefold())

    stored: list[str] = []
    try:
        for item in checked:
            key = new_key()
            item.stream.seek(0)
            storage.save(key, item.stream, item.content_type)
            stored.append(key)
    except StorageError as exc:
        log.error("upload for customer %s failed in the store: %s", customer_id, exc)
        remove_objects(storage, stored)
        raise StoreUnavailable(
            _l("The file store could not be reached, so nothing was saved. Please try again later.")
        ) from exc
    except BaseException:
        remove_objects(storage, stored)
        raise

    documents = [
        Document(customer_id=customer_id, folder_id=target_id, storage_key=key,
                 name=item.name, size=item.size, content_type=item.content_type, sha256=item.sha256,
                 uploaded_by_id=getattr(user, "id", None))
        for key, item in zip(stored, checked, strict=True)
    ]
    try:
        session.add_all(documents)
        session.commit()
    except SQLAlchemyError as exc:
        session.rollback()
        log.error("upload for customer %s failed in the database: %s", customer_id, exc)
        remove_objects(storage, stored)
        raise NotSaved(_l("The documents could not be saved, so nothing was stored. Please try again.")) from exc
    except BaseException:
        session.rollback()
        remove_objects(storage, stored)
        raise
    return documents


def _has_content(stream) -> bool:
    """A file part without a name: browsers send one when no file was chosen."""
    try:
        stream.seek(0)
        has = bool(stream.read(1))
        stream.seek(0)
        return has
    except (AttributeError, OSError, ValueError):
        return False


def rename_document(document: Document, name, session=None) -> Document:
    session = _session(session)
    try:
        name = check_rename(name, document.content_type)
    except UploadRejected as exc:
        raise DocumentInvalid(exc.message) from None
    if name.casefold() in _names_in(document.customer_id, document.folder_id, session, except_id=document.id):
        raise DocumentInvalid(_l("There is already a file named %(name)s in that folder.", name=name))
    document.name = name
    _commit(session)
    return document


def move_document(customer: Customer, document: Document, folder_id, session=None) -> Document:
    """Move the document into another folder of the same customer (empty: the top level)."""
    session = _session(session)
    folder = _target_folder(customer, folder_id, session)
    target_id = folder.id if folder else None
    if target_id == document.folder_id:
        return document
    if document.name.casefold() in _names_in(customer.id, target_id, session):
        raise DocumentInvalid(_l("There is already a file named %(name)s in that folder.", name=document.name))
    document.folder_id = target_id
    _commit(session)
    return document


def delete_document(document: Document, storage=None, session=None) -> None:
    """Delete the row (committed first), then the object."""
    session = _session(session)
    key = document.storage_key
    session.delete(document)
    _commit(session)
    remove_objects(storage or get_storage(), [key])


def remove_objects(storage, keys) -> int:
    """Remove objects whose rows are gone (or were never written); returns how many are left over.

    Stops at the first failure: a store that is down would only make the caller wait. What is
    left is found and removed by `flask documents check --repair`.
    """
    keys = list(keys)
    for index, key in enumerate(keys):
        try:
            storage.delete(key)
        except StorageError as exc:
            left = len(keys) - index
            log.warning("%s object(s) left in the store for `flask documents check --repair`: %s", left, exc)
            return left
    return 0


# A customer deleted anywhere (the card, an import, a script) takes its documents with it:
# the database cascades the rows, these hooks remove the objects once that commit is done.


@event.listens_for(Session, "before_flush")
def _collect_objects_of_deleted_customers(session, _flush_context, _instances):
    ids = [obj.id for obj in session.deleted if isinstance(obj, Customer) and obj.id is not None]
    if not ids or not has_app_context():
        return
    with session.no_autoflush:
        keys = session.execute(select(Document.storage_key).where(Document.customer_id.in_(ids))).scalars().all()
    if keys:
        session.info.setdefault(_PENDING_KEYS, []).extend(keys)
        session.info[_PENDING_STORAGE] = get_storage()


@event.listens_for(Session, "after_commit")
def _remove_objects_after_commit(session):
    keys = session.info.pop(_PENDING_KEYS, None)
    storage = session.info.pop(_PENDING_STORAGE, None)
    if keys and storage is not None:
        remove_objects(storage, keys)


@event.listens_for(Session, "after_rollback")
def _forget_objects_after_rollback(session):
    session.info.pop(_PENDING_KEYS, None)
    session.info.pop(_PENDING_STORAGE, None)


# -- consistency check -------------------------------------------------------------------


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


class RepairRefused(Exception):
    pass


def check_documents(storage=None, min_age: timedelta = timedelta(hours=1), session=None,
                    now: datetime | None = None) -> CheckReport:
    """Compare the store with the document rows, both walked in key order (bounded memory).

    Objects without a row count as orphans only when older than `min_age`: an upload stores
    its object before its row is committed. Every finding is re-checked before it is
    reported, so an upload or delete during the walk is not mistaken for damage.
    """
    session = _session(session)
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


def repair_documents(report: CheckReport, storage=None, force: bool = False, session=None) -> tuple[int, int]:
    """Remove orphan objects and the rows of missing objects; returns (objects, rows) removed."""
    session = _session(session)
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
    _commit(session)
    return removed_objects, removed_rows
