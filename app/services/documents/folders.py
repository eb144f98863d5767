"""The folder tree of a customer's documents and the rules for naming and nesting folders."""

from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from ...models.customer import Customer
from ...models.documents import Document, DocumentFolder
from ...uploads import UploadRejected, clean_name
from .access import session_of
from .errors import DocumentInvalid

MAX_FOLDER_DEPTH = 10


@dataclass
class FolderNode:
    folder: DocumentFolder
    depth: int
    path: str  # "Avtal / 2024"


def customer_folders(customer: Customer, session=None) -> list[DocumentFolder]:
    return list(
        session_of(session).execute(
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
        session_of(session).execute(
            select(DocumentFolder)
            .where(DocumentFolder.customer_id == customer.id, parent)
            .order_by(func.lower(DocumentFolder.name), DocumentFolder.id)
        ).scalars()
    )


def subtree_ids(folder: DocumentFolder, session=None) -> list[int]:
    """The folder's id and those of every folder below it."""
    rows = session_of(session).execute(
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
    session = session_of(session)
    ids = subtree_ids(folder, session)
    files = session.execute(select(func.count()).select_from(Document).where(Document.folder_id.in_(ids))).scalar()
    return files, len(ids) - 1


def _sibling_names(customer_id: int, parent_id: int | None, session, except_id=None) -> set[str]:
    parent = DocumentFolder.parent_id == parent_id if parent_id else DocumentFolder.parent_id.is_(None)
    query = select(DocumentFolder.name).where(DocumentFolder.customer_id == customer_id, parent)
    if except_id is not None:
        query = query.where(DocumentFolder.id != except_id)
    return {name.casefold() for name in session.execute(query).scalars()}


def folder_name(name, customer_id: int, parent: DocumentFolder | None, session=None, except_id=None) -> str:
    """The cleaned name of a new or renamed folder under `parent`; DocumentInvalid if it cannot be."""
    session = session_of(session)
    try:
        name = clean_name(name)
    except UploadRejected as exc:
        raise DocumentInvalid(exc.message) from None
    if except_id is None and parent is not None and len(folder_path(parent)) >= MAX_FOLDER_DEPTH:
        raise DocumentInvalid(_l("Folders can be nested at most %(n)s levels deep.", n=MAX_FOLDER_DEPTH))
    if name.casefold() in _sibling_names(customer_id, parent.id if parent else None, session, except_id):
        raise DocumentInvalid(_l("There is already a folder named %(name)s here.", name=name))
    return name
