"""A live server in a thread and Debian's chromium driven by Playwright (never a downloaded browser)."""

import contextlib
import fcntl
import os
import shutil
import threading

import pytest
from werkzeug.serving import make_server

from tests.conftest import init_database, make_app

CHROMIUM = os.environ.get("CHROMIUM_PATH") or shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]


@pytest.fixture(scope="session")
def chromium_lock(tmp_path_factory):
    """Under pytest-xdist, a lock file shared by the workers of this run (their common temporary
    folder): one chromium at a time, since two at once on a shared 2-core machine make the 15 s
    timeouts flaky. (xdist's own `--dist loadgroup` does not group tests with pytest 9 here.)"""
    if not os.environ.get("PYTEST_XDIST_WORKER"):
        return None
    return tmp_path_factory.getbasetemp().parent / "chromium.lock"


@contextlib.contextmanager
def holding(lock_path):
    if lock_path is None:
        yield
        return
    with open(lock_path, "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


@pytest.fixture
def live_app(tmp_path):
    app = make_app(f"sqlite:///{tmp_path / 'browser.db'}", WTF_CSRF_ENABLED=True)
    app.user_ids = init_database(app)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    app.base_url = f"http://127.0.0.1:{server.server_port}"
    app.config["PUBLIC_URL"] = app.base_url  # links in e-mails and OAuth redirects come back here
    yield app
    server.shutdown()
    thread.join(timeout=5)


@pytest.fixture
def page(live_app, chromium_lock):
    if not os.path.exists(CHROMIUM):
        if os.environ.get("CI"):
            pytest.fail(f"chromium not found at {CHROMIUM}")
        pytest.skip("Debian's chromium is not installed")
    from playwright.sync_api import sync_playwright

    with holding(chromium_lock), sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        context = browser.new_context(locale="sv-SE")
        page = context.new_page()
        page.set_default_timeout(15_000)
        yield page
        context.close()
        browser.close()
