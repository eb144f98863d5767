"""Apps with documents on a temporary local folder or on an S3 endpoint (moto over real HTTP)."""

import io

import pytest

from app.commands import documents as document_commands
from app.extensions import db
from app.models import Customer
from tests.conftest import ctx, init_database, make_app
from tests.uploads.s3server import S3Endpoint


def documents_app(database_url, tmp_path, **config):
    app = make_app(database_url, UPLOAD_FOLDER=str(tmp_path / "uploads"), **config)
    app.user_ids = init_database(app)
    return app


def close_app(app):
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def s3():
    endpoint = S3Endpoint()
    yield endpoint
    endpoint.close()


def local_app(database_url, tmp_path):
    app = documents_app(database_url, tmp_path)
    app.backend = "local"
    return app


def s3_backed_app(database_url, tmp_path, s3):
    bucket = s3.new_bucket()
    app = documents_app(database_url, tmp_path, **s3.config(bucket))
    app.backend, app.bucket, app.s3 = "s3", bucket, s3
    return app


@pytest.fixture
def app(database_url, tmp_path):
    """Local storage under tmp_path (the default backend)."""
    app = local_app(database_url, tmp_path)
    yield app
    close_app(app)


@pytest.fixture
def s3_app(database_url, tmp_path, s3):
    app = s3_backed_app(database_url, tmp_path, s3)
    yield app
    close_app(app)


@pytest.fixture(params=["local", "s3"])
def any_app(request, database_url, tmp_path):
    """Each test once per backend."""
    if request.param == "local":
        app = local_app(database_url, tmp_path)
    else:
        app = s3_backed_app(database_url, tmp_path, request.getfixturevalue("s3"))
    yield app
    close_app(app)


def upload(app, customer_id, files, folder_id=None, user="admin"):
    """Upload through the service as `user`; `files` are (name, bytes) pairs. Returns document ids."""

    with ctx(app):
        customer = db.session.get(Customer, customer_id)
        user_obj = app.appbuilder.sm.get_user_by_id(app.user_ids[user])
        documents = document_commands.upload_documents(customer, folder_id, [(n, io.BytesIO(b)) for n, b in files], by=user_obj)
        return [d.id for d in documents]
