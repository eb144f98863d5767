"""Celery: the one place background work runs (`celery -A app.tasks worker`, `… beat`).

Tasks are thin wrappers over the services and run inside a Flask app context: one
`create_app()` per worker process (made after the fork), a fresh database session per task.
They are safe to run twice: the job rows in the database say what is left to do (a task
claims its job, see app/services/background.py), so a redelivered message (`acks_late`, a
worker killed mid-task) does no harm and an interrupted import resumes where it stopped.

The broker only carries "run job 7". Production uses Redis (CELERY_BROKER_URL, or the rate
limiter's Redis); `make run` uses kombu's filesystem transport in instance/broker (no server,
app/embedded_broker.py).
Beat sends the periodic tasks: outbox delivery, recovery of interrupted or lost jobs, the
documents check, and the clean-up of old jobs and expired invitations.
"""

import contextlib
import datetime
import logging
import os
import threading
import traceback
import uuid
from pathlib import Path

from celery import Celery, Task, signals
from celery.exceptions import SoftTimeLimitExceeded
from flask import current_app, has_app_context

log = logging.getLogger(__name__)


def _config():
    from config import Config

    return Config


def broker_options(url: str, folder: str) -> dict:
    """Transport options: the filesystem broker's folders, or Redis's visibility timeout."""
    if url.startswith("filesystem://"):
        path = Path(folder)
        for sub in ("queue", "control"):
            (path / sub).mkdir(parents=True, exist_ok=True)
        queue = str(path / "queue")
        return {"data_folder_in": queue, "data_folder_out": queue, "control_folder": str(path / "control")}
    # A message not acknowledged in this time is delivered again (its job's claim makes that
    # harmless); interrupted jobs are found sooner by the recovery task.
    return {"visibility_timeout": 6 * 3600}


EMBEDDED_TRANSPORT = "app.embedded_broker:Transport"  # filesystem:// with atomic writes


def make_celery(config) -> Celery:
    app = Celery("kundregister")
    url = config.CELERY_BROKER_URL
    Path(config.CELERY_BROKER_FOLDER).mkdir(parents=True, exist_ok=True)  # beat's schedule file lives there
    app.conf.update(
        broker_url=url,
        broker_transport=EMBEDDED_TRANSPORT if url.startswith("filesystem://") else None,
        broker_transport_options=broker_options(url, config.CELERY_BROKER_FOLDER),
        broker_connection_retry_on_startup=True,
        task_ignore_result=True,  # the outcome lives in the job rows and background_task
        task_serializer="json",
        accept_content=["json"],
        task_acks_late=True,  # a task whose worker dies is delivered again
        task_reject_on_worker_lost=True,
        worker_prefetch_multiplier=1,  # a long import does not hold back the messages behind it
        task_soft_time_limit=600,
        task_time_limit=660,
        timezone="UTC",
        enable_utc=True,
        worker_hijack_root_logger=False,
        beat_schedule_filename=str(Path(config.CELERY_BROKER_FOLDER) / "beat-schedule"),
        beat_schedule={
            "deliver-outbox": {"task": "app.tasks.deliver_outbox", "schedule": config.OUTBOX_DELIVER_EVERY},
            "recover-jobs": {"task": "app.tasks.recover_jobs", "schedule": config.BACKGROUND_RECOVER_EVERY},
            "check-documents": {"task": "app.tasks.check_documents", "schedule": 24 * 3600.0},
            "clean-up": {"task": "app.tasks.clean_up", "schedule": 6 * 3600.0},
            # Fortnox `lastmodified` / Visma `ChangedUtc`: changes made there come back.
            "pull-accounting": {"task": "app.tasks.pull_accounting", "schedule": config.ACCOUNTING_PULL_EVERY},
        },
    )
    return app


celery = make_celery(_config())

# -- the Flask app of this process ------------------------------------------------------------

_flask = {"app": None, "pid": None}


def flask_app():
    """The Flask app tasks run in: the caller's when a task runs eagerly inside one, else
    this worker process's own (created on first use, after the fork)."""
    if has_app_context():
        return current_app._get_current_object()
    if _flask["app"] is None or _flask["pid"] != os.getpid():
        from app import create_app

        _flask["app"], _flask["pid"] = create_app(), os.getpid()
    return _flask["app"]


@contextlib.contextmanager
def app_context():
    """A fresh app context (and so a fresh database session) of `flask_app()`."""
    from .extensions import db

    with flask_app().app_context():
        try:
            yield
        finally:
            db.session.remove()


class AppTask(Task):
    """Runs in an app context; acknowledged after it ran (a lost worker means a redelivery)."""

    abstract = True
    acks_late = True
    reject_on_worker_lost = True

    def __call__(self, *args, **kwargs):
        with app_context():
            return super().__call__(*args, **kwargs)


def _outside_failure(exc) -> bool:
    """A database or network outage: worth retrying later, unlike a bug."""
    from sqlalchemy.exc import DBAPIError

    return isinstance(exc, (OSError, ConnectionError)) or (
        isinstance(exc, DBAPIError) and exc.connection_invalidated) or type(exc).__name__ == "OperationalError"


def _backoff(retries: int) -> int:
    return min(600, 5 * 2 ** retries)


# -- tasks ------------------------------------------------------------------------------------


@celery.task(bind=True, base=AppTask, name="app.tasks.run_import", soft_time_limit=6 * 3600,
             time_limit=6 * 3600 + 300, max_retries=8)
def run_import(self, job_id: int) -> str:
    """A web import (F24): runs the job, or resumes it where an interrupted run stopped."""
    from .commands.imports import write_batch
    from .services import import_jobs

    try:
        return import_jobs.run_job(job_id, write_batch)
    except SoftTimeLimitExceeded:
        log.error("import job %s exceeded its time limit", job_id)
        raise
    except Exception as exc:
        if _outside_failure(exc):
            _requeue_quietly(import_jobs.requeue, job_id)
            raise self.retry(exc=exc, countdown=_backoff(self.request.retries)) from exc
        raise


@celery.task(bind=True, base=AppTask, name="app.tasks.run_export", soft_time_limit=3 * 3600,
             time_limit=3 * 3600 + 300, max_retries=8)
def run_export(self, job_id: int) -> str:
    """A large export (F22) written to the job row; the page then offers the download."""
    from .services import export_jobs

    try:
        return export_jobs.run_job(job_id)
    except Exception as exc:
        if _outside_failure(exc):
            _requeue_quietly(export_jobs.requeue, job_id)
            raise self.retry(exc=exc, countdown=_backoff(self.request.retries)) from exc
        raise


def _requeue_quietly(requeue, job_id: int) -> None:
    from .extensions import db

    try:
        requeue(db.session, job_id)
    except Exception:  # the database is what failed: the recovery task will find the job later
        db.session.rollback()


@celery.task(bind=True, base=AppTask, name="app.tasks.deliver_outbox", soft_time_limit=300, time_limit=330,
             max_retries=6)
def deliver_outbox(self) -> dict:
    """Deliver what the outbox holds (every registered kind). When a delivery failed, the task
    comes back when the message is due again (beat sends it regularly as well)."""
    from .services.outbox import deliver, next_due_in

    sent = failed = 0
    while True:
        round_sent, round_failed = deliver()
        sent, failed = sent + round_sent, failed + round_failed
        if round_sent + round_failed == 0:
            break
    if failed:
        wait = next_due_in()
        if wait is not None and self.request.retries < self.max_retries:
            raise self.retry(countdown=max(1.0, wait), exc=None)
    return {"sent": sent, "failed": failed}


@celery.task(base=AppTask, name="app.tasks.pull_accounting", soft_time_limit=600, time_limit=660)
def pull_accounting() -> dict:
    """Apply what changed in the connected accounting systems (as "Fortnox"/"Visma" in history);
    a provider that cannot be reached is recorded on the integrations page and read next time."""
    from .commands.accounting import pull_all

    result = pull_all()
    return {"applied": {p: len(r.applied) + len(r.created) for p, r in result.reports.items()},
            "conflicts": {p: r.conflicts for p, r in result.reports.items()}, "errors": result.errors}


@celery.task(bind=True, base=AppTask, name="app.tasks.check_documents", soft_time_limit=3600, time_limit=3700,
             max_retries=5)
def check_documents(self) -> dict:
    """The documents consistency check (`flask documents check` without --repair): logs what
    is wrong, repairs nothing (repair stays a deliberate, human step)."""
    from .services.documents import check_documents as check
    from .uploads.storage import StorageError, get_storage

    storage = get_storage()
    try:
        report = check(storage, min_age=datetime.timedelta(hours=1))
    except StorageError as exc:
        raise self.retry(exc=exc, countdown=_backoff(self.request.retries)) from exc
    result = {"objects": report.objects, "rows": report.rows, "orphan_objects": len(report.orphan_objects),
              "missing_objects": len(report.missing_objects)}
    if not report.clean:
        log.warning("documents check: %s (run `flask documents check` to see and repair)", result)
    return result


@celery.task(base=AppTask, name="app.tasks.clean_up", soft_time_limit=1800, time_limit=1900)
def clean_up() -> dict:
    """Old import and export jobs (with their files), old task records, expired invitations."""
    from .extensions import db
    from .services import background, export_jobs, import_jobs
    from .services.portal import delete_expired_invitations

    keep = current_app.config.get("JOBS_KEEP_DAYS", 7)
    session = db.session
    return {
        "import_jobs": import_jobs.delete_old_jobs(session, keep),
        "export_jobs": export_jobs.delete_old_jobs(session, keep),
        "task_records": background.forget_old_records(session, background.now() - datetime.timedelta(days=keep)),
        "invitations": delete_expired_invitations(session),
    }


@celery.task(base=AppTask, name="app.tasks.recover_jobs", soft_time_limit=120, time_limit=150)
def recover_jobs() -> dict:
    """Send a task for every job that needs one: running in a worker that died, or queued so
    long ago that its message must have been lost."""
    from .extensions import db
    from .models.background import EXPORT_QUEUED, EXPORT_RUNNING, ExportJob
    from .models.import_job import QUEUED, RUNNING, ImportJob
    from .services import background

    session = db.session
    lost_after = datetime.timedelta(minutes=5)
    imports = background.orphans(session, ImportJob, QUEUED, RUNNING, lost_after)
    exports = background.orphans(session, ExportJob, EXPORT_QUEUED, EXPORT_RUNNING, lost_after)
    session.rollback()
    for job_id in imports:
        start_import(job_id)
    for job_id in exports:
        start_export(job_id)
    return {"imports": imports, "exports": exports}


# -- sending tasks (the web and the command line) -----------------------------------------------


def enqueue(task, *args, task_id: str | None = None) -> str:
    """Send `task(*args)` to the workers (or run it here with CELERY_TASK_ALWAYS_EAGER);
    recorded for the administrator's page first. Returns the task id."""
    from .extensions import db
    from .models.background import TASK_QUEUED
    from .services import background

    config = current_app.config
    task_id = task_id or uuid.uuid4().hex
    background.record_task(db.session, task_id, task.name, args, status=TASK_QUEUED)
    if config.get("CELERY_TASK_ALWAYS_EAGER"):
        task.apply(args=args, task_id=task_id)
        return task_id
    url = config.get("CELERY_BROKER_URL") or celery.conf.broker_url
    options = broker_options(url, config.get("CELERY_BROKER_FOLDER", ""))
    try:
        # Named explicitly: None would fall back to this process's own configured transport.
        transport = EMBEDDED_TRANSPORT if url.startswith("filesystem://") else url.split("://", 1)[0]
        with celery.connection_for_write(url, transport=transport, transport_options=options) as connection:
            task.apply_async(args=args, task_id=task_id, connection=connection, retry=True,
                             retry_policy={"max_retries": 2, "interval_start": 0.2, "interval_step": 0.5})
    except Exception:  # the broker is down: the job stays queued and the recovery task sends it later
        log.exception("could not send %s%r to the broker", task.name, args)
    return task_id


def start_import(job_id: int) -> str:
    from .extensions import db
    from .services import import_jobs

    task_id = uuid.uuid4().hex  # stored on the job before sending: the job says which task runs it
    import_jobs.set_task(db.session, job_id, task_id)
    return enqueue(run_import, job_id, task_id=task_id)


def start_export(job_id: int) -> str:
    from .extensions import db
    from .services import export_jobs

    task_id = uuid.uuid4().hex
    export_jobs.set_task(db.session, job_id, task_id)
    return enqueue(run_export, job_id, task_id=task_id)


def retry(record_id: int) -> str | None:
    """The administrator's retry: make the job runnable again and send the task anew."""
    import json

    from .extensions import db
    from .models.background import TASK_RETRIED, BackgroundTask

    session = db.session
    record = session.get(BackgroundTask, record_id)
    task = celery.tasks.get(record.name) if record is not None else None
    if task is None:
        return None
    args = json.loads(record.args or "[]")
    record.status = TASK_RETRIED
    session.commit()
    if record.name == run_import.name:
        from .services import import_jobs

        import_jobs.requeue(session, *args)
        return start_import(*args)
    if record.name == run_export.name:
        from .services import export_jobs

        export_jobs.requeue(session, *args)
        return start_export(*args)
    return enqueue(task, *args)


# -- the record of every task, and worker heartbeats --------------------------------------------


def _record(task_id, name, args, **values) -> None:
    from .extensions import db
    from .services import background

    try:
        with app_context():
            background.record_task(db.session, task_id, name, args or (), **values)
    except Exception:  # never let the record break the task itself
        log.exception("could not record task %s", task_id)


@signals.task_prerun.connect
def _task_started(task_id=None, task=None, args=None, **_):
    from .models.background import TASK_RUNNING
    from .services.background import process_name

    _record(task_id, task.name, args, status=TASK_RUNNING, worker=process_name())


@signals.task_success.connect
def _task_done(sender=None, **_):
    from .models.background import TASK_DONE

    _record(sender.request.id, sender.name, sender.request.args, status=TASK_DONE)


@signals.task_retry.connect
def _task_retrying(sender=None, request=None, reason=None, **_):
    from .models.background import TASK_RETRYING

    _record(request.id, sender.name, request.args, status=TASK_RETRYING, error=str(reason))


@signals.task_failure.connect
def _task_failed(sender=None, task_id=None, exception=None, args=None, tb=None, **_):
    from .models.background import TASK_FAILED

    text = "".join(traceback.format_exception(type(exception), exception, tb)) if tb else repr(exception)
    _record(task_id, sender.name, args, status=TASK_FAILED, error=text)


class Heartbeat(threading.Thread):
    """Writes this process's heartbeat every few seconds, so the web knows a worker is alive
    and a job held by a dead process is resumed elsewhere."""

    def __init__(self):
        super().__init__(name="kundregister-heartbeat", daemon=True)
        self.stopping = threading.Event()
        self.started_at = datetime.datetime.now(datetime.UTC).replace(tzinfo=None)

    def beat(self) -> None:
        from .extensions import db
        from .services import background

        with app_context():
            background.heartbeat(db.session, background.process_name(), self.started_at)

    def run(self) -> None:
        interval = max(0.5, flask_app().config.get("BACKGROUND_WORKER_TIMEOUT", 60) / 4)
        while not self.stopping.is_set():
            try:
                self.beat()
            except Exception:
                log.warning("heartbeat failed", exc_info=True)
            self.stopping.wait(interval)

    def stop(self) -> None:
        from .extensions import db
        from .services import background

        self.stopping.set()
        with contextlib.suppress(Exception), app_context():
            background.forget_worker(db.session, background.process_name())


_heartbeat = {"thread": None}


def _start_heartbeat() -> None:
    if _heartbeat["thread"] is None:
        thread = Heartbeat()
        thread.beat()  # alive before the first task is taken
        thread.start()
        _heartbeat["thread"] = thread


def _stop_heartbeat() -> None:
    thread, _heartbeat["thread"] = _heartbeat["thread"], None
    if thread is not None:
        thread.stop()


@signals.worker_process_init.connect
def _child_started(**_):
    """A prefork child: drop the parent's database connections (never share them across a
    fork), then beat for this process, which runs the tasks."""
    app = _flask["app"]
    if app is not None:
        from .extensions import db

        with app.app_context():
            db.engine.dispose(close=False)
        _flask["app"] = None
    _heartbeat["thread"] = None
    _start_heartbeat()


@signals.worker_process_shutdown.connect
def _child_stopping(**_):
    _stop_heartbeat()


@signals.worker_ready.connect
def _worker_ready(sender=None, **_):
    """The main process beats too (with the solo pool it runs the tasks itself), and looks for
    jobs left behind by a worker that died."""
    _start_heartbeat()
    with contextlib.suppress(Exception):
        with app_context():
            recover_jobs.apply()


@signals.worker_shutdown.connect
def _worker_stopping(**_):
    _stop_heartbeat()
