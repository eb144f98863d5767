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


def create_app(config=None) -> Flask:
    """Build an independent app. `config` is None, a dict of overrides, or a config object."""
    app = Flask(__name__)
    app.config.from_object("config.Config")
    if isinstance(config, dict):
        app.config.update(config)
    elif config is not None:
        app.config.from_object(config)

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
    return app
