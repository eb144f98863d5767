import base64

import pytest
from playwright.sync_api import expect

from tests.conftest import PASSWORD, new_customer
from tests.uploads import samples

pytestmark = pytest.mark.browser


def test_upload_a_pdf_into_a_new_folder_and_download_it_back_byte_identical(live_app, page, tmp_path):
    live_app.config["UPLOAD_FOLDER"] = str(tmp_path / "uploads")  # before the first use of the store
    customer_id = new_customer(live_app, name="Åhléns AB")
    pdf = samples.big_pdf(300_000, seed=5)
    base = live_app.base_url

    page.goto(f"{base}/login/")
    page.fill("#username", "admin")
    page.fill("#password", PASSWORD)
    page.click("input[type=submit], button[type=submit]")
    page.goto(f"{base}/customers/{customer_id}")
    page.click("#documents-link")

    page.fill("#new-folder-name", "Avtal 2024")
    page.click("#create-folder")
    expect(page.locator("#folder-path li.active")).to_have_text("Avtal 2024")

    page.set_input_files("#files", files=[{"name": "Offert Åhléns.pdf", "mimeType": "application/pdf", "buffer": pdf}])
    page.click("#upload-button")
    expect(page.locator("#document-list")).to_contain_text("Offert Åhléns.pdf")
    expect(page.locator("#folder-path li.active")).to_have_text("Avtal 2024")

    with page.expect_download() as info:
        page.click("#document-list .download-link")
    download = info.value
    assert download.suggested_filename == "Offert Åhléns.pdf"
    assert (tmp_path / "uploads").is_dir()
    assert open(download.path(), "rb").read() == pdf

    # Drag and drop onto the upload area sends the dropped file at once.
    png = base64.b64encode(samples.png()).decode()
    page.evaluate(
        """(png) => {
            const bytes = Uint8Array.from(atob(png), c => c.charCodeAt(0));
            const transfer = new DataTransfer();
            transfer.items.add(new File([bytes], "skiss.png", {type: "image/png"}));
            document.getElementById("drop-zone").dispatchEvent(
                new DragEvent("drop", {dataTransfer: transfer, bubbles: true, cancelable: true}));
        }""",
        png,
    )
    expect(page.locator("#document-list")).to_contain_text("skiss.png")
    expect(page.locator("#document-list tbody tr")).to_have_count(2)
