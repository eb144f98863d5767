"""The test databases themselves: each app gets a fresh copy of a bootstrapped template, and an
app whose configuration changes what the bootstrap writes gets a template of its own."""

from app.extensions import db
from tests.conftest import USERS, ctx, init_database, make_app, new_customer


def roles_and_users(app) -> tuple[set, set]:
    with ctx(app):
        sm = app.appbuilder.sm
        return {r.name for r in sm.get_all_roles()}, {u.username for u in sm.get_all_users()}


def close(app):
    with app.app_context():
        db.engine.dispose()


def test_a_copy_is_fresh_and_a_bootstrap_config_gets_its_own_template(database_url, tmp_path):
    app = make_app(database_url, UPLOAD_FOLDER=str(tmp_path / "a"))
    app.user_ids = init_database(app)
    new_customer(app, name="Bara i första kopian")
    roles, users = roles_and_users(app)
    assert {"Admin", "Manager", "Technician", "CustomerUser", "ReadOnly"} <= roles and "Auditor" not in roles
    assert users == set(USERS)
    close(app)

    # FAB_ROLES is written by the bootstrap (create_db): this app must not get the standard copy
    auditor = make_app(database_url, UPLOAD_FOLDER=str(tmp_path / "b"),
                       FAB_ROLES={"Auditor": [["CustomerView", "can_list"]]})
    auditor.user_ids = init_database(auditor)
    roles, users = roles_and_users(auditor)
    assert "Auditor" in roles and users == set(USERS)
    close(auditor)

    again = make_app(database_url, UPLOAD_FOLDER=str(tmp_path / "c"))
    assert init_database(again) == app.user_ids
    roles, _users = roles_and_users(again)
    assert "Auditor" not in roles
    with ctx(again):
        from app.models import Customer

        assert db.session.query(Customer).count() == 0  # the first copy's customer is not in this one
    close(again)
