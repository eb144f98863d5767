"""Fixtures: a new app per test (FAB-NOTES §0 #2), an app context only around set-up
and assertions, never around requests (§11.2). Every database test runs on SQLite and,
when TEST_DATABASE_URL is set, on PostgreSQL too."""

import contextlib
import os
import tempfile

import pytest
from sqlalchemy import create_engine, text

from app import create_app
from app.extensions import db

PASSWORD = "Test-lösen-123"
TEST_DATABASE_URL = os.environ.get("TEST_DATABASE_URL")
DATABASES = ["sqlite"] + (["postgresql"] if TEST_DATABASE_URL else [])

USERS = {
    "admin": "Admin",
    "manager": "Manager",
    "tech": "Technician",
    "tech2": "Technician",
    "reader": "ReadOnly",
}


def reset_postgresql(url: str) -> None:
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()


@pytest.fixture(params=DATABASES)
def database_url(request, tmp_path):
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'test.db'}"
    reset_postgresql(TEST_DATABASE_URL)
    return TEST_DATABASE_URL


def make_app(database_url, **overrides):
    config = {
        "SQLALCHEMY_DATABASE_URI": database_url,
        "TESTING": True,
        "WTF_CSRF_ENABLED": False,
        "SECRET_KEY": "test-secret-key-that-is-long-enough-for-jwt",
        "FAB_PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000",
        "RATELIMIT_ENABLED": False,
        "SERVER_NAME": None,
        "UPLOAD_FOLDER": tempfile.mkdtemp(prefix="kundregister-uploads-"),
        # Background tasks run in the test's process; tests/background runs real workers.
        "CELERY_TASK_ALWAYS_EAGER": True,
    }
    config.update(overrides)
    return create_app(config)


def init_database(app) -> dict:
    """Schema, rights, roles and one user per built-in role; returns user ids by name."""
    from flask_appbuilder.security.manager import BaseSecurityManager

    from app.security.roles import sync_roles

    with app.app_context():
        db.create_all()
        sm = app.appbuilder.sm
        BaseSecurityManager.create_db(sm)
        app.appbuilder.add_permissions(update_perms=True)
        sync_roles(sm)
        ids = {}
        for name, role in USERS.items():
            user = sm.add_user(name, name.capitalize(), "Testsson", f"{name}@exempel.se", [sm.find_role(role)],
                               password=PASSWORD)
            ids[name] = user.id
        db.session.remove()
    return ids


@pytest.fixture
def app(database_url):
    app = make_app(database_url)
    app.user_ids = init_database(app)
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def client(app):
    return app.test_client()


@contextlib.contextmanager
def ctx(app):
    """A short-lived app context for set-up and database assertions."""
    with app.app_context():
        yield
        db.session.remove()


class Auth:
    def __init__(self, client):
        self.client = client

    def login(self, username: str, password: str = PASSWORD):
        response = self.client.post("/login/", data={"username": username, "password": password})
        assert response.status_code == 302 and "/login" not in response.location, "login failed"
        return response

    def logout(self):
        return self.client.post("/logout/")


@pytest.fixture
def auth(client):
    return Auth(client)


@pytest.fixture
def as_admin(client, auth):
    auth.login("admin")
    return client


def set_settings(app, **values):
    from app.services.settings import save_settings

    with ctx(app):
        save_settings(values)


def new_customer(app, **raw):
    """Create a customer through the service; returns its id."""
    from app.services.customers import create_customer

    raw.setdefault("name", "Testbolaget AB")
    with ctx(app):
        return create_customer(raw).id


class SmtpInbox:
    """A real SMTP server on loopback (aiosmtpd) that keeps what it receives."""

    def __init__(self):
        self.messages = []
        self.controller = None

    def start(self):
        from aiosmtpd.controller import Controller

        self.controller = Controller(self, hostname="127.0.0.1", port=self.port)
        self.controller.start()

    def stop(self):
        if self.controller is not None:
            self.controller.stop()
            self.controller = None

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's hook name
        from email import message_from_bytes
        from email.policy import default

        self.messages.append(message_from_bytes(envelope.content, policy=default))
        return "250 Message accepted for delivery"


@pytest.fixture
def smtp_server():
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    inbox = SmtpInbox()
    inbox.port = port
    inbox.start()
    yield inbox
    inbox.stop()


def mail_config(smtp_server) -> dict:
    return {"MAIL_SERVER": "127.0.0.1", "MAIL_PORT": smtp_server.port, "MAIL_FROM": "kundregister@exempel.se"}
