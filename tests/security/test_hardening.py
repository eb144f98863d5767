"""Login throttling, CSRF, security headers, password policy and the role editor."""

import os
import re
import uuid

import pytest

from app.extensions import db
from tests.conftest import PASSWORD, ctx, init_database, make_app, new_customer


@pytest.fixture
def limited_app(database_url):
    app = make_app(database_url, RATELIMIT_ENABLED=True, AUTH_RATE_LIMIT="5 per minute",
                   AUTH_FAILED_LOGINS_PER_USERNAME="3 per minute")
    app.user_ids = init_database(app)
    yield app
    with app.app_context():
        db.engine.dispose()


def test_failed_logins_are_throttled_per_username_with_a_clear_message(limited_app):
    client = limited_app.test_client()
    for _ in range(3):
        client.post("/login/", data={"username": "tech", "password": "fel"})
    # the right password no longer helps for a while
    response = client.post("/login/", data={"username": "tech", "password": PASSWORD}, follow_redirects=True)
    assert "För många misslyckade inloggningar" in response.get_data(as_text=True)
    assert client.get("/customers/").status_code == 302  # still not logged in
    # another user is not affected
    other = limited_app.test_client()
    assert other.post("/login/", data={"username": "reader", "password": PASSWORD}).location == "/"


def test_failed_logins_are_counted_per_account_however_the_name_is_typed(limited_app):
    client = limited_app.test_client()
    # the e-mail address and a case variant of the name are the same account: three failures in all
    for typed in ("admin@exempel.se", "ADMIN", "admin@exempel.se"):
        client.post("/login/", data={"username": typed, "password": "fel"})
    response = limited_app.test_client().post("/login/", data={"username": "admin", "password": PASSWORD},
                                              follow_redirects=True)
    assert "För många misslyckade inloggningar" in response.get_data(as_text=True)
    # another account is not affected
    assert limited_app.test_client().post("/login/", data={"username": "reader", "password": PASSWORD}).location == "/"


def test_a_unicode_case_variant_that_logs_in_counts_on_the_account(limited_app, database_url):
    """PostgreSQL's lower() turns `admİn` into `admin` (Python's gives `admi̇n`): the counter follows
    the account the database resolves. On SQLite `admİn` is no account at all."""
    on_postgres = database_url.startswith("postgresql")
    with ctx(limited_app):
        assert (limited_app.appbuilder.sm.find_user(username="admİn") is not None) == on_postgres
    client = limited_app.test_client()
    for _ in range(3):
        client.post("/login/", data={"username": "admİn", "password": "fel"})
    response = limited_app.test_client().post("/login/", data={"username": "admin", "password": PASSWORD},
                                              follow_redirects=True)
    assert ("För många misslyckade inloggningar" in response.get_data(as_text=True)) == on_postgres


def test_login_posts_are_limited_per_address(limited_app):
    client = limited_app.test_client()
    statuses = [client.post("/login/", data={"username": f"x{i}", "password": "y"}).status_code for i in range(6)]
    assert statuses == [302] * 5 + [429]  # a failed login goes back to the form; the sixth is refused
    assert "För många" in client.post("/login/", data={"username": "z", "password": "y"}).get_data(as_text=True)


def test_the_api_login_is_limited_too(limited_app):
    client = limited_app.test_client()
    statuses = [
        client.post("/api/v1/security/login", json={"username": f"u{i}", "password": "x", "provider": "db"}).status_code
        for i in range(6)
    ]
    assert statuses[:5] == [401] * 5 and statuses[5] == 429


def test_throttling_works_with_redis_storage(database_url):
    redis_url = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/10")
    app = make_app(database_url, RATELIMIT_ENABLED=True, RATELIMIT_STORAGE_URI=redis_url,
                   AUTH_FAILED_LOGINS_PER_USERNAME="2 per minute",
                   RATELIMIT_KEY_PREFIX=f"test-{uuid.uuid4().hex}")
    app.user_ids = init_database(app)
    import redis

    try:
        redis.Redis.from_url(redis_url).ping()
    except redis.exceptions.ConnectionError:
        if os.environ.get("CI"):
            raise
        pytest.skip("Redis is not running on 127.0.0.1:6379")
    client = app.test_client()
    name = f"tech-{uuid.uuid4().hex[:6]}"
    for _ in range(2):
        client.post("/login/", data={"username": name, "password": "fel"})
    response = client.post("/login/", data={"username": name, "password": "fel"}, follow_redirects=True)
    assert "För många misslyckade inloggningar" in response.get_data(as_text=True)
    storage = redis.Redis.from_url(redis_url)
    [key] = storage.keys(f"*failed-login:name:{name}*")  # counted in Redis, not in the process
    assert int(storage.get(key)) == 2
    with app.app_context():
        db.engine.dispose()


@pytest.fixture
def csrf_app(database_url):
    app = make_app(database_url, WTF_CSRF_ENABLED=True)
    app.user_ids = init_database(app)
    yield app
    with app.app_context():
        db.engine.dispose()


def csrf_login(client, username="admin"):
    page = client.get("/login/").get_data(as_text=True)
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
    response = client.post("/login/", data={"username": username, "password": PASSWORD, "csrf_token": token})
    assert response.location == "/"


def test_posts_without_a_csrf_token_are_refused(csrf_app):
    customer_id = new_customer(csrf_app, name="Skyddad AB")
    client = csrf_app.test_client()
    csrf_login(client)
    for url, data in [
        ("/customers/add", {"name": "Utan token"}),
        (f"/customers/{customer_id}/delete", {}),
        (f"/customers/action/inactivate/{customer_id}", {}),
        (f"/customers/actions/inactivate?ids={customer_id}", {}),
        ("/customers/action_post", {"action": "inactivate", "rowid": [customer_id]}),
        ("/logout/", {}),
    ]:
        assert client.post(url, data=data).status_code == 400, url
    with ctx(csrf_app):
        from app.models import Customer

        customer = db.session.get(Customer, customer_id)
        assert customer is not None and customer.active
    assert client.get("/customers/").status_code == 200  # still logged in: logout needed a token


def test_logout_is_a_post(as_admin):
    assert as_admin.get("/logout/").status_code == 405
    assert as_admin.post("/logout/").status_code == 302
    assert as_admin.get("/customers/").status_code == 302


def test_security_headers(as_admin):
    response = as_admin.get("/customers/")
    csp = response.headers["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in csp and "script-src 'self' 'nonce-" in csp
    nonce = re.search(r"'nonce-([^']+)'", csp).group(1)
    assert f'nonce="{nonce}"' in response.get_data(as_text=True)  # FAB's inline scripts carry it
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    cookie = as_admin.get_cookie("session")
    assert cookie.http_only and cookie.same_site == "Lax"


def test_new_passwords_follow_the_policy(app, as_admin):
    role_id = None
    with ctx(app):
        role_id = app.appbuilder.sm.find_role("ReadOnly").id
    data = {"first_name": "Ny", "last_name": "Användare", "username": "ny", "email": "ny@exempel.se",
            "active": "y", "roles": [role_id], "password": "kort", "conf_password": "kort"}
    as_admin.post("/users/add", data=data)
    with ctx(app):
        assert app.appbuilder.sm.find_user(username="ny") is None
    as_admin.post("/users/add", data={**data, "password": "Långt-lösen-2026", "conf_password": "Långt-lösen-2026"})
    with ctx(app):
        assert app.appbuilder.sm.find_user(username="ny") is not None


def test_the_role_editor_labels_rights_and_protects_built_in_roles(app, as_admin):
    with ctx(app):
        manager = app.appbuilder.sm.find_role("Manager")
        manager_id, before = manager.id, len(manager.permissions)
    page = as_admin.get(f"/roles/edit/{manager_id}").get_data(as_text=True)
    assert "Visa (endast) tilldelade – Kund" in page
    as_admin.post(f"/roles/edit/{manager_id}", data={"name": "Manager", "permissions": []})
    with ctx(app):
        assert len(app.appbuilder.sm.find_role("Manager").permissions) == before


def test_a_built_in_role_cannot_be_renamed_to_change_it(app, as_admin):
    with ctx(app):
        manager = app.appbuilder.sm.find_role("Manager")
        manager_id, before = manager.id, len(manager.permissions)
    as_admin.post(f"/roles/edit/{manager_id}", data={"name": "Manager-x", "permissions": []})
    with ctx(app):
        role = app.appbuilder.sm.find_role("Manager")
        assert role is not None and role.id == manager_id and len(role.permissions) == before
        assert app.appbuilder.sm.find_role("Manager-x") is None


def test_logout_is_never_throttled_and_the_429_page_works_when_logged_in(limited_app):
    client = limited_app.test_client()
    client.post("/login/", data={"username": "admin", "password": PASSWORD})
    statuses = [client.post("/login/", data={"username": "admin", "password": PASSWORD}).status_code
                for _ in range(5)]
    assert statuses[-1] == 429  # the sixth login POST of this address (one succeeded first)
    page = client.post("/login/", data={"username": "admin", "password": PASSWORD})
    assert page.status_code == 429 and "För många misslyckade inloggningar" in page.get_data(as_text=True)
    for _ in range(8):  # logout is a POST to the same view, and never counted nor refused
        assert client.post("/logout/").status_code == 302
    assert client.get("/customers/").status_code == 302  # logged out


@pytest.fixture
def own_redis(tmp_path):
    """A redis-server of this test's own on port 6391, which the test may stop."""
    import shutil
    import socket
    import subprocess
    import time

    if shutil.which("redis-server") is None:
        pytest.skip("redis-server is not installed")
    process = subprocess.Popen(["redis-server", "--port", "6391", "--bind", "127.0.0.1", "--save", "",
                                "--appendonly", "no", "--dir", str(tmp_path)], stdout=subprocess.DEVNULL)
    for _ in range(100):
        try:
            socket.create_connection(("127.0.0.1", 6391), timeout=0.1).close()
            break
        except OSError:
            time.sleep(0.05)
    process.url = "redis://127.0.0.1:6391/0"
    yield process
    if process.poll() is None:
        process.terminate()
        process.wait(5)


def test_with_redis_down_logins_go_on_counted_per_process_and_logout_works(database_url, own_redis):
    app = make_app(database_url, RATELIMIT_ENABLED=True, RATELIMIT_STORAGE_URI=own_redis.url,
                   AUTH_RATE_LIMIT="50 per minute", AUTH_FAILED_LOGINS_PER_USERNAME="3 per minute")
    app.user_ids = init_database(app)
    client = app.test_client()
    assert client.post("/login/", data={"username": "admin", "password": PASSWORD}).location == "/"
    own_redis.terminate()
    own_redis.wait(5)
    assert client.post("/logout/").status_code == 302
    assert client.get("/customers/").status_code == 302
    # fail-open: a login still works ...
    assert client.post("/login/", data={"username": "admin", "password": PASSWORD}).location == "/"
    assert client.get("/customers/").status_code == 200
    # ... and failed logins are still counted per account (in this process)
    other = app.test_client()
    for _ in range(3):
        assert other.post("/login/", data={"username": "tech", "password": "fel"}).status_code == 302
    response = other.post("/login/", data={"username": "tech", "password": PASSWORD}, follow_redirects=True)
    assert "För många misslyckade inloggningar" in response.get_data(as_text=True)
    with app.app_context():
        db.engine.dispose()


def test_memory_limiter_storage_warns_at_start_up(database_url, caplog):
    with caplog.at_level("WARNING"):
        make_app(database_url, RATELIMIT_ENABLED=True, RATELIMIT_STORAGE_URI="memory://")
    assert "login limits are counted per process" in caplog.text
    caplog.clear()
    with caplog.at_level("WARNING"):
        make_app(database_url, RATELIMIT_ENABLED=True, RATELIMIT_STORAGE_URI="redis://127.0.0.1:6379/8")
    assert "counted per process" not in caplog.text
