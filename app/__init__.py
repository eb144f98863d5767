"""Kundregister: the customer register back office."""

from pathlib import Path

from flask import Flask
from flask_appbuilder import AppBuilder

from .extensions import db, migrate

MIGRATIONS_DIR = str(Path(__file__).resolve().parent.parent / "migrations")


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

    from .database import install_engine_hooks

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

    from .cli import register_cli
    from .web import register_web_hooks

    register_web_hooks(app)
    register_cli(app)
    return app
