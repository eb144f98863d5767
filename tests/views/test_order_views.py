"""Orders through the web (issue 12): the card's lists, the form's rules, rows, status."""

import datetime
import re
from decimal import Decimal

from sqlalchemy import func, select

from app.commands import assign_technician, set_active
from app.commands import orders as commands
from app.extensions import db
from app.models import Article, Customer, CustomerArticle, Facility, Notification, Order
from app.security.access import SYSTEM
from tests.conftest import ctx, new_customer, set_settings


def orders(app):
    with ctx(app):
        return [(o.kind, o.number, o.customer_id) for o in db.session.execute(select(Order).order_by(Order.id)).scalars()]


def text_of(response) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.get_data(as_text=True)))


def test_a_work_order_from_the_card_with_the_customers_articles_and_hours(app, as_admin):
    set_settings(app, show_work_order_articles=True)
    customer_id = new_customer(app, name="Värme AB")
    with ctx(app):
        time = Article(article_number="1001", name="Arbetstid", article_group="Arbete", unit="tim",
                       price=Decimal("650"), vat_rate=Decimal("25"), is_time_article=True)
        db.session.add(time)
        db.session.flush()
        db.session.add(CustomerArticle(customer_id=customer_id, article_id=time.id, kind="work_order",
                                       quantity=Decimal("1")))
        db.session.commit()
    card = as_admin.get(f"/customers/{customer_id}")
    assert card.status_code == 200
    assert f'href="/orders/add?customer={customer_id}&amp;kind=work_order"' in card.get_data(as_text=True)
    form = as_admin.get(f"/orders/add?customer={customer_id}&kind=work_order")
    assert form.status_code == 200 and 'name="load_articles"' in form.get_data(as_text=True)
    without = new_customer(app, name="Inga artiklar AB")  # F9: nothing to load, nothing asked
    assert 'name="load_articles"' not in as_admin.get(f"/orders/add?customer={without}").get_data(as_text=True)
    saved = as_admin.post("/orders/add", data={"kind": "work_order", "customer_id": str(customer_id),
                                               "load_articles": "y"})
    assert saved.status_code == 302
    with ctx(app):
        order = db.session.execute(select(Order)).scalar_one()
        order_id, row_id = order.id, order.rows[0].id
        assert (order.number, order.rows[0].text, order.rows[0].quantity) == ("1", "Arbetstid", Decimal("0"))
    assert saved.location.endswith(f"/orders/{order_id}")
    as_admin.post(f"/orders/{order_id}/rows/{row_id}/edit", data={"quantity": "2,5", "text": "Arbetstid"})
    as_admin.post(f"/orders/{order_id}/status", data={"status": "ready_for_invoicing"})
    page = text_of(as_admin.get(f"/orders/{order_id}"))
    assert "Arbetsorder 1 Klar för fakturering" in page
    assert f"Arbetsdatum {datetime.date.today().isoformat()}" in page
    # a company without organisation number sees VAT: 2,5 × 650 = 1 625,00 + 25 % = 2 031,25
    assert "Summa exkl. moms 1625,00" in page and "Summa inkl. moms 2031,25" in page
    card = text_of(as_admin.get(f"/customers/{customer_id}"))
    assert "Ordrar Nr Typ Status Arbetsdatum Tilldelad 1 Arbetsorder Klar för fakturering" in card


def test_the_form_refuses_an_inactive_customer_and_f13_rules_keep_what_was_typed(app, as_admin):
    inactive = new_customer(app, name="Vilande AB")
    strict = new_customer(app, name="Noggrann AB")
    with ctx(app):
        set_active([inactive], False, by=SYSTEM)
        db.session.get(Customer, strict).facility_required = True
        db.session.commit()
    form = as_admin.get("/orders/add").get_data(as_text=True)
    assert "Noggrann AB" in form and "Vilande AB" not in form  # the picker offers active customers only
    refused = as_admin.post("/orders/add", data={"kind": "fault_report", "customer_id": str(inactive)})
    assert refused.status_code == 200
    assert "Vilande AB är inaktiv och kan inte väljas för nya order." in refused.get_data(as_text=True)
    refused = as_admin.post(f"/orders/add?customer={strict}", data={
        "kind": "service_order", "customer_id": str(strict), "description": "Byt filter"})
    body = refused.get_data(as_text=True)
    assert "En anläggning är obligatorisk på kundens order: välj en." in body
    assert "Byt filter" in body
    assert orders(app) == []


def test_facilities_on_the_card_and_disabled_facilities(app, as_admin):
    customer_id = new_customer(app, name="Fastighet AB")
    saved = as_admin.post(f"/customers/facilities/add?_flt_0_customer={customer_id}",
                          data={"name": "Pannrum", "postcode": "114 55", "city": "Stockholm"})
    assert saved.status_code == 302 and saved.location.endswith(f"/customers/{customer_id}#facilities")
    with ctx(app):
        [facility] = db.session.execute(select(Facility)).scalars().all()
        assert (facility.name, facility.postcode) == ("Pannrum", "11455")
        facility_id = facility.id
    card = as_admin.get(f"/customers/{customer_id}").get_data(as_text=True)
    link = f"/orders/add?customer={customer_id}&amp;facility={facility_id}&amp;kind=work_order"
    assert link in card  # *Lägg till* from the facility: customer and facility filled in
    form = as_admin.get(link.replace("&amp;", "&")).get_data(as_text=True)
    assert f'<option selected value="{facility_id}">Pannrum</option>' in form
    with ctx(app):
        db.session.get(Customer, customer_id).facilities_disabled = True
        db.session.commit()
    refused = as_admin.post(f"/customers/facilities/add?_flt_0_customer={customer_id}", data={"name": "Källare"},
                            follow_redirects=True)
    assert "Anläggningar är avstängda för Fastighet AB." in refused.get_data(as_text=True)
    with ctx(app):
        assert db.session.execute(select(func.count()).select_from(Facility)).scalar() == 1


def test_the_card_shows_the_first_ten_and_show_all_leads_to_the_filtered_list(app, as_admin):
    customer_id = new_customer(app, name="Många AB")
    other = new_customer(app, name="Annan AB")
    with ctx(app):
        for _ in range(12):
            commands.create_order({"customer_id": customer_id, "kind": "fault_report"}, by=SYSTEM)
        commands.create_order({"customer_id": other, "kind": "fault_report"}, by=SYSTEM)
    card = as_admin.get(f"/customers/{customer_id}").get_data(as_text=True)
    section = card.split('id="fault_reports"')[1].split('id="quotes"')[0]
    assert len(re.findall(r'href="/orders/\d+"', section)) == 10
    link = f"/orders/?customer={customer_id}&amp;kind=fault_report"
    assert link in section
    listing = as_admin.get(link.replace("&amp;", "&")).get_data(as_text=True)
    assert len(re.findall(r'href="/orders/\d+"', listing)) == 12
    assert "Annan AB" not in listing


def test_a_technician_sees_only_its_own_orders_in_the_list(app, client, auth):
    customer_id = new_customer(app, name="Delad AB")
    with ctx(app):
        assign_technician([customer_id], app.user_ids["tech"], by=SYSTEM)
        mine = commands.create_order({"customer_id": customer_id, "kind": "work_order"}, by=SYSTEM).id
        theirs = commands.create_order({"customer_id": customer_id, "kind": "work_order",
                                        "assigned_to_id": app.user_ids["tech2"]}, by=SYSTEM).id
    auth.login("tech")
    listing = client.get("/orders/").get_data(as_text=True)
    assert f'href="/orders/{mine}"' in listing and f'href="/orders/{theirs}"' not in listing
    assert client.get(f"/orders/{theirs}").status_code == 404
    assert client.post(f"/orders/{theirs}/status", data={"status": "cancelled"}).status_code == 404
    with ctx(app):
        assert db.session.get(Order, theirs).status == "new"
        # auto-assigned once by the customer's technician, once explicitly
        assert db.session.execute(select(func.count()).select_from(Notification).where(
            Notification.kind == "order_assigned")).scalar() == 2


def test_f25_settings_take_effect_on_the_order_form_and_list(app, as_admin):
    set_settings(app, require_customer_order_number=True, show_cost_centre=True, facility_name_in_lists=True)
    customer_id = new_customer(app, name="Regler AB")
    with ctx(app):
        db.session.get(Customer, customer_id).cost_centre_required = True
        db.session.commit()
    refused = as_admin.post("/orders/add", data={"kind": "work_order", "customer_id": str(customer_id)})
    body = refused.get_data(as_text=True)
    assert "Kundens ordernummer krävs på order: fyll i det." in body
    assert "Ett kostnadsställe är obligatoriskt på kundens order: fyll i det." in body
    assert orders(app) == []
    with ctx(app):
        facility_id = commands.save_facility(db.session.get(Customer, customer_id), {"name": "Undercentral"},
                                             by=SYSTEM).id
    saved = as_admin.post("/orders/add", data={"kind": "work_order", "customer_id": str(customer_id),
                                               "facility_id": str(facility_id), "customer_order_number": "PO-5",
                                               "cost_centre": "KS-9"})
    assert saved.status_code == 302
    listing = text_of(as_admin.get(f"/orders/?customer={customer_id}"))
    assert "1 Arbetsorder Undercentral Ny" in listing  # the facility's name instead of the customer's
    assert "PO-5 KS-9" in listing


def test_the_full_list_sorts(app, as_admin):
    first = new_customer(app, name="Örebro Bygg AB")
    second = new_customer(app, name="Alingsås El AB")
    with ctx(app):
        commands.create_order({"customer_id": first, "kind": "quote"}, by=SYSTEM)
        commands.create_order({"customer_id": second, "kind": "quote"}, by=SYSTEM)
    newest = text_of(as_admin.get("/orders/"))
    assert newest.index("Alingsås El AB") < newest.index("Örebro Bygg AB")
    oldest = text_of(as_admin.get("/orders/?sort=oldest"))
    assert oldest.index("Örebro Bygg AB") < oldest.index("Alingsås El AB")
    by_customer = text_of(as_admin.get("/orders/?sort=customer"))
    assert by_customer.index("Alingsås El AB") < by_customer.index("Örebro Bygg AB")


def test_create_customer_from_the_order_form_returns_to_it_with_the_customer_chosen(app, as_admin):
    form = as_admin.get("/orders/add?kind=fault_report").get_data(as_text=True)
    assert 'href="/customers/add?for_order=fault_report"' in form
    saved = as_admin.post("/customers/add?for_order=fault_report", data={"name": "Ny Kund AB",
                                                                        "customer_type": "company"})
    assert saved.status_code == 302
    with ctx(app):
        customer_id = db.session.execute(select(Customer.id).where(Customer.name == "Ny Kund AB")).scalar_one()
    assert saved.location.endswith(f"/orders/add?customer={customer_id}&kind=fault_report")
    form = as_admin.get(saved.location).get_data(as_text=True)
    assert f'<option selected value="{customer_id}">' in form


def test_rows_through_the_card_with_discount_and_company_prices_without_vat(app, as_admin):
    customer_id = new_customer(app, name="Rabatt AB", identity_number="556036-0793")
    with ctx(app):
        from app.models import DiscountLetter, DiscountLetterRow

        part = Article(article_number="3001", name="Filter", article_group="Material", unit="st",
                       price=Decimal("199.90"), vat_rate=Decimal("25"))
        letter = DiscountLetter(name="Storkund", rows=[DiscountLetterRow(article_group="Material", percent=12)])
        db.session.add_all([part, letter])
        db.session.get(Customer, customer_id).discount_letters = [letter]
        db.session.commit()
        part_id = part.id
        order_id = commands.create_order({"customer_id": customer_id, "kind": "work_order"}, by=SYSTEM).id
    assert as_admin.post(f"/orders/{order_id}/rows/add", data={"article_id": str(part_id), "quantity": "3"}
                         ).status_code == 302
    refused = as_admin.post(f"/orders/{order_id}/rows/add", data={"quantity": "3"}, follow_redirects=True)
    assert "Skriv en text eller välj en artikel." in refused.get_data(as_text=True)
    page = text_of(as_admin.get(f"/orders/{order_id}"))
    # 199,90 less 12 % = 175,912 → 175,91 a piece; 3 × 175,912 = 527,736 → 527,74; VAT 131,935 → 131,94
    assert "Filter" in page and "175,91" in page
    assert "Summa exkl. moms 527,74 Moms 25 % 131,94 Summa inkl. moms 659,68" in page
    assert "Priser exklusive moms" in page


def test_an_inactive_customers_card_offers_no_new_orders_but_lists_the_old_ones(app, as_admin):
    customer_id = new_customer(app, name="Vilande AB")
    with ctx(app):
        order_id = commands.create_order({"customer_id": customer_id, "kind": "quote"}, by=SYSTEM).id
        set_active([customer_id], False, by=SYSTEM)
    card = as_admin.get(f"/customers/{customer_id}").get_data(as_text=True)
    assert f'href="/orders/{order_id}"' in card
    assert "/orders/add?" not in card
    listing = as_admin.get("/orders/?q=Vilande").get_data(as_text=True)  # still found by the customer's name
    assert f'href="/orders/{order_id}"' in listing


def test_the_order_list_finds_orders_as_the_register_finds_customers(app, as_admin):
    """By the customer's name, its contact's name or phone, the order number or the customer's
    own order number; and not the other customers' orders."""
    from app.commands.contacts import save_contact

    wanted = new_customer(app, name="Fjällvärme AB")
    other = new_customer(app, name="Annat Bolag AB")
    with ctx(app):
        save_contact(db.session.get(Customer, wanted), {"name": "Greta Lindqvist", "phone": "070-555 12 34"},
                     by=SYSTEM)
        mine = commands.create_order({"customer_id": wanted, "kind": "service_order",
                                      "customer_order_number": "PO-7781"}, by=SYSTEM)
        theirs = commands.create_order({"customer_id": other, "kind": "work_order"}, by=SYSTEM)
        mine_id, mine_number, theirs_id = mine.id, mine.number, theirs.id

    def found(term):
        page = as_admin.get(f"/orders/?q={term}").get_data(as_text=True)
        return {i for i in (mine_id, theirs_id) if f'href="/orders/{i}"' in page}

    assert found("Fjällvärme") == {mine_id}
    assert found("Lindqvist") == {mine_id}          # the customer's contact person
    assert found("070-555 12 34") == {mine_id}      # the contact's phone
    assert found("PO-7781") == {mine_id}            # the customer's own order number (F25)
    assert mine_number == "1" and found("1") == {mine_id, theirs_id}  # number 1 of each kind's series
    assert found("Ingen sådan kund") == set()


def test_editing_an_order_through_the_form_and_an_edit_conflict(app, as_admin):
    customer_id = new_customer(app, name="Ändra AB")
    with ctx(app):
        order = commands.create_order({"customer_id": customer_id, "kind": "work_order"}, by=SYSTEM)
        order_id, version = order.id, order.version
    form = as_admin.get(f"/orders/{order_id}/edit").get_data(as_text=True)
    assert f'name="version" type="hidden" value="{version}"' in form
    saved = as_admin.post(f"/orders/{order_id}/edit", data={
        "version": str(version), "status": "started", "assigned_to_id": str(app.user_ids["tech"]),
        "work_date": "2026-12-03", "description": "Byt pump"})
    assert saved.status_code == 302
    with ctx(app):
        order = db.session.get(Order, order_id)
        assert (order.status, order.assigned_to_id, order.work_date, order.description) == (
            "started", app.user_ids["tech"], datetime.date(2026, 12, 3), "Byt pump")
    stale = as_admin.post(f"/orders/{order_id}/edit", data={"version": str(version), "status": "cancelled"})
    assert stale.status_code == 200
    assert "Någon annan har sparat ordern efter att du öppnade den. Inget sparades" in stale.get_data(as_text=True)
    with ctx(app):
        assert db.session.get(Order, order_id).status == "started"
    history = text_of(as_admin.get(f"/customers/{customer_id}/history"))
    assert "Order – Ändrad Status Ny Påbörjad" in history
    assert "Order – Ändrad Tilldelad tekniker Tech Testsson" in history


def test_deleting_a_customer_takes_its_orders_along(app, as_admin):
    customer_id = new_customer(app, name="Bort AB")
    with ctx(app):
        commands.create_order({"customer_id": customer_id, "kind": "quote"}, by=SYSTEM)
    assert as_admin.post(f"/customers/{customer_id}/delete").status_code == 302
    assert orders(app) == []


def test_the_card_lists_only_the_orders_the_technician_may_see(app, client, auth):
    customer_id = new_customer(app, name="Gemensam AB")
    with ctx(app):
        assign_technician([customer_id], app.user_ids["tech"], by=SYSTEM)
        mine = commands.create_order({"customer_id": customer_id, "kind": "fault_report"}, by=SYSTEM).id
        theirs = commands.create_order({"customer_id": customer_id, "kind": "fault_report",
                                        "assigned_to_id": app.user_ids["tech2"]}, by=SYSTEM).id
    auth.login("tech")
    card = client.get(f"/customers/{customer_id}").get_data(as_text=True)
    assert f'href="/orders/{mine}"' in card and f'href="/orders/{theirs}"' not in card
    assert f'href="/orders/add?customer={customer_id}&amp;kind=fault_report"' in card  # Technician may create
