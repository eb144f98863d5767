"""The Swagger UI of the REST API renders under the app's Content-Security-Policy (no violations)."""

import pytest
from playwright.sync_api import expect

from tests.conftest import PASSWORD, new_customer

pytestmark = pytest.mark.browser


def test_swagger_ui_lists_the_resources_without_csp_violations(live_app, page):
    new_customer(live_app, name="Swagger AB")
    base = live_app.base_url
    violations = []
    page.on("console", lambda message: violations.append(message.text)
            if "Content Security Policy" in message.text or "Refused to" in message.text else None)
    page.goto(f"{base}/login/")
    page.fill("#username", "reader")
    page.fill("#password", PASSWORD)
    page.click("input[type=submit], button[type=submit]")
    page.goto(f"{base}/swagger/v1")
    expect(page.locator("#swagger-ui .opblock-tag").first).to_be_visible()
    expect(page.locator("#swagger-ui")).to_contain_text("/api/v1/customer/")
    expect(page.locator("#swagger-ui")).to_contain_text("Customers")
    assert violations == []
