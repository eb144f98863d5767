"""Invitation links (issue 17 item 13): a forged `Host` header never reaches an e-mail."""

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import CustomerUser, OutboxMessage
from tests.conftest import PASSWORD, ctx, init_database, make_app, new_customer

INVITE = {"email": "kund@exempel.se", "first_name": "K", "last_name": "U"}


@pytest.fixture
def make(database_url):
    apps = []

    def factory(**config):
        app = make_app(database_url, **config)
        app.user_ids = init_database(app)
        apps.append(app)
        return app

    yield factory
    for app in apps:
        with app.app_context():
            db.engine.dispose()


def invite(app, host):
    customer_id = new_customer(app, name="Kund AB")
    client = app.test_client()
    client.post("/login/", data={"username": "admin", "password": PASSWORD}, base_url=f"http://{host}")
    return client.post(f"/customers/{customer_id}/users", data=INVITE, base_url=f"http://{host}",
                       follow_redirects=True)


def mailed(app) -> list[str]:
    with ctx(app):
        return [m.body for m in db.session.execute(select(OutboxMessage)).scalars()]


def test_without_public_url_a_forged_host_is_refused_and_nothing_is_sent(make):
    app = make(PUBLIC_URL="")
    response = invite(app, "angripare.example")
    assert "PUBLIC_URL" in response.get_data(as_text=True)
    assert mailed(app) == []
    with ctx(app):
        assert db.session.execute(select(CustomerUser)).first() is None


def test_public_url_wins_over_the_host_header(make):
    app = make(PUBLIC_URL="https://kund.example.se")
    invite(app, "angripare.example")
    [body] = mailed(app)
    assert "https://kund.example.se/invite/" in body and "angripare" not in body


def test_trusted_hosts_let_the_request_host_be_used(make):
    app = make(PUBLIC_URL="", TRUSTED_HOSTS=["kund.example.se"])
    assert invite(app, "angripare.example").status_code == 400
    assert mailed(app) == []
    invite(app, "kund.example.se")
    [body] = mailed(app)
    assert "http://kund.example.se/invite/" in body
