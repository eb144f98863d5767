"""The documents page `/customers/<id>/documents`: uploads, folders, downloads and rights."""

import io
import re
import urllib.request
from urllib.parse import parse_qs, urlparse

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.models import Customer, Document, DocumentFolder
from app.security.rights import CUSTOMER, CUSTOMER_PERMISSIONS, DELETE_UPLOADED_FILES, VIEW
from app.uploads import get_storage
from tests.conftest import PASSWORD, ctx, new_customer
from tests.uploads import samples
from tests.uploads.conftest import close_app, local_app, s3_backed_app
from tests.uploads.conftest import s3 as s3  # noqa: F401  (the S3 endpoint fixture)

MB = 1024 * 1024


@pytest.fixture
def app(database_url, tmp_path):
    """Documents in a temporary folder, never in instance/."""
    app = local_app(database_url, tmp_path)
    yield app
    close_app(app)


@pytest.fixture
def s3_app(database_url, tmp_path, s3):  # noqa: F811
    app = s3_backed_app(database_url, tmp_path, s3)
    yield app
    close_app(app)


def documents(app) -> list[Document]:
    with ctx(app):
        found = db.session.execute(select(Document).order_by(Document.id)).scalars().all()
        db.session.expunge_all()
        return found


def folder_count(app) -> int:
    with ctx(app):
        return db.session.execute(select(func.count()).select_from(DocumentFolder)).scalar()


def stored(app) -> list[str]:
    with ctx(app):
        return [o.key for o in get_storage().list_objects()]


def errors_in(response) -> list[str]:
    return re.findall(r'class="document-error">(.*?)</li>', response.get_data(as_text=True), re.S)


def post_files(client, customer_id, files, folder_id="", **extra):
    data = {"folder_id": str(folder_id), "files": [(io.BytesIO(data), name, ctype) for name, data, ctype in files]}
    data.update(extra)
    return client.post(f"/customers/{customer_id}/documents/upload", data=data, content_type="multipart/form-data")


def pdf_file(name="Offert Åhléns.pdf", data=None):
    return (name, data if data is not None else samples.pdf(), "application/pdf")


def assign(app, customer_id, user="tech"):
    with ctx(app):
        db.session.get(Customer, customer_id).assigned_to_id = app.user_ids[user]
        db.session.commit()


def add_user(app, username, role_name, permissions=()):
    with ctx(app):
        sm = app.appbuilder.sm
        role = sm.add_role(role_name)
        for permission in permissions:
            sm.add_permission_role(role, sm.add_permission_view_menu(permission, CUSTOMER))
        sm.add_user(username, username, "Testsson", f"{username}@exempel.se", [role], password=PASSWORD)


# -- the page and the card ----------------------------------------------------------------


def test_the_card_links_to_the_documents_page(app, as_admin):
    customer_id = new_customer(app, name="Åhléns AB")
    card = as_admin.get(f"/customers/{customer_id}").get_data(as_text=True)
    assert f'href="/customers/{customer_id}/documents"' in card and 'id="documents-link"' in card
    page = as_admin.get(f"/customers/{customer_id}/documents")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "Åhléns AB" in text and 'id="upload-form"' in text and 'enctype="multipart/form-data"' in text


def test_anonymous_users_are_sent_to_login(app, client):
    customer_id = new_customer(app)
    for url in (f"/customers/{customer_id}/documents", f"/customers/{customer_id}/documents/1/download"):
        response = client.get(url)
        assert response.status_code == 302 and "/login/" in response.location
    assert post_files(client, customer_id, [pdf_file()]).status_code == 302
    assert documents(app) == []


def test_upload_many_into_a_new_folder_and_list_them(app, as_admin):
    customer_id = new_customer(app)
    response = as_admin.post(f"/customers/{customer_id}/documents/folders/new", data={"name": "Avtal 2024"})
    assert response.status_code == 303
    with ctx(app):
        folder_id = db.session.execute(select(DocumentFolder.id)).scalar()
    assert response.location.endswith(f"/customers/{customer_id}/documents/folders/{folder_id}")
    response = post_files(as_admin, customer_id, [
        pdf_file(), ("foto.jpg", samples.jpeg(), "image/jpeg"),
        ("budget.xlsx", samples.xlsx(), "application/octet-stream"),  # what a browser might claim
    ], folder_id=folder_id)
    assert response.status_code == 303
    uploaded = {d.name: d for d in documents(app)}
    assert set(uploaded) == {"Offert Åhléns.pdf", "foto.jpg", "budget.xlsx"}
    assert uploaded["budget.xlsx"].content_type.endswith("spreadsheetml.sheet")  # from the content
    assert {d.folder_id for d in uploaded.values()} == {folder_id}
    page = as_admin.get(response.location).get_data(as_text=True)
    for expected in ("Offert Åhléns.pdf", "foto.jpg", "budget.xlsx", "Excel", "JPEG", "Admin Testsson",
                     'preview-link', "Avtal 2024"):
        assert expected in page
    assert page.count('preview-link" target') == 2  # the image and the PDF, not the spreadsheet


def test_names_are_shown_escaped(app, as_admin):
    customer_id = new_customer(app, name="</title><script>alert(1)</script> AB")
    page = as_admin.get(f"/customers/{customer_id}/documents").get_data(as_text=True)
    assert "<script>alert(1)" not in page and "&lt;/title&gt;&lt;script&gt;" in page
    refused = post_files(as_admin, customer_id, [("<img src=x onerror=alert(1)>.exe", samples.exe(), "x")])
    assert refused.status_code == 400 and "<img src=x" not in refused.get_data(as_text=True)
    assert "&lt;img src=x onerror=alert(1)&gt;.exe" in errors_in(refused)[0]
    assert post_files(as_admin, customer_id, [pdf_file("<img src=x onerror=alert(1)>.pdf")]).status_code == 303
    page = as_admin.get(f"/customers/{customer_id}/documents", follow_redirects=True).get_data(as_text=True)
    assert "<img src=x" not in page and "&lt;img src=x onerror=alert(1)&gt;.pdf" in page


def test_the_list_sorts_by_the_chosen_column(app, as_admin):
    customer_id = new_customer(app)
    post_files(as_admin, customer_id, [pdf_file("b.pdf", samples.pdf(b"x" * 2000)), ("a.txt", samples.text(), "text/plain"),
                                       ("c.png", samples.png(), "image/png")])

    def order(query):
        page = as_admin.get(f"/customers/{customer_id}/documents?{query}").get_data(as_text=True)
        return re.findall(r'class="download-link">(.*?)</a>', page)

    assert order("") == ["a.txt", "b.pdf", "c.png"]
    assert order("sort=name&dir=desc") == ["c.png", "b.pdf", "a.txt"]
    assert order("sort=size&dir=desc")[0] == "b.pdf"
    assert order("sort=type") == ["b.pdf", "c.png", "a.txt"]
    assert order("sort=evil'--&dir=sideways") == ["a.txt", "b.pdf", "c.png"]


# -- bad input: refused clearly, nothing written ------------------------------------------------


@pytest.mark.parametrize(
    "bad",
    [
        ("tom.pdf", b"", "application/pdf"),
        ("program.pdf", samples.exe(), "application/pdf"),  # disguised by its extension
        ("sida.txt", samples.html(), "text/plain"),
        ("logo.png", samples.svg(), "image/png"),
        ("../../../etc/passwd.pdf", samples.pdf(), "application/pdf"),
        ("faktura\u202efdp.exe", samples.pdf(), "application/pdf"),  # bidi override hides ".exe"
        ("tab\there.pdf", samples.pdf(), "application/pdf"),
        ("nul\x01.pdf", samples.pdf(), "application/pdf"),
    ],
)
def test_bad_files_are_refused_with_a_message_and_nothing_is_written(app, as_admin, bad):
    customer_id = new_customer(app)
    response = post_files(as_admin, customer_id, [pdf_file("bra.pdf"), bad])
    assert response.status_code == 400
    assert len(errors_in(response)) == 1
    assert 'class="alert alert-danger document-errors"' in response.get_data(as_text=True)
    assert documents(app) == [] and stored(app) == []


def test_an_oversize_file_is_refused(app, as_admin):
    app.config["MAX_CONTENT_LENGTH"] = MB
    customer_id = new_customer(app)
    response = post_files(as_admin, customer_id, [pdf_file("stor.pdf", samples.big_pdf(MB + 10))])
    assert response.status_code == 400 and len(errors_in(response)) == 1
    assert "1 MB" in errors_in(response)[0]
    assert documents(app) == [] and stored(app) == []


def test_an_upload_larger_than_any_allowed_request_is_refused_before_it_is_read(app, as_admin):
    app.config.update(MAX_CONTENT_LENGTH=MB, DOCUMENT_MAX_FILES=2)
    customer_id = new_customer(app)
    response = post_files(as_admin, customer_id, [pdf_file("enorm.pdf", samples.big_pdf(4 * MB))])
    assert response.status_code == 303 and response.location.endswith(f"/customers/{customer_id}/documents")
    page = as_admin.get(response.location).get_data(as_text=True)
    assert "alert-danger" in page and "2" in page
    assert documents(app) == [] and stored(app) == []


def test_a_folder_of_another_customer_in_the_form_is_refused(app, as_admin):
    mine, theirs = new_customer(app, name="Min AB"), new_customer(app, name="Deras AB")
    as_admin.post(f"/customers/{theirs}/documents/folders/new", data={"name": "Deras"})
    with ctx(app):
        their_folder = db.session.execute(select(DocumentFolder.id)).scalar()
    response = post_files(as_admin, mine, [pdf_file()], folder_id=their_folder)
    assert response.status_code == 400 and len(errors_in(response)) == 1
    response = as_admin.post(f"/customers/{mine}/documents/folders/new", data={"name": "X", "parent_id": their_folder})
    assert response.status_code == 400
    assert as_admin.get(f"/customers/{mine}/documents/folders/{their_folder}").status_code == 404
    assert documents(app) == [] and stored(app) == [] and folder_count(app) == 1


def test_no_file_chosen(app, as_admin):
    customer_id = new_customer(app)
    response = post_files(as_admin, customer_id, [("", b"", "application/octet-stream")])
    assert response.status_code == 400 and len(errors_in(response)) == 1


def test_without_a_csrf_token_nothing_is_written(database_url, tmp_path):
    app = local_app(database_url, tmp_path / "csrf")
    app.config["WTF_CSRF_ENABLED"] = True
    try:
        client = app.test_client()
        token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', client.get("/login/").get_data(as_text=True))
        response = client.post("/login/", data={"username": "admin", "password": PASSWORD, "csrf_token": token[1]})
        assert response.location == "/"  # logged in: only the missing token stops what follows
        customer_id = new_customer(app)
        assert client.get(f"/customers/{customer_id}/documents").status_code == 200
        response = post_files(client, customer_id, [pdf_file()])
        assert response.status_code == 400
        response = client.post(f"/customers/{customer_id}/documents/folders/new", data={"name": "X"})
        assert response.status_code == 400
        assert documents(app) == [] and stored(app) == [] and folder_count(app) == 0
    finally:
        close_app(app)


# -- downloads ------------------------------------------------------------------------------


def test_download_sends_the_bytes_with_the_utf8_name(app, as_admin):
    customer_id = new_customer(app)
    post_files(as_admin, customer_id, [pdf_file(data=samples.pdf(b"innehall"))])
    [document] = documents(app)
    response = as_admin.get(f"/customers/{customer_id}/documents/{document.id}/download")
    assert response.status_code == 200
    assert response.data == samples.pdf(b"innehall")
    assert response.headers["Content-Disposition"] == (
        "attachment; filename=\"Offert Ahlens.pdf\"; filename*=UTF-8''Offert%20%C3%85hl%C3%A9ns.pdf"
    )
    assert response.headers["Content-Type"] == "application/pdf"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert "no-store" in response.headers["Cache-Control"]


def test_preview_is_inline_for_images_and_pdf_only(app, as_admin):
    customer_id = new_customer(app)
    post_files(as_admin, customer_id, [pdf_file("a.pdf"), ("b.png", samples.png(), "image/png"),
                                       ("c.docx", samples.docx(), "application/msword"),
                                       ("d.txt", samples.text(), "text/plain")])
    by_name = {d.name: d.id for d in documents(app)}
    for name, content_type in (("a.pdf", "application/pdf"), ("b.png", "image/png")):
        response = as_admin.get(f"/customers/{customer_id}/documents/{by_name[name]}/preview")
        assert response.status_code == 200
        assert response.headers["Content-Disposition"].startswith(f'inline; filename="{name}"')
        assert response.headers["Content-Type"] == content_type
    for name in ("c.docx", "d.txt"):
        assert as_admin.get(f"/customers/{customer_id}/documents/{by_name[name]}/preview").status_code == 404
        download = as_admin.get(f"/customers/{customer_id}/documents/{by_name[name]}/download")
        assert download.headers["Content-Disposition"].startswith("attachment;")


def test_a_document_is_only_found_under_its_own_customer(app, as_admin):
    mine, theirs = new_customer(app, name="Min AB"), new_customer(app, name="Deras AB")
    post_files(as_admin, theirs, [pdf_file()])
    [document] = documents(app)
    for action in ("download", "preview"):
        assert as_admin.get(f"/customers/{mine}/documents/{document.id}/{action}").status_code == 404
    for action in ("rename", "move", "delete"):
        assert as_admin.post(f"/customers/{mine}/documents/{document.id}/{action}",
                             data={"name": "x.pdf", "folder_id": ""}).status_code == 404
    assert [d.name for d in documents(app)] == ["Offert Åhléns.pdf"]


def test_a_renumbered_and_inactivated_customer_keeps_its_documents(app, as_admin):
    customer_id = new_customer(app, customer_number="5005")
    post_files(as_admin, customer_id, [pdf_file()])
    with ctx(app):
        customer = db.session.get(Customer, customer_id)
        customer.customer_number, customer.active = "6006", False
        db.session.commit()
    [document] = documents(app)
    assert "Offert Åhléns.pdf" in as_admin.get(f"/customers/{customer_id}/documents").get_data(as_text=True)
    response = as_admin.get(f"/customers/{customer_id}/documents/{document.id}/download")
    assert response.status_code == 200 and response.data == samples.pdf()


# -- folders, rename, move, delete ------------------------------------------------------------


def test_deleting_a_folder_states_the_count_and_needs_it_confirmed(app, as_admin):
    customer_id = new_customer(app)
    as_admin.post(f"/customers/{customer_id}/documents/folders/new", data={"name": "Projekt"})
    with ctx(app):
        top = db.session.execute(select(DocumentFolder.id)).scalar()
    as_admin.post(f"/customers/{customer_id}/documents/folders/new", data={"name": "Bilder", "parent_id": top})
    with ctx(app):
        sub = db.session.execute(select(DocumentFolder.id).where(DocumentFolder.parent_id == top)).scalar()
    post_files(as_admin, customer_id, [pdf_file("a.pdf")], folder_id=top)
    post_files(as_admin, customer_id, [("b.png", samples.png(), "image/png"), ("c.jpg", samples.jpeg(), "image/jpeg")],
               folder_id=sub)
    url = f"/customers/{customer_id}/documents/folders/{top}/delete"
    page = as_admin.get(url).get_data(as_text=True)
    assert re.search(r'id="folder-contents"><strong>[^<]*\b3\b[^<]*\b1\b', page)
    assert 'name="files" value="3"' in page and 'name="folders" value="1"' in page
    assert as_admin.post(url).status_code == 409  # no confirmation
    assert as_admin.post(url, data={"files": "2", "folders": "1"}).status_code == 409  # stale
    assert len(documents(app)) == 3
    response = as_admin.post(url, data={"files": "3", "folders": "1"})
    assert response.status_code == 303 and response.location.endswith(f"/customers/{customer_id}/documents")
    assert documents(app) == [] and stored(app) == [] and folder_count(app) == 0


def test_rename_folder_and_file_and_move_the_file(app, as_admin):
    customer_id = new_customer(app)
    for name in ("A", "B"):
        as_admin.post(f"/customers/{customer_id}/documents/folders/new", data={"name": name})
    with ctx(app):
        a, b = db.session.execute(select(DocumentFolder.id).order_by(DocumentFolder.id)).scalars().all()
    post_files(as_admin, customer_id, [pdf_file("avtal.pdf")], folder_id=a)
    [document] = documents(app)
    base = f"/customers/{customer_id}/documents"
    assert as_admin.post(f"{base}/folders/{a}/rename", data={"name": "B"}).status_code == 400
    assert as_admin.post(f"{base}/folders/{a}/rename", data={"name": "Avtal"}).status_code == 303
    assert as_admin.post(f"{base}/{document.id}/rename", data={"name": "avtal.exe"}).status_code == 400
    assert as_admin.post(f"{base}/{document.id}/rename", data={"name": "../avtal.pdf"}).status_code == 400
    assert as_admin.post(f"{base}/{document.id}/rename", data={"name": "..\\avtal.pdf"}).status_code == 400
    assert as_admin.post(f"{base}/{document.id}/rename", data={"name": "Avtal 2024.pdf"}).status_code == 303
    response = as_admin.post(f"{base}/{document.id}/move", data={"folder_id": b})
    assert response.status_code == 303 and response.location.endswith(f"/folders/{b}")
    [moved] = documents(app)
    assert (moved.name, moved.folder_id, moved.storage_key) == ("Avtal 2024.pdf", b, document.storage_key)
    with ctx(app):
        assert db.session.get(DocumentFolder, a).name == "Avtal"
    assert as_admin.post(f"{base}/{document.id}/move", data={"folder_id": "999"}).status_code == 400
    assert as_admin.post(f"{base}/{document.id}/move", data={"folder_id": ""}).status_code == 303
    assert documents(app)[0].folder_id is None


def test_delete_a_file_removes_row_and_object(app, as_admin):
    customer_id = new_customer(app)
    post_files(as_admin, customer_id, [pdf_file("a.pdf"), pdf_file("b.pdf", samples.pdf(b"b"))])
    first, second = documents(app)
    response = as_admin.post(f"/customers/{customer_id}/documents/{first.id}/delete")
    assert response.status_code == 303
    assert [d.id for d in documents(app)] == [second.id] and stored(app) == [second.storage_key]


# -- rights -----------------------------------------------------------------------------------


def test_fab_keeps_every_customer_permission(app):
    from app.views.documents import DocumentView

    view = next(v for v in app.appbuilder.baseviews if isinstance(v, DocumentView))
    assert view.class_permission_name == CUSTOMER and view.base_permissions == CUSTOMER_PERMISSIONS
    with ctx(app):
        sm = app.appbuilder.sm
        on_customer = {
            pvm.permission.name for pvm in db.session.query(sm.permissionview_model).all()
            if pvm.view_menu.name == CUSTOMER
        }
    assert set(CUSTOMER_PERMISSIONS) <= on_customer


def test_reader_may_see_and_download_but_not_change(app, client, auth, as_admin):
    customer_id = new_customer(app)
    post_files(as_admin, customer_id, [pdf_file()])
    as_admin.post(f"/customers/{customer_id}/documents/folders/new", data={"name": "Avtal"})
    auth.logout()
    [document] = documents(app)
    with ctx(app):
        folder_id = db.session.execute(select(DocumentFolder.id)).scalar()
    auth.login("reader")
    base = f"/customers/{customer_id}/documents"
    page = client.get(base)
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert 'id="upload-form"' not in text and "delete-document" not in text and "rename-form" not in text
    assert client.get(f"{base}/{document.id}/download").status_code == 200
    assert post_files(client, customer_id, [pdf_file("ny.pdf")]).status_code == 403
    assert client.post(f"{base}/folders/new", data={"name": "Ny"}).status_code == 403
    assert client.post(f"{base}/folders/{folder_id}/rename", data={"name": "Ny"}).status_code == 403
    assert client.post(f"{base}/folders/{folder_id}/delete").status_code == 403
    assert client.post(f"{base}/{document.id}/rename", data={"name": "x.pdf"}).status_code == 403
    assert client.post(f"{base}/{document.id}/move", data={"folder_id": folder_id}).status_code == 403
    assert client.post(f"{base}/{document.id}/delete").status_code == 403
    assert [(d.name, d.folder_id) for d in documents(app)] == [("Offert Åhléns.pdf", None)]
    assert folder_count(app) == 1


def test_technician_uploads_to_assigned_customers_only_and_cannot_delete_files(app, client, auth):
    mine, other = new_customer(app, name="Min AB"), new_customer(app, name="Annans AB")
    assign(app, mine)
    assign(app, other, "tech2")
    auth.login("tech")
    base = f"/customers/{mine}/documents"
    assert post_files(client, mine, [pdf_file()]).status_code == 303
    [document] = documents(app)
    assert document.uploaded_by_id == app.user_ids["tech"]
    assert client.post(f"{base}/{document.id}/rename", data={"name": "nytt.pdf"}).status_code == 303
    assert client.post(f"{base}/{document.id}/delete").status_code == 403
    assert client.post(f"{base}/folders/new", data={"name": "Tom"}).status_code == 303
    assert client.post(f"{base}/folders/new", data={"name": "Full"}).status_code == 303
    with ctx(app):
        empty, full = db.session.execute(select(DocumentFolder.id).order_by(DocumentFolder.id)).scalars().all()
    post_files(client, mine, [pdf_file("i mappen.pdf")], folder_id=full)
    assert client.post(f"{base}/folders/{full}/delete", data={"files": "1", "folders": "0"}).status_code == 403
    assert client.post(f"{base}/folders/{empty}/delete", data={"files": "0", "folders": "0"}).status_code == 303
    # Another technician's customer does not exist for this one.
    other_base = f"/customers/{other}/documents"
    assert client.get(other_base).status_code == 404
    assert post_files(client, other, [pdf_file()]).status_code == 404
    assert client.post(f"{other_base}/folders/new", data={"name": "X"}).status_code == 404
    assert len(documents(app)) == 2 and folder_count(app) == 1


def test_a_technician_does_not_reach_files_of_a_customer_not_assigned(app, client, auth, as_admin):
    customer_id = new_customer(app)
    post_files(as_admin, customer_id, [pdf_file()])
    auth.logout()
    [document] = documents(app)
    auth.login("tech")
    assert client.get(f"/customers/{customer_id}/documents/{document.id}/download").status_code == 404
    assert client.get(f"/customers/{customer_id}/documents/{document.id}/preview").status_code == 404


def test_delete_needs_the_delete_uploaded_files_right(app, client, auth):
    add_user(app, "arkiv", "Arkivarie", [VIEW, DELETE_UPLOADED_FILES])
    customer_id = new_customer(app)
    auth.login("manager")
    post_files(client, customer_id, [pdf_file("a.pdf"), pdf_file("b.pdf")])
    first, second = documents(app)
    assert client.post(f"/customers/{customer_id}/documents/{first.id}/delete").status_code == 303
    auth.logout()
    auth.login("arkiv")
    assert post_files(client, customer_id, [pdf_file("c.pdf")]).status_code == 403
    assert client.post(f"/customers/{customer_id}/documents/{second.id}/rename", data={"name": "x.pdf"}).status_code == 403
    assert client.post(f"/customers/{customer_id}/documents/{second.id}/delete").status_code == 303
    assert documents(app) == [] and stored(app) == []


def test_a_customer_user_sees_no_documents(app, client, auth, as_admin):
    """Portal users get no document right from their role; the page, files and forms refuse them."""
    add_user(app, "portal", "CustomerUser")
    customer_id = new_customer(app)
    post_files(as_admin, customer_id, [pdf_file()])
    auth.logout()
    [document] = documents(app)
    auth.login("portal")
    base = f"/customers/{customer_id}/documents"
    assert client.get(base).status_code == 403
    assert client.get(f"{base}/{document.id}/download").status_code == 403
    assert client.get(f"{base}/{document.id}/preview").status_code == 403
    assert post_files(client, customer_id, [pdf_file("x.pdf")]).status_code == 403
    assert client.post(f"{base}/{document.id}/delete").status_code == 403
    assert len(documents(app)) == 1


# -- S3 -------------------------------------------------------------------------------------


def admin_client(app):
    client = app.test_client()
    response = client.post("/login/", data={"username": "admin", "password": PASSWORD})
    assert response.status_code == 302 and "/login" not in response.location
    return client


def test_s3_download_redirects_to_a_short_lived_presigned_url(s3_app):
    app = s3_app
    as_admin = admin_client(app)
    customer_id = new_customer(app)
    assert post_files(as_admin, customer_id, [pdf_file(data=samples.pdf(b"s3"))]).status_code == 303
    [document] = documents(app)
    assert app.s3.keys(app.bucket) == [f"documents/{document.storage_key}"]
    response = as_admin.get(f"/customers/{customer_id}/documents/{document.id}/download")
    assert response.status_code == 302 and response.location.startswith(app.s3.url)
    assert "no-store" in response.headers["Cache-Control"]
    query = parse_qs(urlparse(response.location).query)
    assert query["X-Amz-Expires"] == ["60"]
    with urllib.request.urlopen(response.location) as fetched:
        assert fetched.read() == samples.pdf(b"s3")
        assert fetched.headers["Content-Disposition"] == (
            "attachment; filename=\"Offert Ahlens.pdf\"; filename*=UTF-8''Offert%20%C3%85hl%C3%A9ns.pdf"
        )
    preview = as_admin.get(f"/customers/{customer_id}/documents/{document.id}/preview")
    assert "response-content-disposition=inline" in preview.location


def test_s3_downloads_stream_through_the_app_when_configured(s3_app):
    app = s3_app
    as_admin = admin_client(app)
    app.config["S3_PROXY_DOWNLOADS"] = True
    app.config["MAX_CONTENT_LENGTH"] = 20 * MB
    customer_id = new_customer(app)
    data = samples.big_pdf(6 * MB)
    assert post_files(as_admin, customer_id, [pdf_file("stor.pdf", data)]).status_code == 303
    [document] = documents(app)
    response = as_admin.get(f"/customers/{customer_id}/documents/{document.id}/download")
    assert response.status_code == 200 and response.is_streamed
    assert response.headers["Content-Length"] == str(len(data))
    assert response.headers["Content-Disposition"].startswith('attachment; filename="stor.pdf"')
    assert response.get_data() == data


def test_s3_down_gives_a_clear_error_and_writes_nothing(s3_app):
    app = s3_app
    as_admin = admin_client(app)
    customer_id = new_customer(app)
    post_files(as_admin, customer_id, [pdf_file("finns.pdf")])
    [document] = documents(app)
    app.s3.stop()
    response = post_files(as_admin, customer_id, [pdf_file("ny.pdf")])
    assert response.status_code == 503 and len(errors_in(response)) == 1
    app.config["S3_PROXY_DOWNLOADS"] = True
    response = as_admin.get(f"/customers/{customer_id}/documents/{document.id}/download")
    assert response.status_code == 503 and len(errors_in(response)) == 1
    app.s3.start()
    assert [d.name for d in documents(app)] == ["finns.pdf"]
    assert app.s3.keys(app.bucket) == [f"documents/{document.storage_key}"]
