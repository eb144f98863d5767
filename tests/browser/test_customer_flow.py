import re

import pytest
from playwright.sync_api import expect

from tests.conftest import PASSWORD

pytestmark = pytest.mark.browser


def test_create_a_private_customer_fix_the_personnummer_add_a_contact_and_find_it(live_app, page):
    base = live_app.base_url
    page.goto(f"{base}/login/")
    page.fill("#username", "admin")
    page.fill("#password", PASSWORD)
    page.click("input[type=submit], button[type=submit]")
    expect(page.locator("h1")).to_have_text("Kunder")

    page.click("#add-customer")
    expect(page.locator("label[for=identity_number]")).to_have_text("Organisationsnummer")
    page.check("input[name=customer_type][value=private]")
    expect(page.locator("label[for=identity_number]")).to_have_text("Personnummer")
    page.fill("#name", "Åsa Öberg")
    page.fill("#identity_number", "19811228-9873")
    page.click("#save-customer")
    expect(page.locator(".field-error")).to_have_text("Personnumret har fel kontrollsiffra.")
    expect(page.locator("label[for=identity_number]")).to_have_text("Personnummer")

    page.fill("#identity_number", "19811228-9874")
    page.click("#save-customer")
    expect(page.locator("h1")).to_contain_text("Åsa Öberg")
    expect(page.locator(".identity-number")).to_have_text("19811228-9874")

    page.click("#add-contact")
    page.fill("#name", "Örjan Öberg")
    page.fill("#email", "orjan.oberg@exempel.se")
    page.check("#is_main_contact")
    page.click("#save-subform")
    expect(page.locator("#contacts")).to_contain_text("orjan.oberg@exempel.se")

    page.goto(f"{base}/customers/")
    page.fill("#customer-search", "ORJAN.OBERG@")
    page.press("#customer-search", "Enter")
    expect(page.locator("#customer-list tbody tr")).to_have_count(1)
    expect(page.locator("#customer-list")).to_contain_text("Åsa Öberg")
    assert re.search(r"q=ORJAN\.OBERG", page.url)
