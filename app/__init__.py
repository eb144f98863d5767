"""Kundregister: the customer register back office."""

from pathlib import Path

from flask import Flask
from flask_appbuilder import AppBuilder

from .extensions import csrf, db, migrate

MIGRATIONS_DIR = str(Path(__file__).resolve().parent.parent / "migrations")


def _escape_lazy_strings() -> None:
    """Flask-Babel's LazyString claims to be safe HTML (`__html__` returns the raw text), so
    `_l("Customer %(name)s was created.", name=…)` would put a customer's name into the page
    unescaped, in templates and in flashed messages alike. Our msgids hold no markup:
    escape the text instead."""
    from flask_babel.speaklater import LazyString
    from markupsafe import escape

    LazyString.__html__ = lambda self: escape(str(self))


_escape_lazy_strings()


def _database_timeouts(app: Flask) -> None:
    """A stuck PostgreSQL must not hang every request: connecting gives up after
    DATABASE_CONNECT_TIMEOUT seconds, a statement after DATABASE_STATEMENT_TIMEOUT, waiting for a
    pooled connection after DATABASE_POOL_TIMEOUT; the request then gets a 503 (app/web.py)."""
    uri = str(app.config.get("SQLALCHEMY_DATABASE_URI") or "")
    if not uri.startswith("postgresql"):
        return
    options = dict(app.config.get("SQLALCHEMY_ENGINE_OPTIONS") or {})
    connect_args = dict(options.get("connect_args") or {})
    connect_args.setdefault("connect_timeout", max(1, int(app.config["DATABASE_CONNECT_TIMEOUT"])))
    statement_ms = int(float(app.config["DATABASE_STATEMENT_TIMEOUT"]) * 1000)
    connect_args.setdefault("options", f"-c statement_timeout={statement_ms} -c lock_timeout={statement_ms}")
    # a peer that vanished is noticed by TCP keepalives within about 15 s
    connect_args.setdefault("keepalives", 1)
    connect_args.setdefault("keepalives_idle", 5)
    connect_args.setdefault("keepalives_interval", 2)
    connect_args.setdefault("keepalives_count", 3)
    options["connect_args"] = connect_args
    options.setdefault("pool_timeout", float(app.config["DATABASE_POOL_TIMEOUT"]))
    app.config["SQLALCHEMY_ENGINE_OPTIONS"] = options


def create_app(config=None) -> Flask:
    """Build an independent app. `config` is None, a dict of overrides, or a config object."""
    app = Flask(__name__)
    app.config.from_object("config.Config")
    if isinstance(config, dict):
        app.config.update(config)
    elif config is not None:
        app.config.from_object(config)

    _database_timeouts(app)
    db.init_app(app)
    migrate.init_app(app, db, directory=MIGRATIONS_DIR)
    csrf.init_app(app)  # before AppBuilder, so FAB can exempt its API blueprints

    from .database import install_engine_hooks
    from .services import accounting_outbox
    from .services.documents import install_document_hooks
    from .services.duplicates import install_key_events
    from .services.history import install_history_hook
    from .services.search_text import install_search_text_hook

    install_history_hook()
    install_document_hooks()
    install_search_text_hook()
    install_key_events()
    accounting_outbox.install_accounting_hook()  # after history: one customer change, one outbox row
    accounting_outbox.register()

    with app.app_context():
        install_engine_hooks(db.engine)
        from .security.manager import AppSecurityManager
        from .views.home import HomeView

        appbuilder = AppBuilder(
            security_manager_class=AppSecurityManager,
            base_template="kundregister_base.html",
            indexview=HomeView,
        )
        appbuilder.init_app(app, db.session)
        from . import models  # noqa: F401  registers every table on Model.metadata
        from .views import register_views

        register_views(appbuilder)
        from .api import register_apis

        register_apis(appbuilder)

    from .cli import register_cli
    from .web import register_web_hooks

    register_web_hooks(app)
    register_cli(app)
    _warn_about_process_local_limits(app)
    return app


def _warn_about_process_local_limits(app: Flask) -> None:
    """With `memory://` every process counts login attempts for itself (README, "Login limits")."""
    storage = str(app.config.get("RATELIMIT_STORAGE_URI") or "memory://")
    if storage.startswith("memory://") and app.config.get("RATELIMIT_ENABLED") and not app.debug:
        app.logger.warning(
            "RATELIMIT_STORAGE_URI is memory://: login limits are counted per process, so with N "
            "workers an account gets N times the limit. Set it to redis://… in production."
        )
