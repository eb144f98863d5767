"""Personal API tokens: created by an administrator (shown once), used, revoked, never readable again."""

import re

from sqlalchemy import select

from app.extensions import db
from app.models import ApiToken
from tests.api.conftest import bearer
from tests.conftest import ctx


def create_on_the_page(client, user_id, name="Planeringsverktyg"):
    return client.post("/admin/api-tokens/", data={"user": str(user_id), "name": name})


def test_token_lifecycle(app, client, auth):
    auth.login("admin")
    page = create_on_the_page(client, app.user_ids["manager"])
    assert page.status_code == 201
    assert page.headers["Cache-Control"] == "no-store"
    token = re.search(r'<pre id="new-api-token">(kr_[\w-]+)</pre>', page.get_data(as_text=True)).group(1)
    assert len(token) == 46

    # stored only as a hash; the list never shows it again
    with ctx(app):
        row = db.session.execute(select(ApiToken)).scalar_one()
        assert token not in (row.token_hash, row.prefix) and row.prefix == token[:8]
        assert (row.user_id, row.name, row.created_by, row.last_used_at, row.revoked_at) == (
            app.user_ids["manager"], "Planeringsverktyg", "admin", None, None)
        token_id = row.id
    listing = client.get("/admin/api-tokens/").get_data(as_text=True)
    assert token not in listing and f"{token[:8]}…" in listing
    auth.logout()

    # used: the API answers as that user, and the last use is noted
    used = client.get("/api/v1/customer/", headers=bearer(token))
    assert used.status_code == 200
    with ctx(app):
        assert db.session.get(ApiToken, token_id).last_used_at is not None
    assert client.get("/api/v1/customer/", headers=bearer(token[:-1] + "x")).status_code == 401

    # revoked: refused from then on
    auth.login("admin")
    assert client.post(f"/admin/api-tokens/{token_id}/revoke").status_code == 302
    auth.logout()
    refused = client.get("/api/v1/customer/", headers=bearer(token))
    assert refused.status_code == 401 and refused.json["code"] == "unauthorized"
    with ctx(app):
        assert db.session.get(ApiToken, token_id).revoked_at is not None


def test_a_refused_form_creates_nothing(app, client, auth):
    auth.login("admin")
    refused = create_on_the_page(client, app.user_ids["tech"], name=" ")
    assert refused.status_code == 422
    assert "Namnge nyckeln efter vad som ska använda den" in refused.get_data(as_text=True)
    assert create_on_the_page(client, 999999).status_code == 422
    with ctx(app):
        assert db.session.execute(select(ApiToken)).first() is None


def test_only_administrators_manage_tokens(app, client, auth):
    for username in ("manager", "tech", "reader"):
        auth.login(username)
        assert client.get("/admin/api-tokens/").status_code in (302, 403)
        create_on_the_page(client, app.user_ids[username])
        auth.logout()
    with ctx(app):
        assert db.session.execute(select(ApiToken)).first() is None


def test_a_token_of_an_inactive_user_is_refused(app, client, auth):
    from tests.api.conftest import personal_token

    token = personal_token(app, "tech")
    assert client.get("/api/v1/customer/", headers=bearer(token)).status_code == 200
    with ctx(app):
        user = app.appbuilder.sm.get_user_by_id(app.user_ids["tech"])
        user.active = False
        db.session.commit()
    assert client.get("/api/v1/customer/", headers=bearer(token)).status_code == 401
