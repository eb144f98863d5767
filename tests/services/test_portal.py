import datetime

import pytest
from sqlalchemy import func, select

from app import commands
from app.errors import Invalid
from app.extensions import db
from app.models import Customer, CustomerUser, Invitation, OutboxMessage
from app.security.access import SYSTEM
from app.services import portal
from app.services.outbox import deliver
from tests.conftest import ctx, mail_config, new_customer


def count(app, model):
    with ctx(app):
        return db.session.execute(select(func.count()).select_from(model)).scalar()


def create(app, customer_id, **raw):
    raw = {"email": "kund@exempel.se", "first_name": "Karin", "last_name": "Kund", **raw}
    with ctx(app):
        link, token = commands.create_customer_user(db.session.get(Customer, customer_id), raw, by=SYSTEM)
        return link.id, link.user_id, token


def test_a_customer_user_is_created_with_its_invitation_in_one_go(app, smtp_server):
    app.config.update(mail_config(smtp_server))
    customer_id = new_customer(app, name="Portal AB")
    _link_id, user_id, token = create(app, customer_id)
    with ctx(app):
        link = db.session.execute(select(CustomerUser)).scalar()
        assert (link.user_id, link.customer_id) == (user_id, customer_id)
        assert (link.user.username, link.can_edit_details, link.can_see_documents) == ("kund@exempel.se", False, False)
        assert [r.name for r in link.user.roles] == ["CustomerUser"]
        assert deliver() == (1, 0)
    [mail] = smtp_server.messages
    assert mail["To"] == "kund@exempel.se"
    assert f"/invite/{token}" in mail.get_content()


def test_bad_or_duplicate_input_creates_nothing(app):
    customer_id = new_customer(app, name="Portal AB")
    with ctx(app), pytest.raises(Invalid) as error:
        commands.create_customer_user(db.session.get(Customer, customer_id), {"email": "nej", "first_name": ""}, by=SYSTEM)
    assert set(error.value.errors) == {"email", "first_name", "last_name"}
    create(app, customer_id)
    with ctx(app), pytest.raises(Invalid) as error:
        commands.create_customer_user(db.session.get(Customer, customer_id),
                                    {"email": "KUND@exempel.se", "first_name": "A", "last_name": "B"}, by=SYSTEM)
    assert set(error.value.errors) == {"email"}
    assert (count(app, CustomerUser), count(app, Invitation), count(app, OutboxMessage)) == (1, 1, 1)


def test_the_invitation_sets_a_password_once(app, client):
    customer_id = new_customer(app, name="Portal AB")
    _link_id, _user_id, token = create(app, customer_id)
    with ctx(app):
        with pytest.raises(Invalid) as error:
            commands.accept_invitation(token, "kort", "kort")
        assert set(error.value.errors) == {"password"}
        with pytest.raises(Invalid):
            commands.accept_invitation(token, "Ett-långt-lösen-7", "Ett-annat-lösen-7")
        commands.accept_invitation(token, "Ett-långt-lösen-7", "Ett-långt-lösen-7")
        with pytest.raises(portal.InvitationInvalid):
            commands.accept_invitation(token, "Ett-nytt-lösen-99", "Ett-nytt-lösen-99")
    response = client.post("/login/", data={"username": "kund@exempel.se", "password": "Ett-långt-lösen-7"})
    assert response.status_code == 302 and "/login" not in response.location


def test_an_expired_invitation_is_refused(app):
    customer_id = new_customer(app, name="Portal AB")
    _link_id, _user_id, token = create(app, customer_id)
    with ctx(app):
        db.session.execute(select(Invitation)).scalar().expires_at = datetime.datetime(2000, 1, 1)
        db.session.commit()
        with pytest.raises(portal.InvitationInvalid):
            commands.accept_invitation(token, "Ett-långt-lösen-7", "Ett-långt-lösen-7")
