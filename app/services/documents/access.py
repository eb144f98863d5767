"""Who sees which customer's documents, and lookups that only find the customer's own rows.

`visible_customer` is the scope rule of `scope.get_customer` plus `may_see_documents`, the
single place where the portal's "customer users see their own customer's documents only when
given that right" belongs.
"""

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from ...extensions import db
from ...models.customer import Customer
from ...models.documents import Document, DocumentFolder
from ..scope import get_customer, portal_link
from .errors import DocumentInvalid


def may_see_documents(user, customer: Customer) -> bool:
    """Whether `user`, who may see `customer`, may see its documents.

    Back-office users with View / View (only) assigned do. A customer user (the portal)
    sees its own customer's documents only with its `can_see_documents` right (F14).
    """
    link = portal_link(user)
    if link is None:
        return True
    return link.customer_id == customer.id and link.can_see_documents


def visible_customer(customer_id, user, session=None) -> Customer | None:
    """The customer whose documents `user` may see, or None (a 404 for the caller)."""
    customer = get_customer(customer_id, user, session=session)
    if customer is None or not may_see_documents(user, customer):
        return None
    return customer


def all_documents(customer: Customer, session=None) -> list[Document]:
    """Every document of the customer, folder by folder (the portal's read-only list)."""
    return list(session_of(session).execute(
        select(Document).where(Document.customer_id == customer.id)
        .order_by(Document.folder_id.is_not(None), Document.folder_id, Document.name)
    ).scalars())


def session_of(session=None):
    return session or db.session


def as_int(value) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def get_folder(customer: Customer, folder_id, session=None) -> DocumentFolder | None:
    """The folder if it exists and belongs to `customer`."""
    folder_id = as_int(folder_id)
    folder = session_of(session).get(DocumentFolder, folder_id) if folder_id is not None else None
    return folder if folder is not None and folder.customer_id == customer.id else None


def get_document(customer: Customer, document_id, session=None) -> Document | None:
    """The document if it exists and belongs to `customer`."""
    document_id = as_int(document_id)
    document = session_of(session).get(Document, document_id) if document_id is not None else None
    return document if document is not None and document.customer_id == customer.id else None


def target_folder(customer: Customer, folder_id, session=None) -> DocumentFolder | None:
    """The folder chosen in a form: empty means the top level; anything else must be the customer's."""
    if folder_id in (None, ""):
        return None
    folder = get_folder(customer, folder_id, session)
    if folder is None:
        raise DocumentInvalid(_l("The folder does not exist."))
    return folder
