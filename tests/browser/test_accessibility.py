"""WCAG 2.1 AA as the bar (issue 16): axe-core, run in Debian's chromium on the main pages,
finds no serious or critical violation; the page language, a skip link and focus after a
failed submit are checked by hand."""

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import expect

from app.commands import save_contact
from app.extensions import db
from app.models import Customer
from app.security.access import SYSTEM
from tests.conftest import PASSWORD, ctx, new_customer

pytestmark = pytest.mark.browser

WCAG_AA = {"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]}}


def serious(page) -> list[str]:
    results = Axe().run(page, options=WCAG_AA)
    return [f"{v['id']}: {v['help']} ({len(v['nodes'])}×: {[n['html'][:80] for n in v['nodes']]})"
            for v in results.response["violations"] if v["impact"] in ("serious", "critical")]


def login(page, base, user="admin"):
    page.goto(f"{base}/login/")
    page.fill("#username", user)
    page.fill("#password", PASSWORD)
    page.click("input[type=submit], button[type=submit]")


def test_the_main_pages_have_no_serious_accessibility_violations(live_app, page):
    base = live_app.base_url
    customer_id = new_customer(live_app, name="Åtkomlig AB", identity_number="5560360793")
    with ctx(live_app):
        save_contact(db.session.get(Customer, customer_id), {"name": "Eva Ek", "email": "eva@exempel.se"},
                     by=SYSTEM)
    page.goto(f"{base}/login/")
    found = {"/login/": serious(page)}
    login(page, base)
    for path in ("/customers/", f"/customers/{customer_id}", "/customers/add", f"/customers/{customer_id}/edit",
                 f"/customers/{customer_id}/documents", "/customers/import", "/settings/"):
        page.goto(base + path)
        found[path] = serious(page)
    assert found == {path: [] for path in found}


def test_language_skip_link_and_focus_on_the_first_error(live_app, page):
    base = live_app.base_url
    login(page, base)
    expect(page.locator("h1")).to_have_text("Kunder")
    assert page.get_attribute("html", "lang") == "sv"
    page.locator("body").focus()
    page.keyboard.press("Tab")  # the first stop on every page: skip to the content
    expect(page.locator(".skip-link")).to_be_focused()
    expect(page.locator(".skip-link")).to_have_text("Hoppa till innehållet")
    page.goto(f"{base}/customers/add")
    page.fill("#name", "")
    page.click("#save-customer")
    expect(page.locator(".field-error").first).to_be_visible()
    expect(page.locator("#name")).to_be_focused()
    assert page.locator("[id=csrf_token]").count() <= 1  # no repeated ids
    page.goto(f"{base}/lang/en")
    page.goto(f"{base}/customers/")
    assert page.get_attribute("html", "lang") == "en"
