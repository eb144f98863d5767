"""Connect the fake Fortnox through the OAuth redirect in the browser, edit a customer, see it arrive."""

import re
import threading

import pytest
from playwright.sync_api import expect
from werkzeug.serving import make_server

from tests.conftest import PASSWORD, init_database, make_app, new_customer
from tests.fakes.fortnox import FakeFortnox

pytestmark = pytest.mark.browser


@pytest.fixture
def fortnox():
    server = FakeFortnox().start()
    yield server
    server.stop()


@pytest.fixture
def live_app(tmp_path, fortnox):
    app = make_app(f"sqlite:///{tmp_path / 'browser.db'}", WTF_CSRF_ENABLED=True,
                   FORTNOX_CLIENT_ID="fortnox-client", FORTNOX_CLIENT_SECRET="fortnox-secret",
                   FORTNOX_API_URL=f"{fortnox.url}/3", FORTNOX_AUTH_URL=f"{fortnox.url}/oauth-v1")
    app.user_ids = init_database(app)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    app.base_url = f"http://127.0.0.1:{server.server_port}"
    app.config["PUBLIC_URL"] = app.base_url  # the OAuth redirect comes back here
    yield app
    server.shutdown()
    thread.join(timeout=5)


def test_connect_fortnox_edit_a_customer_and_it_arrives(live_app, page, fortnox):
    base = live_app.base_url
    customer_id = new_customer(live_app, name="Webbkunden AB", customer_number="8001")
    page.goto(f"{base}/login/")
    page.fill("#username", "admin")
    page.fill("#password", PASSWORD)
    page.click("input[type=submit], button[type=submit]")

    page.goto(f"{base}/integrations/")
    page.click("#integration-fortnox form[action$='/connect'] button")  # to Fortnox and back
    expect(page.locator(".alert")).to_contain_text("Fortnox är ansluten.")
    assert fortnox.last_authorize["access_type"] == "offline"
    page.check("#integration-fortnox input[name=sync_customers]")
    page.click("#integration-fortnox form[action$='/options'] button")
    expect(page.locator("#integration-fortnox input[name=sync_customers]")).to_be_checked()

    page.goto(f"{base}/customers/{customer_id}/edit")
    page.fill("#name", "Webbkunden Ändrad AB")
    page.click("#save-customer")
    expect(page.locator("h1")).to_contain_text("Webbkunden Ändrad AB")
    page.goto(f"{base}/integrations/")
    queued = page.locator("#integration-fortnox dt:has-text('Ändringar i kö') + dd")
    last_sync = page.locator("#integration-fortnox dt:has-text('Senaste synkning') + dd")
    expect(queued).to_have_text("1")
    expect(last_sync).to_have_text("–")

    result = live_app.test_cli_runner().invoke(args=["outbox", "deliver", "--once"])
    assert result.exit_code == 0, result.output
    assert fortnox.customers["8001"]["Name"] == "Webbkunden Ändrad AB"
    page.reload()
    expect(queued).to_have_text("0")
    expect(last_sync).to_have_text(re.compile(r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}$"))
