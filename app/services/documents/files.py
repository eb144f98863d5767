"""The files of a customer: limits, listing, checking an upload, free names, removing objects."""

import logging

from flask import current_app
from flask_appbuilder.security.sqla.models import User
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from ...models.customer import Customer
from ...models.documents import Document, DocumentFolder
from ...uploads import StorageError, UploadRejected, check_rename, check_upload
from ...uploads.filetypes import extension_of
from .access import session_of
from .errors import DocumentInvalid

log = logging.getLogger(__name__)

DEFAULT_MAX_FILES = 20
DEFAULT_MAX_BYTES = 25 * 1024 * 1024
SORTS = ("name", "size", "type", "uploader", "date")


def max_file_bytes(config=None) -> int:
    """The size limit per file: MAX_UPLOAD_MB (MAX_CONTENT_LENGTH), default 25 MB."""
    config = config or current_app.config
    return int(config.get("DOCUMENT_MAX_BYTES") or config.get("MAX_CONTENT_LENGTH") or DEFAULT_MAX_BYTES)


def max_files(config=None) -> int:
    config = config or current_app.config
    return int(config.get("DOCUMENT_MAX_FILES") or DEFAULT_MAX_FILES)


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
    return list(session_of(session).execute(query).scalars())


def names_in(customer_id: int, folder_id: int | None, session=None, except_id=None) -> set[str]:
    """The file names (case-folded) directly in a folder."""
    place = Document.folder_id == folder_id if folder_id else Document.folder_id.is_(None)
    query = select(Document.name).where(Document.customer_id == customer_id, place)
    if except_id is not None:
        query = query.where(Document.id != except_id)
    return {name.casefold() for name in session_of(session).execute(query).scalars()}


def free_name(name: str, taken: set[str]) -> str:
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


def check_files(files) -> list:
    """Check every (file name, binary stream) of an upload; all or nothing.

    Returns the checked files (name, stream, size, content type, sha256); raises
    DocumentInvalid with one message per refused file, so nothing is written on a refusal.
    """
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
    return checked


def _has_content(stream) -> bool:
    """A file part without a name: browsers send one when no file was chosen."""
    try:
        stream.seek(0)
        has = bool(stream.read(1))
        stream.seek(0)
        return has
    except (AttributeError, OSError, ValueError):
        return False


def file_name(document: Document, name, session=None) -> str:
    """The checked new name of a file; DocumentInvalid if it cannot be (same type, free in its folder)."""
    try:
        name = check_rename(name, document.content_type)
    except UploadRejected as exc:
        raise DocumentInvalid(exc.message) from None
    if name.casefold() in names_in(document.customer_id, document.folder_id, session, except_id=document.id):
        raise DocumentInvalid(_l("There is already a file named %(name)s in that folder.", name=name))
    return name


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
