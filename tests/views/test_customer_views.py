import re

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.models import Contact, Customer
from tests.conftest import ctx, new_customer, set_settings


def errors_in(response) -> list[str]:
    return re.findall(r'field-error">(.*?)<', response.get_data(as_text=True))


def section(response, element_id: str) -> str:
    """The HTML of the card panel with this id (up to the next panel)."""
    page = response.get_data(as_text=True)
    start = page.index(f'id="{element_id}"')
    end = page.find('class="panel panel-default"', start + 1)
    return page[start:end if end > 0 else None]


def customer_count(app) -> int:
    with ctx(app):
        return db.session.execute(select(func.count()).select_from(Customer)).scalar()


def test_the_list_is_the_home_page_and_in_swedish(as_admin):
    response = as_admin.get("/", follow_redirects=True)
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "<h1>Kunder</h1>" in page
    assert "Sök på namn, nummer, organisationsnummer, kontaktperson, e-post eller telefon" in page


def test_english_is_selectable(as_admin):
    as_admin.get("/lang/en")
    assert "<h1>Customers</h1>" in as_admin.get("/customers/").get_data(as_text=True)


def test_anonymous_users_are_sent_to_login(client):
    response = client.get("/customers/")
    assert response.status_code == 302 and "/login/" in response.location


def test_create_a_private_customer_with_a_swedish_error_first(app, as_admin):
    response = as_admin.post("/customers/add", data={"name": "Åsa Öberg", "customer_type": "private",
                                                     "identity_number": "19811228-9873"})
    assert response.status_code == 200
    assert errors_in(response) == ["Personnumret har fel kontrollsiffra."]
    assert customer_count(app) == 0
    response = as_admin.post("/customers/add", data={"name": "Åsa Öberg", "customer_type": "private",
                                                     "identity_number": "8112289874", "invoice_postcode": "11455"})
    assert response.status_code == 302
    card = as_admin.get(response.location).get_data(as_text=True)
    assert "19811228-9874" in card and "114 55" in card and "Personnummer" in card


def test_the_edit_form_has_no_customer_number_field(app, as_admin):
    customer_id = new_customer(app, name="A", customer_number="4444")
    page = as_admin.get(f"/customers/{customer_id}/edit").get_data(as_text=True)
    assert 'name="customer_number"' not in page
    version = re.search(r'name="version"[^>]*value="(\d+)"', page).group(1)
    as_admin.post(f"/customers/{customer_id}/edit", data={"name": "B", "customer_number": "5555", "version": version})
    with ctx(app):
        customer = db.session.get(Customer, customer_id)
        assert (customer.name, customer.customer_number) == ("B", "4444")


def test_edit_form_keeps_values_and_reports_errors(app, as_admin):
    customer_id = new_customer(app, name="A", identity_number="556036-0793", invoice_postcode="11455",
                               invoice_city="Stockholm")
    page = as_admin.get(f"/customers/{customer_id}/edit").get_data(as_text=True)
    assert 'value="556036-0793"' in page and 'value="114 55"' in page
    response = as_admin.post(f"/customers/{customer_id}/edit", data={"name": "A", "identity_number": "123"})
    assert errors_in(response) == ["Ett organisationsnummer har formen NNNNNN-NNNN."]
    with ctx(app):
        assert db.session.get(Customer, customer_id).identity_number == "556036-0793"


def test_contacts_and_addresses_from_the_card(app, as_admin):
    customer_id = new_customer(app, name="Kortet AB")
    response = as_admin.post(f"/customers/contacts/add?_flt_0_customer={customer_id}",
                             data={"name": "Anna", "email": "inte-en-adress"})
    assert errors_in(response) == ["Ange en giltig e-postadress, t.ex. namn@example.se."]
    as_admin.post(f"/customers/contacts/add?_flt_0_customer={customer_id}",
                  data={"name": "Anna Ek", "email": "anna@exempel.se", "is_main_contact": "y"})
    as_admin.post(f"/customers/addresses/add?_flt_0_customer={customer_id}&kind=visiting",
                  data={"street": "Besöksgatan 1", "postcode": "41104", "city": "Göteborg"})
    card = as_admin.get(f"/customers/{customer_id}").get_data(as_text=True)
    assert "Anna Ek" in card and "Huvudkontaktperson" in card
    assert "Besöksgatan 1" in card and "411 04" in card
    assert "Lägg till postadress" in card and "Lägg till besöksadress" not in card
    with ctx(app):
        contact_id = db.session.execute(select(Contact.id)).scalar()
    as_admin.post(f"/customers/contacts/{contact_id}/delete")
    assert "Anna Ek" not in section(as_admin.get(f"/customers/{customer_id}"), "contacts")


def test_search_box_finds_by_contact_email(app, as_admin):
    customer_id = new_customer(app, name="Hittad AB")
    new_customer(app, name="Annan AB")
    as_admin.post(f"/customers/contacts/add?_flt_0_customer={customer_id}", data={"name": "Per", "email": "per@hittad.se"})
    page = as_admin.get("/customers/?q=PER@HITTAD").get_data(as_text=True)
    assert "Hittad AB" in page and "Annan AB" not in page


def test_settings_hide_and_show_fields(app, as_admin):
    customer_id = new_customer(app, name="A")
    page = as_admin.get(f"/customers/{customer_id}/edit").get_data(as_text=True)
    for name in ("vat_type", "language", "cost_centre", "apartment_number"):
        assert f'name="{name}"' not in page
    assert "Serviceartiklar" not in as_admin.get(f"/customers/{customer_id}").get_data(as_text=True)
    set_settings(app, show_vat_type=True, show_language=True, show_cost_centre=True, use_rot_rut=True,
                 show_service_articles=True)
    page = as_admin.get(f"/customers/{customer_id}/edit").get_data(as_text=True)
    for name in ("vat_type", "language", "cost_centre", "apartment_number"):
        assert f'name="{name}"' in page
    assert "Serviceartiklar" in as_admin.get(f"/customers/{customer_id}").get_data(as_text=True)


def test_a_custom_field_shows_on_form_list_and_filter(app, as_admin):
    from app.models import CustomFieldDefinition

    with ctx(app):
        field = CustomFieldDefinition(label="Avtalsnummer", field_type="text", show_in_list=True)
        db.session.add(field)
        db.session.commit()
        field_id = field.id
    response = as_admin.post("/customers/add", data={"name": "Fält AB", f"cf_{field_id}": "AV-77"})
    assert response.status_code == 302
    new_customer(app, name="Utan AB")
    page = as_admin.get("/customers/").get_data(as_text=True)
    assert "<th>Avtalsnummer</th>" in page and "AV-77" in page
    page = as_admin.get(f"/customers/?cf_{field_id}=av-7").get_data(as_text=True)
    assert "Fält AB" in page and "Utan AB" not in page


@pytest.mark.parametrize(
    "url",
    [
        "/customers/?sort=password&dir=x&page=abc&size=100000",
        "/customers/?page=99999999999999999999",
        "/customers/?assigned=1%27%20OR%201=1",
        "/customers/?cf_999=x",
    ],
)
def test_hostile_customer_list_urls_give_a_normal_page(app, as_admin, url):
    new_customer(app, name="A")
    assert as_admin.get(url).status_code == 200


@pytest.mark.parametrize(
    "url",
    [
        "/articleview/list/?_oc_ArticleView=nonexistent",
        "/users/list/?_oc_UserDBModelView=password",
        "/customfieldview/list/?psize_CustomFieldView=1000000",
        "/discountletterview/list/?_od_DiscountLetterView=sideways",
        "/articleview/list/?page_ArticleView=-1",
    ],
)
def test_hostile_fab_list_urls_are_refused_not_crashed(as_admin, url):
    assert as_admin.get(url).status_code == 400


def test_fab_lists_still_sort_by_allowed_columns(as_admin):
    assert as_admin.get("/articleview/list/?_oc_ArticleView=name&_od_ArticleView=desc").status_code == 200


def test_rights_are_checked_on_the_server(app, client, auth):
    customer_id = new_customer(app, name="A")
    auth.login("reader")
    assert client.get(f"/customers/{customer_id}").status_code == 200
    assert client.get("/customers/add").status_code == 403
    assert client.post("/customers/add", data={"name": "X"}).status_code == 403
    assert client.get(f"/customers/{customer_id}/edit").status_code == 403
    assert client.post(f"/customers/{customer_id}/delete").status_code == 403
    assert client.get("/settings/").status_code == 403
    assert customer_count(app) == 1


def test_a_technician_gets_404_for_customers_not_assigned(app, client, auth):
    mine = new_customer(app, name="Min AB")
    other = new_customer(app, name="Annans AB")
    with ctx(app):
        db.session.get(Customer, mine).assigned_to_id = app.user_ids["tech"]
        db.session.commit()
    auth.login("tech")
    assert client.get(f"/customers/{mine}").status_code == 200
    assert client.get(f"/customers/{other}").status_code == 404
    assert client.get(f"/customers/{other}/edit").status_code == 404
    assert client.post(f"/customers/contacts/add?_flt_0_customer={other}", data={"name": "X"}).status_code == 404
    page = client.get("/customers/").get_data(as_text=True)
    assert "Min AB" in page and "Annans AB" not in page


def test_delete_removes_the_customer_with_its_contacts(app, as_admin):
    customer_id = new_customer(app, name="Bort AB")
    as_admin.post(f"/customers/contacts/add?_flt_0_customer={customer_id}", data={"name": "Per"})
    assert as_admin.post(f"/customers/{customer_id}/delete").status_code == 302
    assert customer_count(app) == 0
    with ctx(app):
        assert db.session.execute(select(func.count()).select_from(Contact)).scalar() == 0


def test_customer_articles_when_the_view_setting_is_on(app, as_admin):
    from app.models import Article

    with ctx(app):
        article = Article(article_number="RESA", name="Resa", unit="st", price=250, vat_rate=25)
        db.session.add(article)
        db.session.commit()
        article_id = article.id
    customer_id = new_customer(app, name="A")
    assert as_admin.post(f"/customers/articles/add?_flt_0_customer={customer_id}", data={"kind": "service", "article_id": article_id, "quantity": "2"}).status_code == 404
    set_settings(app, show_service_articles=True)
    as_admin.post(f"/customers/articles/add?_flt_0_customer={customer_id}", data={"kind": "service", "article_id": article_id, "quantity": "2,5"})
    as_admin.post(f"/customers/articles/add?_flt_0_customer={customer_id}", data={"kind": "service", "article_id": article_id, "quantity": "-1"})
    with ctx(app):
        rows = db.session.get(Customer, customer_id).articles
        assert [(r.article.name, str(r.quantity), r.kind) for r in rows] == [("Resa", "2.50", "service")]


def test_names_are_escaped_in_messages_and_pages(app, as_admin):
    hostile = '<img src=x onerror="alert(1)">'
    response = as_admin.post("/customers/add", data={"name": hostile}, follow_redirects=True)
    page = response.get_data(as_text=True)
    assert hostile not in page
    assert "&lt;img src=x" in page
    list_page = as_admin.get("/customers/").get_data(as_text=True)
    assert hostile not in list_page
