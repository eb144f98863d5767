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


def test_the_duplicate_keys_of_stored_customers_are_filled_by_the_upgrade(empty_database_url):
    """Customers stored before the duplicate warnings get their keys and flags from the migration,
    equal to what the app computes for a new customer, and keep their addresses."""
    from sqlalchemy import text

    from app.services.duplicates import duplicate_key, identity_key, name_key

    app = make_app(empty_database_url)
    with app.app_context():
        upgrade(revision="b7d1e5a0c311")
        stored = [(1, "K1", "Rörläggare Ström AB", "556036-0793", "11122"),
                  (2, "K2", "Rörläggare Ström", "5560360793", None),   # same company, number typed without hyphen
                  (3, "K3", "Anna Berg", "19811218-9876", "41101"),
                  (4, "K4", "Berg, Anna", None, "41101"),
                  (5, "K5", "ANNA BERG", None, "41101"),                 # same name key and postcode as 3
                  (6, "K6", "Ensam Kund", None, "")]
        with db.engine.begin() as connection:
            for cid, number, name, identity, postcode in stored:
                connection.execute(text(
                    "INSERT INTO customer (id, customer_number, name, identity_number, customer_type, active, "
                    "facilities_disabled, facility_required, cost_centre_required, always_invoice) "
                    "VALUES (:i, :n, :m, :p, 'company', true, false, false, false, false)"),
                                   {"i": cid, "n": number, "m": name, "p": identity})
                if postcode is not None:
                    connection.execute(text("INSERT INTO address (customer_id, kind, postcode) "
                                            "VALUES (:i, 'invoice', :p)"), {"i": cid, "p": postcode})
        upgrade()
        with db.engine.connect() as connection:
            got = {r.id: r for r in connection.execute(text(
                "SELECT id, identity_key, name_key, duplicate_key, possible_duplicate FROM customer"))}
            addresses = connection.execute(text("SELECT count(*) FROM address")).scalar()
        db.engine.dispose()
    for cid, _number, name, identity, postcode in stored:
        assert got[cid].identity_key == identity_key(identity)
        assert got[cid].name_key == name_key(name)
        assert got[cid].duplicate_key == duplicate_key(name_key(name), postcode)
    assert {cid for cid, row in got.items() if row.possible_duplicate} == {1, 2, 3, 5}
    # SQLite rebuilds the customer table in batch mode: that must not cascade to its addresses.
    assert addresses == 5


def test_the_tables_that_churn_are_vacuumed_early_on_postgresql(empty_database_url):
    """Bulk updates of customers leave dead rows: autovacuum must start at 2 %, not PostgreSQL's
    20 %, and the customer pages keep room for updates on the same page (README, Operations)."""
    import pytest
    from sqlalchemy import text

    app = make_app(empty_database_url)
    with app.app_context():
        if db.engine.dialect.name != "postgresql":
            db.engine.dispose()
            pytest.skip("storage parameters are PostgreSQL's")
        upgrade()
        with db.engine.connect() as connection:
            options = dict(connection.execute(text(
                "SELECT relname, reloptions FROM pg_class WHERE relname IN ('customer', 'customer_search_text')")).all())
        db.engine.dispose()
    for table in ("customer", "customer_search_text"):
        assert {"fillfactor=90", "autovacuum_vacuum_scale_factor=0.02"} <= set(options[table]), table
