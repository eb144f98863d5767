"""Helpers for the REST API: JWT logins, personal tokens, customer users."""

from sqlalchemy import select

from app import commands
from app.commands.api_tokens import create_api_token
from app.extensions import db
from app.models import Customer, CustomerUser
from app.security.access import SYSTEM
from tests.conftest import PASSWORD, ctx

PORTAL_PASSWORD = "Portal-lösen-2026"


def bearer(token: str, **headers) -> dict:
    return {"Authorization": f"Bearer {token}", **headers}


def jwt(client, username: str, password: str = PASSWORD) -> str:
    response = client.post("/api/v1/security/login",
                           json={"username": username, "password": password, "provider": "db"})
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.json["access_token"]


def personal_token(app, username: str, name: str = "Test") -> str:
    """A personal API token for `username`, created as an administrator would."""
    with ctx(app):
        return create_api_token(app.user_ids[username], name, by=SYSTEM)[1]


def customer_user(app, customer_id: int, email: str, edit: bool = False) -> str:
    """A customer user of the customer (invited and registered); returns its user name."""
    with ctx(app):
        link, token = commands.create_customer_user(db.session.get(Customer, customer_id),
                                                  {"email": email, "first_name": "K", "last_name": "U"}, by=SYSTEM)
        if edit:
            commands.set_rights(link, can_edit_details=True, can_see_documents=False, by=SYSTEM)
        commands.accept_invitation(token, PORTAL_PASSWORD, PORTAL_PASSWORD)
        user = db.session.execute(select(CustomerUser).where(CustomerUser.id == link.id)).scalar_one().user
        app.user_ids[user.username] = user.id
        return user.username


def customer_user_token(app, customer_id: int, email: str, edit: bool = False) -> str:
    return personal_token(app, customer_user(app, customer_id, email, edit))
