import pytest
from playwright.sync_api import expect

from app import commands
from app.extensions import db
from app.models import Customer
from app.security.access import SYSTEM
from tests.conftest import PASSWORD, ctx, new_customer

pytestmark = pytest.mark.browser


def log_in(page, base, username, password=PASSWORD):
    page.goto(f"{base}/login/")
    page.fill("#username", username)
    page.fill("#password", password)
    page.click("input[type=submit], button[type=submit]")


def test_a_customer_user_sees_only_its_own_customer(live_app, page):
    own = new_customer(live_app, name="Egna Fastigheter AB", comment="Intern: kunden betalar sent")
    new_customer(live_app, name="Grannens Bygg AB")
    with ctx(live_app):
        _link, token = commands.create_customer_user(db.session.get(Customer, own),
                                                   {"email": "karin@egna.se", "first_name": "Karin", "last_name": "E"}, by=SYSTEM)
    base = live_app.base_url
    page.goto(f"{base}/invite/{token}")
    page.fill("#password", "Sommar-i-Solna-2026")
    page.fill("#confirm", "Sommar-i-Solna-2026")
    page.click("#set-password")
    log_in(page, base, "karin@egna.se", "Sommar-i-Solna-2026")
    expect(page.locator("h1")).to_contain_text("Egna Fastigheter AB")
    body = page.locator("body")
    expect(body).not_to_contain_text("Intern: kunden betalar sent")
    expect(body).not_to_contain_text("Grannens Bygg AB")
    page.goto(f"{base}/customers/")
    expect(page.locator("body")).not_to_contain_text("Grannens Bygg AB")


def test_bulk_assign_a_filtered_list_and_the_technicians_bell_rises(live_app, page):
    for i in range(3):
        new_customer(live_app, name=f"Solna Kund {i}", invoice_city="Solna")
    new_customer(live_app, name="Kista Kund")
    base = live_app.base_url
    log_in(page, base, "manager")
    page.fill("#customer-search", "Solna")
    page.press("#customer-search", "Enter")
    expect(page.locator("#customer-list tbody tr")).to_have_count(3)
    page.check("#all-matching")
    page.click("#bulk-assign")
    expect(page.locator("#action-count")).to_contain_text("3 kunder")
    page.select_option("#technician", str(live_app.user_ids["tech"]))
    page.click("#action-confirm-button")
    expect(page.locator(".alert-success")).to_contain_text("3")
    page.click("#user-menu")
    page.click("#logout")

    log_in(page, base, "tech")
    expect(page.locator("#notification-count")).to_have_text("1")
    expect(page.locator("#customer-list tbody tr")).to_have_count(3)
    page.click("#notification-bell")
    expect(page.locator(".notification-list")).to_contain_text("3")
