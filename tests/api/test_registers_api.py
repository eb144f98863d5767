"""The read-only resources: customer articles, history, discount letters, custom field definitions."""

from app.extensions import db
from app.models import CustomFieldDefinition, DiscountLetter
from app.security.access import SYSTEM
from tests.api.conftest import bearer, customer_user_token, jwt, personal_token
from tests.conftest import ctx, new_customer


def test_history_is_scoped_and_masks_personnummer(app, client):
    own = new_customer(app, name="Anna Andersson", customer_type="private", identity_number="19900101-1239")
    foreign = new_customer(app, name="Annan AB")
    with ctx(app):
        from app.commands import assign_technician

        assign_technician([own], app.user_ids["tech"], by=SYSTEM)
    token = bearer(personal_token(app, "tech"))
    rows = client.get(f"/api/v1/customer_history/?q=(filters:!((col:customer_id,opr:eq,value:{own})))",
                      headers=token).json["result"]
    inserted = next(row for row in rows if row["record_type"] == "customer" and row["action"] == "insert")
    assert "identity_number=19900101-XXXX" in inserted["new_value"] and "1239" not in inserted["new_value"]
    assert inserted["changed_by"] == "system"
    everything = client.get("/api/v1/customer_history/?q=(page_size:100)", headers=token).json["result"]
    assert {row["customer_id"] for row in everything} == {own}
    foreign_entry = client.get(f"/api/v1/customer_history/?q=(filters:!((col:customer_id,opr:eq,value:{foreign})))",
                               headers=bearer(jwt(client, "admin"))).json["ids"][0]
    assert client.get(f"/api/v1/customer_history/{foreign_entry}", headers=token).status_code == 404
    assert client.post("/api/v1/customer_history/", json={}, headers=token).status_code == 405


def test_discount_letters_and_custom_fields_are_read_by_those_who_may(app, client):
    customer_id = new_customer(app, name="Kund AB")
    with ctx(app):
        db.session.add_all([DiscountLetter(name="Brev A"), CustomFieldDefinition(label="Avtal", field_type="text"),
                            CustomFieldDefinition(label="Gammalt", field_type="text", removed=True)])
        db.session.commit()
    reader = bearer(personal_token(app, "reader"))
    assert [row["name"] for row in client.get("/api/v1/discount_letter/", headers=reader).json["result"]] == ["Brev A"]
    assert [row["label"] for row in client.get("/api/v1/custom_field/", headers=reader).json["result"]] == ["Avtal"]
    tech = bearer(personal_token(app, "tech"))
    assert client.get("/api/v1/discount_letter/", headers=tech).status_code == 403
    portal = bearer(customer_user_token(app, customer_id, "kund@exempel.se"))
    for path in ("/api/v1/discount_letter/", "/api/v1/custom_field/", "/api/v1/customer_history/",
                 "/api/v1/customer_article/"):
        assert client.get(path, headers=portal).status_code == 403, path
