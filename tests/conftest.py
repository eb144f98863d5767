"""Fixtures: a new app per test (FAB-NOTES §0 #2), an app context only around set-up
and assertions, never around requests (§11.2). Every database test runs on SQLite and,
when TEST_DATABASE_URL is set, on PostgreSQL too.

The security bootstrap (schema, rights, roles, the standard users) costs seconds, so it runs
once per test session and database kind, into a template database; every test then gets a
copy of it (a file copy on SQLite, CREATE DATABASE … TEMPLATE on PostgreSQL) and its own app.
A template is kept per *bootstrap fingerprint* (the app's views, menus and role config), so
an app whose configuration changes what the bootstrap writes gets a template of its own."""

import contextlib
import hashlib
import os
import shutil
import sqlite3
import tempfile
import threading
from pathlib import Path

import jinja2
import pytest
from sqlalchemy import create_engine, event, make_url, text
from sqlalchemy.engine import Engine
from werkzeug.routing import Rule

from app import create_app
from app.extensions import db
from app.security.access import SYSTEM

PASSWORD = "Test-lösen-123"
TEST_DATABASE_URL = os.environ.get("TEST_DATABASE_URL")
DATABASES = ["sqlite"] + (["postgresql"] if TEST_DATABASE_URL else [])
# Each pytest-xdist worker has databases of its own: <name>_<worker>, <name>_<worker>_template<n>.
WORKER = os.environ.get("PYTEST_XDIST_WORKER", "main")

USERS = {
    "admin": "Admin",
    "manager": "Manager",
    "tech": "Technician",
    "tech2": "Technician",
    "reader": "ReadOnly",
}


# -- PostgreSQL databases, through the maintenance database `postgres` ---------------------------


class PostgresServer:
    """CREATE/DROP DATABASE for the test databases named after TEST_DATABASE_URL's database."""

    def __init__(self, url: str):
        self.url = make_url(url)
        self.engine = None
        self.spares: dict[str, SpareCopy] = {}  # template -> the next test's copy, made in the background

    def database_url(self, name: str) -> str:
        return self.url.set(database=name).render_as_string(hide_password=False)

    def test_database(self) -> str:
        return f"{self.url.database}_{WORKER}"

    def template_name(self, number: int) -> str:
        return f"{self.url.database}_{WORKER}_template{number}"

    def execute(self, *statements: str) -> None:
        if self.engine is None:
            self.engine = create_engine(self.url.set(database="postgres"), isolation_level="AUTOCOMMIT",
                                        pool_size=2)
        with self.engine.connect() as conn:
            for statement in statements:
                conn.execute(text(statement))

    def drop(self, name: str) -> None:
        # FORCE: a test that did not dispose its engine must not block the next one
        self.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    def create(self, name: str, template: str | None = None) -> None:
        """A new database `name`; a copy of `template` (which must have no open connection) if given.
        Commits do not wait for the disk: a test database never outlives a crash."""
        self.drop(name)
        self.execute(f'CREATE DATABASE "{name}"' + (f' TEMPLATE "{template}"' if template else ""),
                     f'ALTER DATABASE "{name}" SET synchronous_commit = off')

    def copy(self, template: str, name: str) -> None:
        """`name` as a fresh copy of `template`. Copying takes about half a second, so the next
        test's copy is made in the background while this test runs, and taking it is a rename."""
        spare = self.spares.pop(template, None)
        self.drop(name)
        if spare is not None and spare.wait():
            self.execute(f'ALTER DATABASE "{spare.name}" RENAME TO "{name}"')
        else:
            self.create(name, template)
        self.spares[template] = SpareCopy(self, template)

    def drop_spares(self) -> None:
        for spare in self.spares.values():
            spare.wait()
            self.drop(spare.name)
        self.spares.clear()

    def close(self) -> None:
        self.drop_spares()
        if self.engine is not None:
            self.engine.dispose()
            self.engine = None


class SpareCopy:
    def __init__(self, server: PostgresServer, template: str):
        self.name = f"{template}_spare"
        self.error = None
        self.thread = threading.Thread(target=self._create, args=(server, template), daemon=True)
        self.thread.start()

    def _create(self, server, template):
        try:
            server.create(self.name, template)
        except Exception as exc:  # noqa: BLE001 - the copy is then made in the foreground
            self.error = exc

    def wait(self) -> bool:
        self.thread.join()
        return self.error is None


POSTGRES = PostgresServer(TEST_DATABASE_URL) if TEST_DATABASE_URL else None


# -- the bootstrap and its templates ------------------------------------------------------------


def bootstrap_fingerprint(app) -> str:
    """What `bootstrap` writes depends on this: the permissions and menus of the registered views,
    FAB's role configuration and the password hash method. Equal fingerprints, equal databases."""
    appbuilder = app.appbuilder
    views = sorted((v.class_permission_name or "", tuple(sorted(v.base_permissions or ())))
                   for v in appbuilder.baseviews)
    menus = sorted(item.name for category in (appbuilder.menu.get_list() if appbuilder.menu else [])
                   for item in [category, *category.childs] if item.name != "-")
    sm = appbuilder.sm
    config = [app.config.get(key) for key in ("FAB_ROLES_MAPPING", "FAB_PASSWORD_HASH_METHOD")]
    state = repr((views, menus, sm.builtin_roles, sm.auth_role_admin, sm.auth_role_public, config))
    return hashlib.sha256(state.encode()).hexdigest()


def bootstrap(app) -> dict:
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


class Templates:
    """Bootstrapped databases kept for the session, by (database kind, bootstrap fingerprint)."""

    def __init__(self):
        self.folder: Path | None = None  # set by the session fixture below
        self.found: dict[tuple[str, str], tuple[str, dict]] = {}  # -> (file or database name, user ids)

    def fill(self, app) -> dict:
        """Replace the app's database with a copy of the template; returns the user ids."""
        url = make_url(app.config["SQLALCHEMY_DATABASE_URI"])
        kind = url.get_backend_name()
        with app.app_context():
            key = (kind, bootstrap_fingerprint(app))
            db.engine.dispose()  # the copy replaces the database under the engine
        if key not in self.found:
            self.found[key] = self._build(app, url, len(self.found))
        template, ids = self.found[key]
        if kind == "sqlite":
            shutil.copyfile(template, url.database)
        elif kind == "postgresql":
            POSTGRES.copy(template, url.database)
        else:
            raise NotImplementedError(kind)
        return dict(ids)

    def _build(self, app, url, number: int) -> tuple[str, dict]:
        """Bootstrap the app's own (empty) database, then keep a copy of it as the template."""
        if url.get_backend_name() == "postgresql":
            POSTGRES.create(url.database)
            ids = bootstrap(app)
            with app.app_context():
                db.engine.dispose()
            template = POSTGRES.template_name(number)
            POSTGRES.create(template, template=url.database)
            return template, ids
        if self.folder is None:
            raise RuntimeError("the template folder is set by the session fixture `database_templates`")
        Path(url.database).unlink(missing_ok=True)
        ids = bootstrap(app)
        with app.app_context():
            db.engine.dispose()
        template = str(self.folder / f"template{number}.db")
        shutil.copyfile(url.database, template)
        return template, ids

    def close(self) -> None:
        if POSTGRES is not None:
            POSTGRES.drop_spares()  # before their templates: a spare may still be copying one
            for kind_and_print, (template, _ids) in self.found.items():
                if kind_and_print[0] == "postgresql":
                    POSTGRES.drop(template)
            POSTGRES.drop(POSTGRES.test_database())
            POSTGRES.close()
        self.found.clear()


TEMPLATES = Templates()


@pytest.fixture(scope="session", autouse=True)
def database_templates(tmp_path_factory):
    TEMPLATES.folder = tmp_path_factory.mktemp("templates")
    yield TEMPLATES
    TEMPLATES.close()


def init_database(app) -> dict:
    """Give the app a database with schema, rights, roles and one user per built-in role (a copy
    of the session's template); returns user ids by name."""
    return TEMPLATES.fill(app)


@pytest.fixture(params=DATABASES)
def database_url(request, tmp_path):
    """The URL of this test's database, which `init_database(app)` fills from the template. On
    PostgreSQL it does not exist before that: use `empty_database_url` for an empty one."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'test.db'}"
    name = POSTGRES.test_database()
    POSTGRES.drop(name)
    return POSTGRES.database_url(name)


@pytest.fixture
def empty_database_url(database_url):
    """An existing, empty database (migrations start from nothing)."""
    if database_url.startswith("postgresql"):
        POSTGRES.create(make_url(database_url).database)
    return database_url


# -- cheaper apps: what every app compiles alike is compiled once per session -------------------


class SessionBytecodeCache(jinja2.BytecodeCache):
    """Jinja's own hook for keeping compiled templates (keyed by template file, checked against a
    checksum of its source): each test's new app renders the same FAB and app templates."""

    def __init__(self):
        self.code: dict[str, bytes] = {}

    def load_bytecode(self, bucket):
        if bucket.key in self.code:
            bucket.bytecode_from_string(self.code[bucket.key])

    def dump_bytecode(self, bucket):
        self.code[bucket.key] = bucket.bytecode_to_string()


TEMPLATE_BYTECODE = SessionBytecodeCache()


def _share_url_builders() -> None:
    """Werkzeug generates and compiles two URL-builder functions for each of the app's ~700 rules,
    about half of what create_app costs. A builder's code depends only on the rule's parts (the
    rule object comes in as an argument when it is called), so each is built once per session."""
    compile_builder = getattr(Rule, "_compile_builder", None)
    if compile_builder is None or getattr(compile_builder, "shared", False):
        return
    builders = {}

    def shared_builder(self, append_unknown=True):
        defaults = self.defaults or {}
        key = (self.rule, append_unknown, tuple(self._trace), tuple(map(str, defaults)),
               tuple((k, self._converters[k].to_url(v)) for k, v in defaults.items() if k in self._converters))
        if key not in builders:
            builders[key] = compile_builder(self, append_unknown)
        return builders[key]

    shared_builder.shared = True
    Rule._compile_builder = shared_builder


_share_url_builders()


@event.listens_for(Engine, "connect")
def _no_fsync_on_sqlite(dbapi_connection, _record):
    """SQLite test databases do not wait for the disk at each commit (PostgreSQL: `create` above)."""
    if isinstance(dbapi_connection, sqlite3.Connection):
        dbapi_connection.execute("PRAGMA synchronous = OFF")


def make_app(database_url, **overrides):
    config = {
        "SQLALCHEMY_DATABASE_URI": database_url,
        "TESTING": True,
        "WTF_CSRF_ENABLED": False,
        "SECRET_KEY": "test-secret-key-that-is-long-enough-for-jwt",
        "FAB_PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000",
        "RATELIMIT_ENABLED": False,
        "SERVER_NAME": None,
        # links in e-mails need a trusted base (app/services/links.py); the test client's own host
        "PUBLIC_URL": "http://localhost",
        # Background tasks run in the test's process; tests/background runs real workers.
        "CELERY_TASK_ALWAYS_EAGER": True,
    }
    config.update(overrides)
    if "UPLOAD_FOLDER" not in config:  # inside the session's temporary folder, never left in /tmp
        config["UPLOAD_FOLDER"] = tempfile.mkdtemp(prefix="uploads-", dir=TEMPLATES.folder)
    app = create_app(config)
    app.jinja_env.bytecode_cache = TEMPLATE_BYTECODE
    return app


@pytest.fixture
def app(database_url, tmp_path):
    app = make_app(database_url, UPLOAD_FOLDER=str(tmp_path / "uploads"))
    app.user_ids = init_database(app)
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.fixture(scope="session")
def bare_app(tmp_path_factory):
    """An app for pure rules that need config, Babel or an app context but no database: its
    database URL points into a folder that does not exist, so any query fails loudly."""
    missing = tmp_path_factory.getbasetemp() / "no-such-folder" / "none.db"
    return make_app(f"sqlite:///{missing}", UPLOAD_FOLDER=str(tmp_path_factory.mktemp("bare-uploads")))


@pytest.fixture
def bare_context(bare_app):
    """An app context of `bare_app` (Swedish, the default locale) around the test."""
    with bare_app.app_context():
        yield bare_app


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
    from app.commands import create_customer

    raw.setdefault("name", "Testbolaget AB")
    with ctx(app):
        return create_customer(raw, by=SYSTEM).id


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
