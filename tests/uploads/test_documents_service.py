"""The documents service on both backends: folders, uploads, renames, moves and deletes."""

import hashlib
import re

import pytest
from sqlalchemy import func, select

from app.commands import assign_technician
from app.commands import documents as document_commands
from app.extensions import db
from app.models import Customer, Document, DocumentFolder
from app.security.access import SYSTEM
from app.services import documents as svc
from app.uploads import get_storage
from tests.conftest import ctx, new_customer
from tests.uploads import samples
from tests.uploads.conftest import upload


def assign(app, customer_id, user):
    with ctx(app):
        assign_technician([customer_id], app.user_ids[user], by=SYSTEM)


def rows(app, model=Document) -> int:
    with ctx(app):
        return db.session.execute(select(func.count()).select_from(model)).scalar()


def stored_keys(app) -> list[str]:
    with ctx(app):
        return [o.key for o in get_storage().list_objects()]


def read(app, key) -> bytes:
    with ctx(app):
        body = get_storage().open(key)
        try:
            return body.read()
        finally:
            body.close()


def make_folder(app, customer_id, name, parent_id=None) -> int:
    with ctx(app):
        customer = db.session.get(Customer, customer_id)
        return document_commands.create_folder(customer, name, parent_id, by=SYSTEM).id


def test_upload_many_into_a_folder_stores_objects_under_random_keys(any_app):
    app = any_app
    customer_id = new_customer(app, name="Åhléns AB")
    assign(app, customer_id, "tech")  # a technician uploads to the customers assigned to it
    folder_id = make_folder(app, customer_id, "Avtal")
    files = [("Offert Åhléns.pdf", samples.pdf(b"offert")), ("foto.jpg", samples.jpeg()), ("lista.csv", samples.text())]
    ids = upload(app, customer_id, files, folder_id=folder_id, user="tech")
    assert len(ids) == 3
    with ctx(app):
        documents = {d.name: d for d in db.session.execute(select(Document)).scalars()}
        assert set(documents) == {name for name, _ in files}
        offer = documents["Offert Åhléns.pdf"]
        assert offer.folder_id == folder_id and offer.customer_id == customer_id
        assert (offer.content_type, offer.size) == ("application/pdf", len(samples.pdf(b"offert")))
        assert offer.sha256 == hashlib.sha256(samples.pdf(b"offert")).hexdigest()
        assert offer.uploaded_by_id == app.user_ids["tech"] and offer.uploaded_at is not None
        assert documents["lista.csv"].content_type == "text/csv"
        keys = {d.storage_key for d in documents.values()}
    assert all(re.fullmatch(r"[0-9a-f]{32}", key) for key in keys)
    assert sorted(keys) == stored_keys(app)
    assert read(app, offer.storage_key) == samples.pdf(b"offert")


def test_the_same_name_twice_gets_a_number(app):
    customer_id = new_customer(app)
    upload(app, customer_id, [("avtal.pdf", samples.pdf())])
    upload(app, customer_id, [("Avtal.pdf", samples.pdf()), ("avtal.pdf", samples.pdf())])
    with ctx(app):
        names = sorted(db.session.execute(select(Document.name)).scalars())
    assert names == ["Avtal (2).pdf", "avtal (3).pdf", "avtal.pdf"]


@pytest.mark.parametrize(
    "bad",
    [("tom.pdf", b""), ("program.pdf", samples.exe()), ("../../etc/passwd.pdf", samples.pdf()),
     ("rad\nbrytning.pdf", samples.pdf()), ("stor.pdf", samples.big_pdf(2 * 1024 * 1024))],
)
def test_one_bad_file_refuses_the_whole_upload_and_writes_nothing(any_app, bad):
    app = any_app
    app.config["MAX_CONTENT_LENGTH"] = 1024 * 1024
    customer_id = new_customer(app)
    with pytest.raises(svc.DocumentInvalid) as refused:
        upload(app, customer_id, [("bra.pdf", samples.pdf()), bad])
    assert len(refused.value.messages) == 1
    assert rows(app) == 0 and stored_keys(app) == []


def test_a_folder_of_another_customer_is_refused(any_app):
    app = any_app
    mine, theirs = new_customer(app, name="Min AB"), new_customer(app, name="Deras AB")
    their_folder = make_folder(app, theirs, "Hemligt")
    for folder_id in (their_folder, 999_999, "x"):
        with pytest.raises(svc.DocumentInvalid):
            upload(app, mine, [("a.pdf", samples.pdf())], folder_id=folder_id)
    with ctx(app):
        customer = db.session.get(Customer, mine)
        with pytest.raises(svc.DocumentInvalid):
            document_commands.create_folder(customer, "Under deras", parent_id=their_folder, by=SYSTEM)
    assert rows(app) == 0 and stored_keys(app) == [] and rows(app, DocumentFolder) == 1


def test_no_files_and_too_many_files_are_refused(app):
    customer_id = new_customer(app)
    with pytest.raises(svc.DocumentInvalid):
        upload(app, customer_id, [])
    with pytest.raises(svc.DocumentInvalid):
        upload(app, customer_id, [("", b"")])  # what a browser sends when no file was chosen
    app.config["DOCUMENT_MAX_FILES"] = 2
    with pytest.raises(svc.DocumentInvalid):
        upload(app, customer_id, [(f"{n}.pdf", samples.pdf()) for n in range(3)])
    assert rows(app) == 0 and stored_keys(app) == []


def test_folders_nest_and_names_are_unique_among_siblings(app):
    customer_id = new_customer(app)
    contracts = make_folder(app, customer_id, "Avtal")
    year = make_folder(app, customer_id, "2024", contracts)
    make_folder(app, customer_id, "2024")  # same name elsewhere is fine
    with pytest.raises(svc.DocumentInvalid):
        make_folder(app, customer_id, "AVTAL")
    for bad in ("", "a/b", "..", "ny\x00mapp"):
        with pytest.raises(svc.DocumentInvalid):
            make_folder(app, customer_id, bad)
    with ctx(app):
        customer = db.session.get(Customer, customer_id)
        tree = svc.folder_tree(customer)
        assert [(n.path, n.depth) for n in tree] == [("2024", 0), ("Avtal", 0), ("Avtal / 2024", 1)]
        folder = svc.get_folder(customer, year)
        assert [f.name for f in svc.folder_path(folder)] == ["Avtal", "2024"]
        document_commands.rename_folder(folder, "2025", by=SYSTEM)
        with pytest.raises(svc.DocumentInvalid):
            document_commands.rename_folder(svc.get_folder(customer, contracts), "2024", by=SYSTEM)
    with ctx(app):
        assert db.session.get(DocumentFolder, year).name == "2025"


def test_folder_depth_is_limited(app):
    customer_id = new_customer(app)
    parent = None
    for depth in range(svc.MAX_FOLDER_DEPTH):
        parent = make_folder(app, customer_id, f"nivå {depth}", parent)
    with pytest.raises(svc.DocumentInvalid):
        make_folder(app, customer_id, "för djup", parent)


def test_deleting_a_folder_with_contents_needs_the_counts_confirmed(any_app):
    app = any_app
    customer_id = new_customer(app)
    top = make_folder(app, customer_id, "Projekt")
    sub = make_folder(app, customer_id, "Bilder", top)
    subsub = make_folder(app, customer_id, "Gamla", sub)
    upload(app, customer_id, [("a.pdf", samples.pdf())], folder_id=top)
    upload(app, customer_id, [("b.png", samples.png()), ("c.jpg", samples.jpeg())], folder_id=subsub)
    kept = upload(app, customer_id, [("kvar.pdf", samples.pdf())])
    with ctx(app):
        folder = db.session.get(DocumentFolder, top)
        assert svc.folder_contents(folder) == (3, 2)
        with pytest.raises(svc.FolderNotEmpty) as not_empty:
            document_commands.delete_folder(folder, by=SYSTEM)
        assert (not_empty.value.files, not_empty.value.folders) == (3, 2)
        with pytest.raises(svc.FolderNotEmpty):
            document_commands.delete_folder(folder, confirmed=(2, 2), by=SYSTEM)  # stale confirmation
    assert rows(app) == 4 and len(stored_keys(app)) == 4
    with ctx(app):
        assert document_commands.delete_folder(db.session.get(DocumentFolder, top), confirmed=(3, 2), by=SYSTEM) == (3, 2)
    assert rows(app, DocumentFolder) == 0
    with ctx(app):
        remaining = db.session.execute(select(Document)).scalars().all()
        assert [d.id for d in remaining] == kept
        assert stored_keys(app) == [remaining[0].storage_key]
        empty = document_commands.create_folder(db.session.get(Customer, customer_id), "Tom", by=SYSTEM)
        assert document_commands.delete_folder(empty, by=SYSTEM) == (0, 0)


def test_rename_and_move_within_the_customer(app):
    customer_id = new_customer(app)
    other = new_customer(app, name="Annan AB")
    a, b = make_folder(app, customer_id, "A"), make_folder(app, customer_id, "B")
    foreign = make_folder(app, other, "Främmande")
    [doc_id] = upload(app, customer_id, [("avtal.pdf", samples.pdf())], folder_id=a)
    upload(app, customer_id, [("avtal.pdf", samples.pdf())], folder_id=b)
    upload(app, customer_id, [("annat.pdf", samples.pdf())], folder_id=a)
    with ctx(app):
        customer = db.session.get(Customer, customer_id)
        document = svc.get_document(customer, doc_id)
        key = document.storage_key
        with pytest.raises(svc.DocumentInvalid):
            document_commands.move_document(customer, document, b, by=SYSTEM)  # a file of that name is there
        with pytest.raises(svc.DocumentInvalid):
            document_commands.move_document(customer, document, foreign, by=SYSTEM)
        with pytest.raises(svc.DocumentInvalid):
            document_commands.rename_document(document, "annat.pdf", by=SYSTEM)
        with pytest.raises(svc.DocumentInvalid):
            document_commands.rename_document(document, "avtal.exe", by=SYSTEM)
        document_commands.rename_document(document, "Avtal 2024.pdf", by=SYSTEM)
        document_commands.move_document(customer, document, b, by=SYSTEM)
        document_commands.move_document(customer, document, None, by=SYSTEM)
        assert svc.get_document(db.session.get(Customer, other), doc_id) is None
    with ctx(app):
        document = db.session.get(Document, doc_id)
        assert (document.name, document.folder_id, document.storage_key) == ("Avtal 2024.pdf", None, key)


def test_delete_removes_row_and_object(any_app):
    app = any_app
    customer_id = new_customer(app)
    first, second = upload(app, customer_id, [("a.pdf", samples.pdf(b"a")), ("b.pdf", samples.pdf(b"b"))])
    with ctx(app):
        keep_key = db.session.get(Document, second).storage_key
        document_commands.delete_document(db.session.get(Document, first), by=SYSTEM)
    assert rows(app) == 1 and stored_keys(app) == [keep_key]


def test_deleting_the_customer_removes_its_objects_after_the_commit(any_app):
    app = any_app
    gone, kept = new_customer(app, name="Borta AB"), new_customer(app, name="Kvar AB")
    make_folder(app, gone, "Avtal")
    upload(app, gone, [("a.pdf", samples.pdf()), ("b.png", samples.png())])
    [kept_id] = upload(app, kept, [("c.pdf", samples.pdf())])
    with ctx(app):
        db.session.delete(db.session.get(Customer, gone))
        db.session.flush()
        db.session.rollback()  # changed their mind: nothing is removed
    assert len(stored_keys(app)) == 3
    with ctx(app):
        db.session.delete(db.session.get(Customer, gone))  # as the card's Delete does
        db.session.commit()
        assert stored_keys(app) == [db.session.get(Document, kept_id).storage_key]
    assert rows(app) == 1 and rows(app, DocumentFolder) == 0


def test_the_list_sorts_by_every_column(app):
    customer_id = new_customer(app)
    assign(app, customer_id, "tech")
    upload(app, customer_id, [("b.pdf", samples.pdf(b"x" * 500))], user="manager")
    upload(app, customer_id, [("A.txt", samples.text())], user="admin")
    upload(app, customer_id, [("c.png", samples.png())], user="tech")
    with ctx(app):
        customer = db.session.get(Customer, customer_id)

        def names(sort, direction="asc"):
            return [d.name for d in svc.list_documents(customer, None, sort, direction)]

        assert names("name") == ["A.txt", "b.pdf", "c.png"]
        assert names("name", "desc") == ["c.png", "b.pdf", "A.txt"]
        assert names("size", "desc")[0] == "b.pdf"
        assert names("type") == ["b.pdf", "c.png", "A.txt"]  # application/pdf, image/png, text/plain
        assert names("uploader") == ["A.txt", "b.pdf", "c.png"]  # Admin, Manager, Tech
        assert names("date") == ["b.pdf", "A.txt", "c.png"]  # ties (same second) go by upload order
        assert names("date", "desc") == ["c.png", "A.txt", "b.pdf"]
        assert names("nonsense") == names("name")


def test_upload_accepts_file_objects_without_reading_them_into_memory(app, tmp_path):
    """A 30 MB file on disk goes through in chunks; the size limit comes from MAX_CONTENT_LENGTH."""
    app.config["MAX_CONTENT_LENGTH"] = 40 * 1024 * 1024
    path = tmp_path / "stor.pdf"
    path.write_bytes(samples.big_pdf(30 * 1024 * 1024))
    customer_id = new_customer(app)
    with ctx(app), path.open("rb") as stream:
        customer = db.session.get(Customer, customer_id)
        [document] = document_commands.upload_documents(customer, None, [("stor.pdf", stream)], by=SYSTEM)
        assert document.size == 30 * 1024 * 1024
        assert get_storage().local_path(document.storage_key).stat().st_size == document.size
