"""Real Celery workers: `celery -A app.tasks worker` processes on the real Redis (a database
numbers of their own: TEST_REDIS_URL + 1 + the xdist worker index, emptied by the tests),
sharing a SQLite file with the test. The test's own app sends tasks to the same broker.
"""

import contextlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import redis
from sqlalchemy import select

from app.extensions import db
from tests.conftest import DATABASES, POSTGRES, init_database, make_app

ROOT = Path(__file__).resolve().parents[2]
TEST_REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/10")


def redis_url_of_this_worker() -> str:
    """TEST_REDIS_URL's database number + 1 + this xdist worker's index: parallel test processes
    never empty each other's broker."""
    base, _slash, number = TEST_REDIS_URL.rpartition("/")
    worker = os.environ.get("PYTEST_XDIST_WORKER", "gw0")
    offset = int(worker[2:]) if worker.startswith("gw") and worker[2:].isdigit() else 0
    return f"{base}/{int(number or 0) + 1 + offset}"
SECRET = "test-secret-key-that-is-long-enough-for-jwt"
WORKER_TIMEOUT = 3  # seconds without a heartbeat before a worker process counts as gone


def wait_until(condition, timeout: float = 60, interval: float = 0.1, message: str = "condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"timed out waiting for {message}")


class Processes:
    """Worker and beat processes of one test, each in its own process group; all are ended
    (by their group id, which only they have) when the test ends."""

    def __init__(self, env: dict, logs: Path):
        self.env, self.logs, self.running = env, logs, {}

    def start(self, name: str, *args: str, **env) -> subprocess.Popen:
        log = open(self.logs / f"{name}.log", "ab")
        process = subprocess.Popen([sys.executable, "-m", "celery", "-A", "app.tasks", *args], cwd=ROOT,
                                   env={**self.env, **{k: str(v) for k, v in env.items()}}, stdout=log,
                                   stderr=subprocess.STDOUT, start_new_session=True)
        self.running[name] = process
        return process

    def worker(self, name: str, **env) -> subprocess.Popen:
        return self.start(name, "worker", "--pool", "solo", "--hostname", f"{name}@%h", "--without-mingle",
                          "--without-gossip", "--loglevel", "INFO", **env)

    def beat(self, **env) -> subprocess.Popen:
        return self.start("beat", "beat", "--loglevel", "INFO", **env)

    def kill(self, name: str) -> None:
        """SIGKILL: no warm shutdown, nothing is acknowledged or handed back."""
        process = self.running.pop(name)
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(10)

    def stop_all(self) -> None:
        for process in self.running.values():
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGTERM)
        for process in self.running.values():
            try:
                process.wait(15)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(5)
        self.running.clear()

    def log(self, name: str) -> str:
        path = self.logs / f"{name}.log"
        return path.read_text(errors="replace") if path.exists() else ""


def live_worker_names(app) -> list[str]:
    from app.services.background import live_workers

    with app.app_context():
        names = [w.name for w in live_workers(db.session)]
        db.session.remove()
    return names


@pytest.fixture
def broker():
    """The Redis database of these tests, emptied before and after."""
    url = redis_url_of_this_worker()
    client = redis.Redis.from_url(url)
    try:
        client.ping()
    except redis.ConnectionError:
        pytest.fail(f"Redis at {url} cannot be reached (CI starts it; set TEST_REDIS_URL)")
    client.flushdb()
    yield url
    client.flushdb()
    client.close()


def worker_env(database_url: str, instance: Path, **extra) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CELERY_", "MAIL_", "OUTBOX_", "BACKGROUND_"))}
    env.update({
        "DATABASE_URL": database_url, "SECRET_KEY": SECRET, "KUNDREGISTER_INSTANCE": str(instance),
        "UPLOAD_FOLDER": str(instance / "uploads"), "RATELIMIT_STORAGE_URI": "memory://",
        "BACKGROUND_WORKER_TIMEOUT": str(WORKER_TIMEOUT), "PYTHONUNBUFFERED": "1",
    })
    env.update({k: str(v) for k, v in extra.items()})
    return env


@pytest.fixture
def background(tmp_path, broker):
    """A SQLite database shared with worker processes, the test's app on it (sending tasks to
    Redis), and a Processes to start workers with the same configuration."""
    yield from _background(tmp_path, broker, f"sqlite:///{tmp_path / 'shared.db'}")


@pytest.fixture(params=DATABASES)
def background_any_database(request, tmp_path, broker):
    """`background` on SQLite and, with TEST_DATABASE_URL, on PostgreSQL (emptied first)."""
    if request.param == "sqlite":
        yield from _background(tmp_path, broker, f"sqlite:///{tmp_path / 'shared.db'}")
    else:
        name = POSTGRES.test_database()
        POSTGRES.drop(name)  # init_database makes it afresh from the session's template
        yield from _background(tmp_path, broker, POSTGRES.database_url(name))


def _background(tmp_path, broker, database_url):
    instance = tmp_path / "instance"
    instance.mkdir()
    app = make_app(database_url, CELERY_TASK_ALWAYS_EAGER=False, CELERY_BROKER_URL=broker,
                   BACKGROUND_WORKER_TIMEOUT=WORKER_TIMEOUT, UPLOAD_FOLDER=str(instance / "uploads"))
    app.user_ids = init_database(app)
    processes = Processes(worker_env(database_url, instance, CELERY_BROKER_URL=broker), tmp_path)
    processes.app = app
    yield processes
    processes.stop_all()
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def job_row(app, model, job_id):
    with app.app_context():
        row = db.session.execute(select(model).where(model.id == job_id)).scalar()
        db.session.expunge_all()
        db.session.remove()
    return row
