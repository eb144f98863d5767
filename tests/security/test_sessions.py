"""Sessions end (issue 17 item 5): logout, a password change, deactivation and a role change end
every session of the user, copies of the cookie included; the CSRF token is renewed at login."""

import re

import pytest

from app.extensions import db
from tests.conftest import PASSWORD, ctx, init_database, make_app


def logged_in(app, username="tech"):
    client = app.test_client()
    response = client.post("/login/", data={"username": username, "password": PASSWORD})
    assert response.location == "/"
    return client


def copy_of(app, client):
    """A second client with the first one's session cookie (a copied cookie)."""
    other = app.test_client()
    other.set_cookie("session", client.get_cookie("session").value)
    assert other.get("/customers/").status_code == 200
    return other


def test_logout_ends_every_session_of_the_user(app):
    first = logged_in(app)
    copy = copy_of(app, first)
    elsewhere = logged_in(app)  # the same user on another device
    assert first.post("/logout/").status_code == 302
    assert copy.get("/customers/").status_code == 302
    assert elsewhere.get("/customers/").status_code == 302
    other_user = logged_in(app, "reader")
    assert other_user.get("/customers/").status_code == 200  # only this user's sessions ended


def test_a_password_change_ends_the_sessions(app):
    client = logged_in(app)
    copy = copy_of(app, client)
    new = "Ett-nytt-lösen-2026"
    client.post("/resetmypassword/form", data={"password": new, "conf_password": new})
    assert copy.get("/customers/").status_code == 302
    assert logged_in_with(app, "tech", new)


def logged_in_with(app, username, password):
    return app.test_client().post("/login/", data={"username": username, "password": password}).location == "/"


@pytest.mark.parametrize("change", ["deactivate", "role", "admin_password"])
def test_deactivation_role_change_and_password_reset_end_the_sessions(app, change):
    client = logged_in(app)
    with ctx(app):
        sm = app.appbuilder.sm
        user = sm.find_user(username="tech")
        if change == "deactivate":
            user.active = False
            db.session.commit()
        elif change == "role":
            user.roles = [sm.find_role("ReadOnly")]
            db.session.commit()
        else:
            sm.reset_password(user.id, "Admin-satt-lösen-2026")
    assert client.get("/customers/").status_code == 302


def test_an_unchanged_user_keeps_the_session(app):
    client = logged_in(app)
    with ctx(app):
        user = app.appbuilder.sm.find_user(username="tech")
        user.first_name = "Nytt namn"
        db.session.commit()
    assert client.get("/customers/").status_code == 200


@pytest.fixture
def csrf_app(database_url):
    app = make_app(database_url, WTF_CSRF_ENABLED=True)
    app.user_ids = init_database(app)
    yield app
    with app.app_context():
        db.engine.dispose()


def test_the_csrf_token_is_renewed_at_login(csrf_app):
    client = csrf_app.test_client()
    page = client.get("/login/").get_data(as_text=True)
    before = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
    client.post("/login/", data={"username": "admin", "password": PASSWORD, "csrf_token": before})
    assert client.get("/customers/").status_code == 200
    # a token known before login (e.g. planted by an attacker) no longer works
    assert client.post("/logout/", data={"csrf_token": before}).status_code == 400
    assert client.get("/customers/").status_code == 200
