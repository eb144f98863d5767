import re

from sqlalchemy import select

from app.extensions import db
from app.models import CustomFieldDefinition
from app.services.settings import get_settings
from tests.conftest import ctx, new_customer


def test_admin_saves_settings(app, as_admin):
    page = as_admin.get("/settings/").get_data(as_text=True)
    assert "Visa momstyp" in page and "Vyinställningar" in page
    response = as_admin.post("/settings/", data={"customer_number_min_length": "5", "customer_number_max_length": "8",
                                                 "show_vat_type": "y", "use_rot_rut": "y"})
    assert response.status_code == 302
    with ctx(app):
        settings = get_settings()
        assert settings.customer_number_min_length == 5 and settings.show_vat_type and settings.use_rot_rut
        assert not settings.show_language


def test_bad_settings_are_refused_with_a_message(app, as_admin):
    response = as_admin.post("/settings/", data={"customer_number_min_length": "9", "customer_number_max_length": "3"})
    assert "Maxlängden kan inte vara mindre än minlängden." in response.get_data(as_text=True)
    with ctx(app):
        assert get_settings().customer_number_min_length == 4


def test_only_administrators_reach_settings(client, auth):
    auth.login("manager")
    assert client.get("/settings/").status_code == 403
    assert client.get("/customfieldview/list/").status_code == 403


def test_a_custom_field_in_use_cannot_be_deleted_only_removed(app, as_admin):
    response = as_admin.post("/customfieldview/add", data={"label": "Avtal", "field_type": "text", "position": "1"})
    assert response.status_code == 302
    with ctx(app):
        field_id = db.session.execute(select(CustomFieldDefinition.id)).scalar()
    new_customer(app, name="A", **{f"cf_{field_id}": "X"})
    response = as_admin.post(f"/customfieldview/delete/{field_id}", follow_redirects=True)
    assert "används" in response.get_data(as_text=True)
    response = as_admin.post(f"/customfieldview/edit/{field_id}", data={"label": "Avtal", "field_type": "number",
                                                                       "position": "1"}, follow_redirects=True)
    with ctx(app):
        assert db.session.get(CustomFieldDefinition, field_id).field_type == "text"
    as_admin.post(f"/customfieldview/edit/{field_id}", data={"label": "Avtal", "field_type": "text", "position": "1",
                                                            "removed": "y"})
    page = as_admin.get("/customers/add").get_data(as_text=True)
    assert f'name="cf_{field_id}"' not in page


def test_a_choice_field_needs_values(app, as_admin):
    response = as_admin.post("/customfieldview/add", data={"label": "Bransch", "field_type": "choice", "position": "1"},
                             follow_redirects=True)
    assert re.search("minst ett värde", response.get_data(as_text=True))
    with ctx(app):
        assert db.session.execute(select(CustomFieldDefinition)).first() is None


def test_discount_letter_with_rows(app, client, auth):
    auth.login("manager")
    assert client.post("/discountletterview/add", data={"name": "Storkund"}).status_code == 302
    assert "Storkund" in client.get("/discountletterview/list/").get_data(as_text=True)
