"""Fixtures: the fake Fortnox, Visma and Bolagsverket on loopback, and an app pointed at them."""

from urllib.parse import parse_qs, urlparse

import pytest
import requests

from app.extensions import db
from tests.conftest import ctx, init_database, make_app
from tests.fakes.bolagsverket import FakeBolagsverket
from tests.fakes.fortnox import FakeFortnox
from tests.fakes.visma import FakeVisma


@pytest.fixture
def fake_fortnox():
    server = FakeFortnox().start()
    yield server
    server.stop()


@pytest.fixture
def fake_visma():
    server = FakeVisma().start()
    yield server
    server.stop()


@pytest.fixture
def fake_bolagsverket():
    server = FakeBolagsverket().start()
    yield server
    server.stop()


def integration_config(fortnox: FakeFortnox, visma: FakeVisma, bolagsverket: FakeBolagsverket) -> dict:
    return {
        "FORTNOX_CLIENT_ID": "fortnox-client", "FORTNOX_CLIENT_SECRET": "fortnox-secret",
        "FORTNOX_API_URL": f"{fortnox.url}/3", "FORTNOX_AUTH_URL": f"{fortnox.url}/oauth-v1",
        "VISMA_CLIENT_ID": "visma-client", "VISMA_CLIENT_SECRET": "visma-secret",
        "VISMA_API_URL": f"{visma.url}/v2", "VISMA_AUTH_URL": visma.url,
        "COMPANY_LOOKUP_URL": f"{bolagsverket.url}/vardefulla-datamangder/v1",
        "COMPANY_LOOKUP_TOKEN_URL": f"{bolagsverket.url}/oauth2/token",
        "COMPANY_LOOKUP_CLIENT_ID": "bv-client", "COMPANY_LOOKUP_CLIENT_SECRET": "bv-secret",
        "INTEGRATION_RETRY_BACKOFF": 0.1, "INTEGRATION_MAX_ATTEMPTS": 4,
    }


@pytest.fixture
def app(database_url, fake_fortnox, fake_visma, fake_bolagsverket):
    app = make_app(database_url, **integration_config(fake_fortnox, fake_visma, fake_bolagsverket))
    app.user_ids = init_database(app)
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def connect(app, provider: str, redirect_uri: str = "http://kund.example/integrations/callback",
            service_account: bool = False):
    """Run the authorization-code flow against the fake: the fake consents at once."""
    from app.services import integration_connections as connections

    with ctx(app):
        url = connections.authorization_url(provider, redirect_uri=redirect_uri, state="s1",
                                            service_account=service_account)
    answer = requests.get(url, allow_redirects=False, timeout=5)
    assert answer.status_code == 302, answer.text
    code = parse_qs(urlparse(answer.headers["Location"]).query)["code"][0]
    with ctx(app):
        connections.finish_authorization(provider, code=code, redirect_uri=redirect_uri, by="admin",
                                         service_account=service_account)
        connections.save_options(provider, {"sync_customers": True})
