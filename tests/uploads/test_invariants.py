"""Nothing lost, nothing orphaned: the store or the database fails half-way, for real.

S3 faults stop the moto server (over real HTTP, no patching of boto3) in the middle of a
transfer; database faults are real constraint violations from a concurrent change.
"""

import io

import pytest
from sqlalchemy import func, select, text

from app.commands import documents as document_commands
from app.errors import NotFound
from app.extensions import db
from app.models import Customer, Document, DocumentFolder
from app.security.access import SYSTEM
from app.services import documents as svc
from app.uploads import get_storage
from tests.conftest import ctx, new_customer
from tests.uploads import samples
from tests.uploads.conftest import upload

MB = 1024 * 1024


def rows(app) -> int:
    with ctx(app):
        return db.session.execute(select(func.count()).select_from(Document)).scalar()


def keys(app) -> list[str]:
    with ctx(app):
        return [o.key for o in get_storage().list_objects()]


def check(app, *args):
    return app.test_cli_runner().invoke(args=["documents", "check", *args])


def test_s3_stopping_in_the_middle_of_a_multipart_upload_leaves_no_row(s3_app):
    app, s3 = s3_app, s3_app.s3
    app.config["MAX_CONTENT_LENGTH"] = 20 * MB
    customer_id = new_customer(app)
    s3.cut_after(7 * MB)  # the first 5 MB part is through, the second is on its way
    with pytest.raises(svc.StoreUnavailable) as failed:
        upload(app, customer_id, [("ritning.pdf", samples.big_pdf(12 * MB))])
    assert failed.value.messages and failed.value.status == 503
    assert rows(app) == 0
    s3.start()
    assert s3.keys(app.bucket) == []  # the object was never completed
    started = s3.client().list_multipart_uploads(Bucket=app.bucket).get("Uploads", [])
    assert len(started) == 1  # it failed mid-way, and the store was down when it was to be aborted
    # `flask documents check` reports the unfinished upload, and --repair aborts it
    result = check(app, "--min-age", "0")
    assert result.exit_code == 1 and "unfinished multipart upload" in result.output
    assert started[0]["UploadId"] in result.output
    result = check(app, "--min-age", "0", "--repair")
    assert result.exit_code == 0 and "1 unfinished upload(s) aborted" in result.output, result.output
    assert s3.client().list_multipart_uploads(Bucket=app.bucket).get("Uploads", []) == []
    assert check(app, "--min-age", "0").exit_code == 0


def test_s3_stopping_between_files_of_a_batch_leaves_no_row_and_check_repairs_the_leftover(s3_app):
    app, s3 = s3_app, s3_app.s3
    customer_id = new_customer(app)
    [healthy] = upload(app, customer_id, [("redan.pdf", samples.pdf())])
    s3.cut_after(3 * MB)  # the first 2 MB file is stored, the second breaks off
    files = [(f"del {n}.pdf", samples.big_pdf(2 * MB, seed=n)) for n in range(3)]
    with pytest.raises(svc.StoreUnavailable):
        upload(app, customer_id, files)
    assert rows(app) == 1
    s3.start()
    # Removing the first file failed too (the store was down), so it is left over: no row points at it.
    with ctx(app):
        healthy_key = db.session.get(Document, healthy).storage_key
    leftovers = [k for k in keys(app) if k != healthy_key]
    assert len(leftovers) == 1
    result = check(app, "--min-age", "0")
    assert result.exit_code == 1 and f"orphan object (no document row): {leftovers[0]}" in result.output
    assert check(app).exit_code == 0  # younger than an hour: maybe an upload in progress, left alone
    result = check(app, "--min-age", "0", "--repair")
    assert result.exit_code == 0, result.output
    assert "1 orphan object(s) removed" in result.output
    assert keys(app) == [healthy_key]
    assert check(app, "--min-age", "0").exit_code == 0


class DeletingWhileStoring:
    """The app's store, but another request deletes a row (in its own connection) while the first
    file goes up: the race between an upload and someone deleting its customer or folder."""

    def __init__(self, storage, statement: str, row_id: int):
        self.storage, self.statement, self.row_id = storage, statement, row_id

    def save(self, key, stream, content_type):
        if self.row_id is not None:
            with db.engine.connect() as other:
                other.execute(text(self.statement), {"id": self.row_id})
                other.commit()
            self.row_id = None
        return self.storage.save(key, stream, content_type)

    def __getattr__(self, name):
        return getattr(self.storage, name)


def test_a_database_failure_after_the_upload_removes_the_objects(any_app):
    """The customer is deleted by someone else while the files go up: the rows then violate the
    foreign key in the database, the transaction fails, and the stored objects are removed."""
    app = any_app
    customer_id = new_customer(app, name="Försvinner AB")
    with ctx(app):
        customer = db.session.get(Customer, customer_id)
        store = DeletingWhileStoring(get_storage(), "DELETE FROM customer WHERE id = :id", customer_id)
        with pytest.raises(svc.NotSaved) as failed:
            document_commands.upload_documents(
                customer, None, [("a.pdf", _stream(samples.pdf())), ("b.png", _stream(samples.png()))],
                by=SYSTEM, storage=store)
        assert failed.value.status == 503
    assert rows(app) == 0
    assert keys(app) == []


def test_a_database_failure_for_a_folder_deleted_meanwhile(app):
    customer_id = new_customer(app)
    with ctx(app):
        customer = db.session.get(Customer, customer_id)
        folder_id = document_commands.create_folder(customer, "Tas bort", by=SYSTEM).id
        store = DeletingWhileStoring(get_storage(), "DELETE FROM document_folder WHERE id = :id", folder_id)
        with pytest.raises(svc.NotSaved):
            document_commands.upload_documents(customer, folder_id, [("a.pdf", _stream(samples.pdf()))],
                                               by=SYSTEM, storage=store)
    assert rows(app) == 0 and keys(app) == []


def test_an_upload_for_a_customer_deleted_before_it_starts_is_not_found(app):
    customer_id = new_customer(app)
    with ctx(app):
        customer = db.session.get(Customer, customer_id)
        with db.engine.connect() as other:
            other.execute(text("DELETE FROM customer WHERE id = :id"), {"id": customer_id})
            other.commit()
        with pytest.raises(NotFound):
            document_commands.upload_documents(customer, None, [("a.pdf", _stream(samples.pdf()))], by=SYSTEM)
    assert rows(app) == 0 and keys(app) == []


def test_s3_delete_while_the_store_is_down_leaves_only_an_orphan_that_check_repairs(s3_app):
    app, s3 = s3_app, s3_app.s3
    customer_id = new_customer(app)
    gone, kept = upload(app, customer_id, [("a.pdf", samples.pdf(b"a")), ("b.pdf", samples.pdf(b"b"))])
    with ctx(app):
        gone_key = db.session.get(Document, gone).storage_key
    s3.stop()
    with ctx(app):
        document_commands.delete_document(db.session.get(Document, gone), by=SYSTEM)  # the row goes; the object cannot yet
    assert rows(app) == 1
    s3.start()
    assert gone_key in keys(app)
    result = check(app, "--min-age", "0", "--repair")
    assert result.exit_code == 0 and "1 orphan object(s) removed" in result.output
    assert gone_key not in keys(app) and len(keys(app)) == 1


def test_s3_upload_while_the_store_is_down(s3_app):
    app, s3 = s3_app, s3_app.s3
    customer_id = new_customer(app)
    s3.stop()
    with pytest.raises(svc.StoreUnavailable):
        upload(app, customer_id, [("a.pdf", samples.pdf())])
    assert rows(app) == 0
    s3.start()
    assert keys(app) == []


def test_check_finds_rows_whose_object_is_missing_and_repairs_them(any_app):
    app = any_app
    customer_id = new_customer(app)
    lost, fine = upload(app, customer_id, [("borta.pdf", samples.pdf(b"1")), ("finns.pdf", samples.pdf(b"2"))])
    with ctx(app):
        get_storage().delete(db.session.get(Document, lost).storage_key)  # lost outside the app
    result = check(app)
    assert result.exit_code == 1
    assert f"missing object: document {lost} 'borta.pdf'" in result.output
    result = check(app, "--repair")
    assert result.exit_code == 0 and "1 row(s) without object removed" in result.output
    with ctx(app):
        assert db.session.execute(select(Document.id)).scalars().all() == [fine]
    assert check(app).output.endswith("No orphans.\n")


def test_repair_refuses_when_everything_mismatches(any_app):
    """An empty store next to a full database is a wrong configuration, not damage to repair."""
    app = any_app
    customer_id = new_customer(app)
    ids = upload(app, customer_id, [("a.pdf", samples.pdf()), ("b.pdf", samples.pdf())])
    with ctx(app):
        for key in db.session.execute(select(Document.storage_key)).scalars():
            get_storage().delete(key)
    result = check(app, "--repair")
    assert result.exit_code == 1 and "--force" in result.output
    assert rows(app) == 2
    result = check(app, "--repair", "--force")
    assert result.exit_code == 0 and rows(app) == 0
    assert len(ids) == 2


def test_a_customer_renumbered_or_inactivated_keeps_its_documents(any_app):
    app = any_app
    customer_id = new_customer(app, name="Byter AB", customer_number="1001")
    with ctx(app):
        folder_id = document_commands.create_folder(db.session.get(Customer, customer_id), "Avtal", by=SYSTEM).id
    [doc_id] = upload(app, customer_id, [("avtal.pdf", samples.pdf())], folder_id=folder_id)
    with ctx(app):
        customer = db.session.get(Customer, customer_id)
        customer.customer_number = "2002"
        customer.active = False
        db.session.commit()
    with ctx(app):
        customer = db.session.get(Customer, customer_id)
        [document] = svc.list_documents(customer, svc.get_folder(customer, folder_id))
        assert document.id == doc_id
        body = get_storage().open(document.storage_key)
        assert body.read() == samples.pdf()
        body.close()
    assert check(app, "--min-age", "0").exit_code == 0
    with ctx(app):
        assert db.session.execute(select(func.count()).select_from(DocumentFolder)).scalar() == 1


def _stream(data: bytes):
    return io.BytesIO(data)
