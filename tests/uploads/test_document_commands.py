"""The document commands check rights and scope themselves, whoever calls them (web, CLI, API),
and an upload joined to a larger transaction leaves no object when that transaction fails."""

import io

import pytest
from sqlalchemy import func, select

from app.commands import assign_technician, create_customer
from app.commands import documents as document_commands
from app.commands.transaction import transaction
from app.errors import Invalid, NotAllowed, NotFound
from app.extensions import db
from app.models import Customer, Document
from app.security.access import SYSTEM
from app.uploads import get_storage
from tests.conftest import ctx, new_customer
from tests.uploads import samples


def user(app, name):
    return app.appbuilder.sm.get_user_by_id(app.user_ids[name])


def stored_keys() -> list[str]:
    return [o.key for o in get_storage().list_objects()]


def document_rows() -> int:
    return db.session.execute(select(func.count()).select_from(Document)).scalar()


def test_a_read_only_user_cannot_upload_and_nothing_is_stored(app):
    customer_id = new_customer(app)
    with ctx(app):
        with pytest.raises(NotAllowed):
            document_commands.upload_documents(db.session.get(Customer, customer_id), None,
                                               [("a.pdf", io.BytesIO(samples.pdf()))], by=user(app, "reader"))
        assert document_rows() == 0 and stored_keys() == []


def test_a_technician_uploads_only_to_its_assigned_customers(app):
    mine, theirs = new_customer(app, name="Min AB"), new_customer(app, name="Deras AB")
    with ctx(app):
        assign_technician([mine], app.user_ids["tech"], by=SYSTEM)
        tech = user(app, "tech")
        [document] = document_commands.upload_documents(
            db.session.get(Customer, mine), None, [("a.pdf", io.BytesIO(samples.pdf()))], by=tech)
        assert document.uploaded_by_id == tech.id
        with pytest.raises(NotFound):
            document_commands.upload_documents(db.session.get(Customer, theirs), None,
                                               [("b.pdf", io.BytesIO(samples.pdf()))], by=tech)
        with pytest.raises(NotFound):
            document_commands.create_folder(db.session.get(Customer, theirs), "Avtal", by=tech)
        assert document_rows() == 1 and len(stored_keys()) == 1


def test_deleting_a_folder_with_files_needs_the_delete_right(app):
    customer_id = new_customer(app)
    with ctx(app):
        assign_technician([customer_id], app.user_ids["tech"], by=SYSTEM)
        customer = db.session.get(Customer, customer_id)
        tech = user(app, "tech")
        folder = document_commands.create_folder(customer, "Avtal", by=tech)
        document_commands.upload_documents(customer, folder.id, [("a.pdf", io.BytesIO(samples.pdf()))], by=tech)
        with pytest.raises(NotAllowed):
            document_commands.delete_folder(folder, confirmed=(1, 0), by=tech)
        with pytest.raises(NotAllowed):
            document_commands.delete_document(db.session.execute(select(Document)).scalar_one(), by=tech)
        assert document_rows() == 1
        assert document_commands.delete_folder(folder, confirmed=(1, 0), by=user(app, "admin")) == (1, 0)
        assert document_rows() == 0 and stored_keys() == []


def test_an_upload_inside_a_failing_larger_transaction_leaves_no_object(app):
    """A later step of the same unit of work fails (here: a customer that does not validate), so
    the whole transaction rolls back, and the objects the upload had stored are removed with it."""
    customer_id = new_customer(app)
    with ctx(app):
        with pytest.raises(Invalid), transaction(SYSTEM):
            document_commands.upload_documents(db.session.get(Customer, customer_id), None,
                                               [("a.pdf", io.BytesIO(samples.pdf()))], by=SYSTEM)
            assert len(stored_keys()) == 1  # stored, its row not yet committed
            create_customer({"name": ""}, by=SYSTEM)  # refused: a name is required
        assert document_rows() == 0 and stored_keys() == []
