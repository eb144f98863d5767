"""The schema comes only from migrations: an upgrade of an empty database gives
exactly the models' schema, on SQLite and on PostgreSQL."""

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import upgrade
from sqlalchemy import inspect

from app.database import include_object
from app.extensions import db
from tests.conftest import make_app


def test_upgrade_of_an_empty_database_matches_the_models(empty_database_url):
    app = make_app(empty_database_url)
    with app.app_context():
        upgrade()
        with db.engine.connect() as connection:
            # include_object: the pg_trgm indexes are declared for PostgreSQL only (ddl_if), so
            # SQLite must not count them as missing; env.py uses the same hook for autogenerate.
            context = MigrationContext.configure(connection, opts={
                "compare_type": True, "include_object": include_object(connection.dialect.name)})
            differences = compare_metadata(context, db.metadata)
        tables = set(inspect(db.engine).get_table_names())
        db.engine.dispose()
    assert differences == []
    assert {"ab_user", "ab_role", "customer", "contact", "address", "custom_field_value"} <= tables


def test_init_security_is_idempotent_and_creates_the_built_in_roles(empty_database_url):
    app = make_app(empty_database_url)
    runner = app.test_cli_runner()
    with app.app_context():
        upgrade()
    for _ in range(2):
        result = runner.invoke(args=["init-security"])
        assert result.exit_code == 0, result.output
        # Our hint, not FAB's "No user yet created, use flask fab command" (make run creates the admin).
        assert result.output.splitlines() == [
            "Rights and roles are up to date.",
            "No users yet: `make run` creates the administrator login, or run `flask fab create-admin` (production)."]
    with app.app_context():
        sm = app.appbuilder.sm
        roles = {r.name: r for r in sm.get_all_roles()}
        assert {"Admin", "Manager", "Technician", "CustomerUser", "ReadOnly"} <= set(roles)
        technician = {(p.permission.name, p.view_menu.name) for p in roles["Technician"].permissions}
        assert ("can_view_assigned", "Customer") in technician and ("can_view", "Customer") not in technician
        db.engine.dispose()


def test_the_configured_security_manager_is_ours(tmp_path):
    from app.security.manager import AppSecurityManager

    app = make_app(f"sqlite:///{tmp_path / 'never-opened.db'}")  # building the app opens no database
    assert type(app.appbuilder.sm) is AppSecurityManager
