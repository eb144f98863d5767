import pytest
from playwright.sync_api import expect

from tests.conftest import PASSWORD

pytestmark = pytest.mark.browser

HEADER = "Kundnummer;Namn;Organisationsnummer;Postnummer;Ort;Kontaktperson;E-post\r\n"
GOOD = "9001;Åkesson Rör AB;556036-0793;114 55;Stockholm;Anna Ek;anna@akesson.se\r\n"
BAD = "9002;Öberg & Söner HB;;999;Göteborg;Per Öberg;per@oberg.se\r\n"
FIXED = "9002;Öberg & Söner HB;;411 04;Göteborg;Per Öberg;per@oberg.se\r\n"


def upload(page, base, content: str, name: str):
    page.goto(f"{base}/customers/")
    page.click("#upload-register")
    page.set_input_files("#file", files=[{"name": name, "mimeType": "text/csv",
                                         "buffer": ("\ufeff" + content).encode("utf-8")}])
    page.click("#upload-file")
    expect(page.locator("#column-mapping")).to_contain_text("Postnummer")
    expect(page.locator("#preview-rows")).to_contain_text("Öberg & Söner HB")


def test_import_a_file_with_one_bad_row_read_the_report_fix_it_and_import(live_app, page):
    base = live_app.base_url
    page.goto(f"{base}/login/")
    page.fill("#username", "admin")
    page.fill("#password", PASSWORD)
    page.click("input[type=submit], button[type=submit]")
    expect(page.locator("h1")).to_have_text("Kunder")

    upload(page, base, HEADER + GOOD + BAD, "kunder.csv")
    page.click("#run-import")  # all or nothing by default
    expect(page.locator("#import-report")).to_be_visible(timeout=30_000)
    errors = page.locator("#import-errors tbody tr")
    expect(errors).to_have_count(1)
    expect(errors.first.locator("td").nth(0)).to_have_text("3")
    expect(errors.first.locator("td").nth(1)).to_have_text("Postnummer")
    expect(errors.first.locator("td").nth(2)).to_have_text("Ett postnummer har fem siffror, t.ex. 123 45.")
    expect(page.locator("#failed-rows")).to_be_visible()

    page.goto(f"{base}/customers/?status=all")
    expect(page.locator("p.alert-info")).to_be_visible()  # nothing was imported

    upload(page, base, HEADER + GOOD + FIXED, "kunder-rättad.csv")
    page.click("#run-import")
    expect(page.locator("#import-summary")).to_be_visible(timeout=30_000)
    expect(page.locator("#import-errors")).to_have_count(0)

    page.goto(f"{base}/customers/")
    expect(page.locator("#customer-list tbody tr")).to_have_count(2)
    expect(page.locator("#customer-list")).to_contain_text("Öberg & Söner HB")
