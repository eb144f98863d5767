"""Settings → Integrations through the test client, the OAuth redirect against the fake, and the CLI."""

from urllib.parse import parse_qs, urlparse

import requests
from sqlalchemy import select

from app.extensions import db
from app.integrations.crypto import decrypt
from app.models.integrations import IntegrationConnection
from tests.conftest import ctx
from tests.integrations.conftest import connect


def connection(app):
    with ctx(app):
        return db.session.execute(select(IntegrationConnection)).scalar_one_or_none()


def test_connecting_fortnox_through_the_oauth_redirect_stores_encrypted_tokens(app, as_admin, fake_fortnox):
    answer = as_admin.post("/integrations/fortnox/connect", data={"service_account": "y"})
    assert answer.status_code == 302 and answer.location.startswith(f"{fake_fortnox.url}/oauth-v1/auth")
    query = parse_qs(urlparse(answer.location).query)
    assert query["access_type"] == ["offline"] and query["account_type"] == ["service"]
    consent = requests.get(answer.location, allow_redirects=False, timeout=5)  # the admin consents in Fortnox
    back = urlparse(consent.headers["Location"])
    assert back.path == "/integrations/fortnox/callback"
    done = as_admin.get(f"{back.path}?{back.query}", follow_redirects=True)
    assert "Fortnox är ansluten." in done.get_data(as_text=True)
    row = connection(app)
    refresh_token = next(iter(fake_fortnox.refresh_tokens))
    assert refresh_token not in row.refresh_token_encrypted and refresh_token not in row.access_token_encrypted
    assert decrypt(row.refresh_token_encrypted, app.config["SECRET_KEY"]) == refresh_token
    assert row.account_type == "service" and row.connected_by == "admin"


def test_a_callback_with_the_wrong_state_saves_nothing(app, as_admin, fake_fortnox):
    answer = as_admin.post("/integrations/fortnox/connect", data={})
    consent = requests.get(answer.location, allow_redirects=False, timeout=5)
    back = urlparse(consent.headers["Location"])
    code = parse_qs(back.query)["code"][0]
    page = as_admin.get(f"{back.path}?code={code}&state=forged", follow_redirects=True).get_data(as_text=True)
    assert "ingenting sparades" in page
    assert connection(app) is None
    assert not fake_fortnox.requests_to("POST", "/oauth-v1/token")


def test_only_administrators_reach_the_integrations(client, auth):
    auth.login("manager")
    assert client.get("/integrations/").status_code in (302, 403)
    assert client.post("/integrations/fortnox/connect").status_code in (302, 403)


def test_status_test_options_and_disconnect(app, as_admin, fake_fortnox):
    connect(app, "fortnox")
    page = as_admin.get("/integrations/").get_data(as_text=True)
    assert "Testa anslutningen" in page and "Synkronisera uppdaterade kunder" in page
    ok = as_admin.post("/integrations/fortnox/test", follow_redirects=True).get_data(as_text=True)
    assert "Anslutningen till Fortnox fungerar." in ok
    fake_fortnox.go_down("503")
    failed = as_admin.post("/integrations/fortnox/test", follow_redirects=True).get_data(as_text=True)
    assert "Anslutningstestet misslyckades" in failed and "text-danger" in failed
    fake_fortnox.come_back()
    as_admin.post("/integrations/fortnox/options", data={})
    assert connection(app).settings == {"sync_customers": False}
    as_admin.post("/integrations/fortnox/disconnect")
    row = connection(app)
    assert row.refresh_token_encrypted is None and row.access_token_encrypted is None


def test_cli_connect_and_sync_once(app, fake_fortnox):
    runner = app.test_cli_runner()
    with ctx(app):
        from app.services import integration_connections as connections

        url = connections.authorization_url("fortnox", redirect_uri="urn:cli", state="x")
    code = parse_qs(urlparse(requests.get(url, allow_redirects=False, timeout=5).headers["Location"]).query)["code"][0]
    result = runner.invoke(args=["integrations", "connect", "fortnox", "--code", code, "--redirect-uri", "urn:cli"])
    assert result.exit_code == 0, result.output
    assert connection(app).refresh_token_encrypted
    with ctx(app):
        connections.save_options("fortnox", {"sync_customers": True})
    result = runner.invoke(args=["integrations", "sync", "--once"])
    assert result.exit_code == 0, result.output
    fake_fortnox.go_down("refused")
    result = runner.invoke(args=["integrations", "sync", "--once"])
    assert result.exit_code == 1 and "Fortnox" in result.output
    bad = runner.invoke(args=["integrations", "connect", "fortnox", "--code", "wrong", "--redirect-uri", "urn:cli"])
    assert bad.exit_code != 0
