"""Import and export through a Celery worker, against the same work done in-process (not run by the tests).

    .venv/bin/python benchmarks/generate.py --database-url sqlite:////tmp/bench.db --customers 10000
    .venv/bin/python benchmarks/worker.py --database-url sqlite:////tmp/bench.db --rows 10000 --write

In-process: the import as `run_import` (what `flask customers import` does), the export as the
streamed web download. Through the worker: the web's path — upload, POST run (the request
only queues), one `celery -A app.tasks worker --pool solo` process does the work, the time
ends when the job row says done (polled every 50 ms) and, for exports, the file is downloaded.
Brokers: Redis (BENCH_REDIS_URL, default redis://127.0.0.1:6379/4, emptied) and the embedded
filesystem broker of `make run`. The overhead is the difference: queueing, the broker's delivery
latency, the worker's per-batch progress/claim writes, storing the file in the job row.
"""

import argparse
import datetime
import io
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from generate import make_app  # noqa: E402
from run import (  # noqa: E402
    RESULTS,
    database_version,
    delete_imported,
    login,
    machine,
    write_import_file,
)

SECTION = "## Import and export through a Celery worker"


def wait_done(app, model, job_id: int, timeout: float = 1800) -> float:
    from sqlalchemy import select

    from app.extensions import db

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with app.app_context():
            status = db.session.execute(select(model.status).where(model.id == job_id)).scalar()
            db.session.remove()
        if status in ("done", "failed"):
            assert status == "done", f"{model.__tablename__} {job_id} failed"
            return time.perf_counter()
        time.sleep(0.05)
    raise TimeoutError(f"{model.__tablename__} {job_id}")


class Worker:
    def __init__(self, url: str, broker: str, folder: str):
        env = {k: v for k, v in os.environ.items() if not k.startswith("CELERY_")}
        env.update({"DATABASE_URL": url, "CELERY_BROKER_URL": broker, "CELERY_BROKER_FOLDER": folder,
                    "SECRET_KEY": "bench-" * 8, "RATELIMIT_STORAGE_URI": "memory://"})
        self.process = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "app.tasks", "worker", "--pool", "solo", "--without-mingle",
             "--without-gossip", "--loglevel", "WARNING"], cwd=ROOT, env=env, start_new_session=True)

    def stop(self) -> None:
        os.killpg(self.process.pid, signal.SIGTERM)
        self.process.wait(30)


def through_worker(url: str, broker: str, path: Path, fmt_rows: int) -> dict:
    from app.models import ExportJob, ImportJob

    folder = tempfile.mkdtemp(prefix="bench-broker-")
    app = make_app(url)
    app.config.update(CELERY_BROKER_URL=broker, CELERY_BROKER_FOLDER=folder, EXPORT_BACKGROUND_FROM=1)
    worker = Worker(url, broker, folder)
    try:
        client = login(app)
        from app.extensions import db
        from app.services.background import live_workers

        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            with app.app_context():
                alive = live_workers(db.session)
                db.session.remove()
            if alive:
                break
            time.sleep(0.1)
        results = {}
        job_url = client.post("/customers/import", data={"file": (io.BytesIO(path.read_bytes()), path.name)},
                              content_type="multipart/form-data").location
        job_id = int(job_url.rstrip("/").rsplit("/", 1)[1])
        started = time.perf_counter()
        client.post(f"{job_url}/run", data={"mode": "insert"})
        results["import"] = wait_done(app, ImportJob, job_id) - started
        for fmt in ("csv", "xlsx"):
            started = time.perf_counter()
            export_url = client.get(f"/customers/export?format={fmt}&columns=all&status=all").location
            export_id = int(export_url.rstrip("/").rsplit("/", 1)[1])
            wait_done(app, ExportJob, export_id)
            size = len(client.get(f"{export_url}/file").get_data())
            results[f"export_{fmt}"] = time.perf_counter() - started
            results[f"export_{fmt}_bytes"] = size
        return results
    finally:
        worker.stop()
        delete_imported(app)


def in_process(url: str, path: Path) -> dict:
    from app.commands import import_register as run_import
    from app.extensions import db

    app = make_app(url)
    app.config["EXPORT_BACKGROUND_FROM"] = 10 ** 9  # streamed from the request, as below the threshold
    results = {}
    with app.app_context():
        started = time.perf_counter()
        report, _failed = run_import(db.session, lambda: open(path, "rb"), path.name, None)
        results["import"] = time.perf_counter() - started
        db.session.remove()
    assert report.ok and report.written, report.errors[:3]
    client = login(app)
    for fmt in ("csv", "xlsx"):
        started = time.perf_counter()
        response = client.get(f"/customers/export?format={fmt}&columns=all&status=all", buffered=False)
        assert response.status_code == 200
        size = sum(len(chunk) for chunk in response.response)
        results[f"export_{fmt}"] = time.perf_counter() - started
        results[f"export_{fmt}_bytes"] = size
    delete_imported(app)
    return results


def number(value: int) -> str:
    return f"{value:,}".replace(",", " ")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--rows", type=int, default=10_000, help="rows to import")
    parser.add_argument("--redis-url", default=os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/4"))
    parser.add_argument("--repeat", type=int, default=2, help="runs of each; the fastest counts")
    parser.add_argument("--write", action="store_true", help="update benchmarks/RESULTS.md")
    args = parser.parse_args()

    import redis

    redis.Redis.from_url(args.redis_url).flushdb()
    path = Path(tempfile.mkdtemp(prefix="bench-import-")) / "import.csv"
    write_import_file(path, args.rows)
    app = make_app(args.database_url)
    with app.app_context():
        from sqlalchemy import func, select

        from app.extensions import db
        from app.models import Customer

        customers = db.session.execute(select(func.count()).select_from(Customer)).scalar()
        db.session.remove()
    def best(runs: list[dict]) -> dict:  # the shared machine is noisy: the fastest of --repeat runs
        return {key: min(run[key] for run in runs) for key in runs[0]}

    direct = best([in_process(args.database_url, path) for _ in range(args.repeat)])
    redis_run = best([through_worker(args.database_url, args.redis_url, path, args.rows)
                      for _ in range(args.repeat)])
    embedded = best([through_worker(args.database_url, "filesystem://", path, args.rows)
                     for _ in range(args.repeat)])
    redis.Redis.from_url(args.redis_url).flushdb()

    def cell(run, key):
        seconds = run[key]
        overhead = seconds - direct[key]
        return f"{seconds:.2f} s ({overhead:+.2f} s, {100 * overhead / direct[key]:+.0f} %)"

    lines = [
        f"Run {datetime.datetime.now():%Y-%m-%d %H:%M}; {database_version(app)}; machine: {machine()} "
        "(shared with other developers' test runs).",
        f"Data: {number(customers)} customers (`generate.py`); the export holds all of them plus the "
        f"{number(args.rows)} imported rows. One worker process (`--pool solo`); "
        f"the fastest of {args.repeat} runs each.",
        "",
        "| work | in-process | worker, Redis broker (overhead) | worker, embedded filesystem broker (overhead) |",
        "| --- | --- | --- | --- |",
        f"| Import {number(args.rows)} rows (check, then write) | {direct['import']:.2f} s "
        f"| {cell(redis_run, 'import')} | {cell(embedded, 'import')} |",
        f"| Export CSV, all columns | {direct['export_csv']:.2f} s | {cell(redis_run, 'export_csv')} "
        f"| {cell(embedded, 'export_csv')} |",
        f"| Export XLSX, all columns | {direct['export_xlsx']:.2f} s | {cell(redis_run, 'export_xlsx')} "
        f"| {cell(embedded, 'export_xlsx')} |",
    ]
    text = "\n".join(lines)
    print(text)
    if args.write:
        old = RESULTS.read_text()
        body = f"{SECTION}\n\nWritten by `benchmarks/worker.py` (see its docstring).\n\n{text}\n"
        if SECTION in old:
            start = old.index(SECTION)
            end = old.find("\n## ", start + len(SECTION))
            new = old[:start] + body + (old[end:] if end != -1 else "")
        else:
            new = old.rstrip() + "\n\n" + body
        RESULTS.write_text(new)


if __name__ == "__main__":
    main()
