"""A stuck dependency gives a 503 within seconds (issue 17 item 10): a PostgreSQL or S3 server
that accepts connections and never answers is a loopback socket that does exactly that."""

import io
import socket
import threading
import time

import pytest
from sqlalchemy import text
from sqlalchemy.exc import OperationalError

from app.extensions import db
from tests.conftest import PASSWORD, TEST_DATABASE_URL, ctx, init_database, make_app, new_customer


class BlackHole:
    """Accepts TCP connections and never sends a byte (a frozen server)."""

    def __init__(self):
        self.server = socket.socket()
        self.server.bind(("127.0.0.1", 0))
        self.server.listen(50)
        self.port = self.server.getsockname()[1]
        self.held = []
        self.thread = threading.Thread(target=self._accept, daemon=True)
        self.thread.start()

    def _accept(self):
        while True:
            try:
                conn, _ = self.server.accept()
            except OSError:
                return
            self.held.append(conn)

    def close(self):
        self.server.close()
        for conn in self.held:
            conn.close()


@pytest.fixture
def black_hole():
    hole = BlackHole()
    yield hole
    hole.close()


def test_a_frozen_postgresql_gives_503_within_seconds_and_static_files_are_served(black_hole, tmp_path):
    pytest.importorskip("psycopg")
    app = make_app(f"postgresql+psycopg://postgres@127.0.0.1:{black_hole.port}/frozen",
                   DATABASE_CONNECT_TIMEOUT=1)
    client = app.test_client()
    started = time.monotonic()
    response = client.post("/login/", data={"username": "admin", "password": PASSWORD})
    assert response.status_code == 503 and time.monotonic() - started < 5
    assert "Databasen svarar inte" in response.get_data(as_text=True)
    started = time.monotonic()
    assert client.get("/static/kundregister.css").status_code == 200
    assert time.monotonic() - started < 1


@pytest.mark.skipif(not TEST_DATABASE_URL, reason="needs PostgreSQL (TEST_DATABASE_URL)")
def test_a_statement_that_runs_too_long_is_cancelled():
    from tests.conftest import POSTGRES

    name = POSTGRES.test_database()
    POSTGRES.create(name)
    app = make_app(POSTGRES.database_url(name), DATABASE_STATEMENT_TIMEOUT=0.5)
    try:
        with app.app_context():
            started = time.monotonic()
            with pytest.raises(OperationalError):
                db.session.execute(text("SELECT pg_sleep(5)"))
            assert time.monotonic() - started < 3
            db.session.rollback()
            db.engine.dispose()
    finally:
        POSTGRES.drop(name)


def test_a_frozen_s3_gives_503_within_seconds(database_url, tmp_path, black_hole):
    pytest.importorskip("boto3")
    app = make_app(database_url, UPLOAD_FOLDER=str(tmp_path / "uploads"), STORAGE_BACKEND="s3",
                   S3_BUCKET="frozen", S3_ENDPOINT_URL=f"http://127.0.0.1:{black_hole.port}", S3_REGION="eu-north-1",
                   AWS_ACCESS_KEY_ID="test", AWS_SECRET_ACCESS_KEY="test", S3_CONNECT_TIMEOUT=1,
                   S3_READ_TIMEOUT=1, S3_MAX_ATTEMPTS=2)
    app.user_ids = init_database(app)
    customer_id = new_customer(app, name="Frusen AB")
    client = app.test_client()
    client.post("/login/", data={"username": "admin", "password": PASSWORD})
    started = time.monotonic()
    response = client.post(f"/customers/{customer_id}/documents/upload", content_type="multipart/form-data",
                           data={"folder_id": "", "files": [(io.BytesIO(b"%PDF-1.4 hej"), "a.pdf", "application/pdf")]})
    # each call to the store (the upload, then removing what may have been stored) gives up after
    # 2 attempts of 1 s: well under 20 s (it was 244 s before the timeouts were set)
    assert response.status_code == 503 and time.monotonic() - started < 20
    with ctx(app):
        db.engine.dispose()


