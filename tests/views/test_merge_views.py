"""The merge page (issue 15): pick two customers, choose field by field, confirm."""

from sqlalchemy import select

from app.extensions import db
from app.models import Customer, CustomerHistory
from tests.conftest import ctx, new_customer


def test_pick_compare_choose_and_merge(app, as_admin):
    survivor = new_customer(app, name="Volvo Personvagnar AB", customer_number="5001", comment="Behåll")
    merged = new_customer(app, name="Volvo PV", customer_number="5002", comment="Från 5002", cost_centre="KS")
    card = as_admin.get(f"/customers/{survivor}").get_data(as_text=True)
    assert 'href="/customers/merge/?survivor=5001"' in card
    page = as_admin.get("/customers/merge/?survivor=5001&merged=5002").get_data(as_text=True)
    assert 'id="merge-plan"' in page and "Från 5002" in page and "Behåll" in page
    assert 'name="choice_comment" value="survivor" checked' in page
    assert as_admin.get("/customers/merge/?survivor=5001&merged=5001").get_data(as_text=True).count(
        'id="merge-error"') == 1
    unknown = as_admin.get("/customers/merge/?survivor=5001&merged=9").get_data(as_text=True)
    assert '<div class="alert alert-danger" role="alert" id="merge-error">Ingen kund har det numret.</div>' in unknown
    response = as_admin.post("/customers/merge/", data={"survivor": "5001", "merged": "5002",
                                                        "choice_comment": "merged", "choice_name": "survivor"})
    assert response.status_code == 302 and response.location.endswith(f"/customers/{survivor}")
    with ctx(app):
        kept = db.session.get(Customer, survivor)
        assert (kept.name, kept.comment) == ("Volvo Personvagnar AB", "Från 5002")
        assert db.session.get(Customer, merged) is None
        assert db.session.execute(select(CustomerHistory.changed_by).where(
            CustomerHistory.action == "merge")).scalars().all() == ["admin"]
    assert "5002 Volvo PV slogs ihop med den här kunden." in as_admin.get(response.location).get_data(as_text=True)


def test_the_merge_page_needs_the_right(app, client, auth):
    new_customer(app, name="A", customer_number="5001")
    new_customer(app, name="B", customer_number="5002")
    auth.login("manager")
    assert client.get("/customers/merge/").status_code == 403
    assert client.post("/customers/merge/", data={"survivor": "5001", "merged": "5002"}).status_code == 403
    assert 'id="merge-customer"' not in client.get("/customers/").get_data(as_text=True)
