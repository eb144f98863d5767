"""Customer documents and folders (F17): the only writers of documents.

Rights: Upload (F27) adds, renames and moves files and folders; Delete uploaded files deletes
files and folders with contents (an empty folder goes with either). The customer must be one
whose documents `by` may see (`documents.visible_customer`), else NotFound — as on the web.
"""

import logging

from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, select
from sqlalchemy.exc import SQLAlchemyError

from ..errors import NotAllowed, NotFound
from ..models.customer import Customer
from ..models.documents import Document, DocumentFolder
from ..security.access import holds, require
from ..security.rights import DELETE_UPLOADED_FILES, UPLOAD
from ..services import documents as rules
from ..uploads import StorageError, get_storage, new_key
from .transaction import transaction

log = logging.getLogger(__name__)


def _customer(customer_id, by, session) -> Customer:
    customer = rules.visible_customer(customer_id, by, session=session)
    if customer is None:
        raise NotFound()
    return customer


def create_folder(customer: Customer, name, parent_id=None, *, by) -> DocumentFolder:
    require(by, UPLOAD)
    with transaction(by) as session:
        customer = _customer(customer.id, by, session)
        parent = rules.target_folder(customer, parent_id, session)
        folder = DocumentFolder(customer_id=customer.id, parent_id=parent.id if parent else None,
                                name=rules.folder_name(name, customer.id, parent, session),
                                created_by_id=getattr(by, "id", None))
        session.add(folder)
        session.flush()
    return folder


def rename_folder(folder: DocumentFolder, name, *, by) -> DocumentFolder:
    require(by, UPLOAD)
    with transaction(by) as session:
        _customer(folder.customer_id, by, session)
        folder.name = rules.folder_name(name, folder.customer_id, folder.parent, session, except_id=folder.id)
    return folder


def delete_folder(folder: DocumentFolder, confirmed: tuple[int, int] | None = None, *, by,
                  storage=None) -> tuple[int, int]:
    """Delete the folder; with contents only when `confirmed` equals its (files, folders) and `by`
    may delete files. Returns the (files, folders) deleted with it; raises FolderNotEmpty when the
    contents were not confirmed (or changed since the confirmation)."""
    require(by, UPLOAD, DELETE_UPLOADED_FILES)
    with transaction(by) as session:
        _customer(folder.customer_id, by, session)
        counts = rules.folder_contents(folder, session)
        if counts != (0, 0):
            if not holds(by, DELETE_UPLOADED_FILES):
                raise NotAllowed()
            if tuple(confirmed or ()) != counts:
                raise rules.FolderNotEmpty(*counts)
        ids = rules.subtree_ids(folder, session)
        keys = session.execute(select(Document.storage_key).where(Document.folder_id.in_(ids))).scalars().all()
        session.execute(delete(Document).where(Document.folder_id.in_(ids)))
        session.execute(delete(DocumentFolder).where(DocumentFolder.id.in_(ids)))
        rules.remove_after_commit(session, storage or get_storage(), keys)
    return counts


def upload_documents(customer: Customer, folder_id, files, *, by, storage=None) -> list[Document]:
    """Store `files` — (file name, binary stream) pairs — in the customer's folder, all or nothing:
    every file is checked first (a refusal writes nothing), then the objects are stored, then the
    rows are written; if the transaction does not commit, the stored objects are removed."""
    require(by, UPLOAD)
    storage = storage or get_storage()
    customer_id = customer.id  # for the log: the row may be gone when the transaction fails
    try:
        with transaction(by) as session:
            customer = _customer(customer_id, by, session)
            folder = rules.target_folder(customer, folder_id, session)
            target_id = folder.id if folder else None
            checked = rules.check_files(files)
            taken = rules.names_in(customer.id, target_id, session)
            for item in checked:
                item.name = rules.free_name(item.name, taken)
                taken.add(item.name.casefold())
            documents = []
            for item in checked:
                key = new_key()
                item.stream.seek(0)
                rules.remove_after_rollback(session, storage, [key])  # a half-stored object, too
                storage.save(key, item.stream, item.content_type)
                documents.append(Document(
                    customer_id=customer.id, folder_id=target_id, storage_key=key, name=item.name,
                    size=item.size, content_type=item.content_type, sha256=item.sha256,
                    uploaded_by_id=getattr(by, "id", None)))
            session.add_all(documents)
            session.flush()
    except StorageError as exc:
        log.error("upload for customer %s failed in the store: %s", customer_id, exc)
        raise rules.StoreUnavailable(
            _l("The file store could not be reached, so nothing was saved. Please try again later.")
        ) from exc
    except SQLAlchemyError as exc:
        log.error("upload for customer %s failed in the database: %s", customer_id, type(exc).__name__)
        raise rules.NotSaved(
            _l("The documents could not be saved, so nothing was stored. Please try again.")) from exc
    return documents


def rename_document(document: Document, name, *, by) -> Document:
    require(by, UPLOAD)
    with transaction(by) as session:
        _customer(document.customer_id, by, session)
        document.name = rules.file_name(document, name, session)
    return document


def move_document(customer: Customer, document: Document, folder_id, *, by) -> Document:
    """Move the document into another folder of the same customer (empty: the top level)."""
    require(by, UPLOAD)
    with transaction(by) as session:
        customer = _customer(customer.id, by, session)
        if document.customer_id != customer.id:
            raise NotFound()
        folder = rules.target_folder(customer, folder_id, session)
        target_id = folder.id if folder else None
        if target_id != document.folder_id:
            if document.name.casefold() in rules.names_in(customer.id, target_id, session):
                raise rules.DocumentInvalid(
                    _l("There is already a file named %(name)s in that folder.", name=document.name))
            document.folder_id = target_id
    return document


def delete_document(document: Document, *, by, storage=None) -> None:
    """Delete the row; the object goes once that is committed."""
    require(by, DELETE_UPLOADED_FILES)
    with transaction(by) as session:
        _customer(document.customer_id, by, session)
        rules.remove_after_commit(session, storage or get_storage(), [document.storage_key])
        session.delete(document)


def repair_documents(report: rules.CheckReport, *, by, storage=None, force: bool = False) -> tuple[int, int]:
    """`flask documents check --repair`: remove orphan objects and the rows of missing objects."""
    require(by, DELETE_UPLOADED_FILES)
    with transaction(by) as session:
        return rules.repair_findings(report, storage, force=force, session=session)
