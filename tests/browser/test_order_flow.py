import datetime
from decimal import Decimal

import pytest
from playwright.sync_api import expect

from app.extensions import db
from app.models import Article, CustomerArticle
from tests.conftest import PASSWORD, ctx, new_customer, set_settings

pytestmark = pytest.mark.browser


def test_a_work_order_from_the_card_with_the_customers_articles_hours_and_status(live_app, page):
    set_settings(live_app, show_work_order_articles=True)
    customer_id = new_customer(live_app, name="Värmeservice i Umeå AB")
    with ctx(live_app):
        time = Article(article_number="1001", name="Arbetstid tekniker", article_group="Arbete", unit="tim",
                       price=Decimal("695"), vat_rate=Decimal("25"), is_time_article=True)
        db.session.add(time)
        db.session.flush()
        db.session.add(CustomerArticle(customer_id=customer_id, article_id=time.id, kind="work_order",
                                       quantity=Decimal("0")))
        db.session.commit()
    base = live_app.base_url
    page.goto(f"{base}/login/")
    page.fill("#username", "admin")
    page.fill("#password", PASSWORD)
    page.click("input[type=submit], button[type=submit]")

    page.goto(f"{base}/customers/{customer_id}")
    page.click("#add-work_order")
    expect(page.locator("#customer_id")).to_have_value(str(customer_id))
    expect(page.locator("#load_articles")).to_be_checked()  # yes, load the customer's articles
    page.click("#save-order")

    expect(page.locator("h1")).to_contain_text("Arbetsorder 1")
    expect(page.locator("#order-rows .time-row")).to_have_count(1)
    expect(page.locator("#work-date")).to_have_text("")
    page.fill("#order-rows .time-row .row-quantity", "2,5")
    page.click("#order-rows .time-row .row-save")
    expect(page.locator("#work-date")).to_have_text(datetime.date.today().isoformat())
    expect(page.locator("#total-gross")).to_have_text("2171,88")  # 2,5 × 695 = 1 737,50 + 25 %

    page.select_option("#status-form select[name=status]", "ready_for_invoicing")
    page.click("#set-status")
    expect(page.locator("#order-status")).to_have_text("Klar för fakturering")
    page.goto(f"{base}/customers/{customer_id}")
    expect(page.locator("#orders")).to_contain_text("Klar för fakturering")
