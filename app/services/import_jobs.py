"""Import jobs (F24 on the web): upload, preview, a background run, the report.

State lives in the `import_job` table, so a page reload (or another web worker) finds
the job, its progress and its report. The run itself happens in a thread started by the
request, with its own app context and database session; it writes its progress at every
batch, in the same transaction as the batch.
"""

import contextlib
import datetime
import io
import logging
import threading

from flask import current_app
from flask_appbuilder.security.sqla.models import User
from flask_babel import force_locale
from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, select, update

from ..extensions import db
from ..models.import_job import DONE, FAILED, QUEUED, RUNNING, UPLOADED, ImportJob
from .importer import MODES, Importer, ImportFileInvalid, ImportNotAllowed, ImportReport, open_table, preview

log = logging.getLogger(__name__)

STALE_AFTER = datetime.timedelta(minutes=10)  # a running job without a heartbeat this long was interrupted
KEEP_DAYS = 7


def _now() -> datetime.datetime:
    return datetime.datetime.now(datetime.UTC).replace(tzinfo=None)


def _opener(content: bytes):
    return lambda: io.BytesIO(content)


def create_job(session, user, filename: str, content: bytes, locale: str | None) -> ImportJob:
    """Store an uploaded file as a job after checking that it can be read (ImportFileInvalid)."""
    if not content:
        raise ImportFileInvalid(_l("The file is empty."))
    open_table(_opener(content), filename)  # refuses junk, zip bombs, too many columns… before storing
    session.execute(delete(ImportJob).where(
        ImportJob.user_id == user.id, ImportJob.created_at < _now() - datetime.timedelta(days=KEEP_DAYS)))
    job = ImportJob(user_id=user.id, filename=(filename or "file")[:255], content=content, locale=locale,
                    status=UPLOADED)
    session.add(job)
    session.commit()
    return job


def job_for(session, job_id, user) -> ImportJob | None:
    """The job if it is `user`'s own (others' jobs are not found)."""
    try:
        job_id = int(job_id)
    except (TypeError, ValueError):
        return None
    return session.execute(select(ImportJob).where(ImportJob.id == job_id, ImportJob.user_id == user.id)).scalar()


def job_preview(session, job: ImportJob) -> tuple[list, list]:
    content = session.execute(select(ImportJob.content).where(ImportJob.id == job.id)).scalar()
    if content is None:
        raise ImportFileInvalid(_l("The file of this import is no longer kept; upload it again."))
    return preview(_opener(content), job.filename)


def is_stale(job: ImportJob) -> bool:
    if job.status not in (QUEUED, RUNNING):
        return False
    last = job.heartbeat_at or job.created_at
    return last is not None and _now() - last > STALE_AFTER


def queue_job(session, job: ImportJob, user, mode: str, dry_run: bool, valid_only: bool) -> bool:
    """Mark the job to run; False when it is running already. ImportNotAllowed when the user
    lacks the rights the mode needs."""
    if mode not in MODES:
        raise ImportNotAllowed(_l("Choose how to import."))
    if job.status in (QUEUED, RUNNING) and not is_stale(job):
        return False
    Importer(session, user, mode)  # raises ImportNotAllowed
    has_content = session.execute(select(ImportJob.content.isnot(None)).where(ImportJob.id == job.id)).scalar()
    if not has_content:
        raise ImportFileInvalid(_l("The file of this import is no longer kept; upload it again."))
    job.mode, job.dry_run, job.valid_only = mode, dry_run, valid_only
    job.status, job.phase, job.done_rows, job.report = QUEUED, None, 0, None
    job.heartbeat_at = _now()
    session.commit()
    return True


def start(app, job_id: int, writer) -> threading.Thread:
    """Run the job in a thread; `writer` writes each batch (the import command's `write_batch`)."""
    thread = threading.Thread(target=_thread_main, args=(app, job_id, writer), name=f"import-job-{job_id}",
                              daemon=True)
    thread.start()
    return thread


def _thread_main(app, job_id: int, writer) -> None:
    with app.app_context():
        try:
            run_job(job_id, writer)
        finally:
            db.session.remove()


def acting_as(name: str, user_id: int | None = None):
    """History attribution for changes made outside a request (the history hook, if installed)."""
    try:
        from .history import acting_as as history_acting_as
    except ImportError:  # pragma: no cover - history is a separate feature
        return contextlib.nullcontext()
    return history_acting_as(name, user_id)


def run_job(job_id: int, writer) -> None:
    """Run a queued job to its end (called in the job's thread, or directly)."""
    session = db.session
    claimed = session.execute(update(ImportJob).where(ImportJob.id == job_id, ImportJob.status == QUEUED)
                              .values(status=RUNNING, heartbeat_at=_now())).rowcount
    session.commit()
    if claimed != 1:  # not queued, or another thread took it
        return
    job = session.get(ImportJob, job_id)
    user = session.get(User, job.user_id)
    content = session.execute(select(ImportJob.content).where(ImportJob.id == job_id)).scalar()
    locale = job.locale or current_app.config.get("BABEL_DEFAULT_LOCALE", "sv")
    mode, dry_run, valid_only, filename = job.mode, job.dry_run, job.valid_only, job.filename

    def progress(phase, done, total):
        session.execute(update(ImportJob).where(ImportJob.id == job_id).values(
            phase=phase, done_rows=done, total_rows=total, heartbeat_at=_now()))

    try:
        with force_locale(locale), acting_as(user.username, user.id):
            importer = Importer(session, user, mode, dry_run, valid_only, progress, writer=writer)
            try:
                table = open_table(_opener(content or b""), filename)
            except ImportFileInvalid as exc:
                importer.report.file_error = str(exc.message)
                report, failed = importer.report, None
            else:
                report = importer.run(table)
                failed = importer.failed_rows_file()
    except Exception:
        log.exception("import job %s failed", job_id)
        session.rollback()
        session.execute(update(ImportJob).where(ImportJob.id == job_id).values(status=FAILED, heartbeat_at=_now()))
        session.commit()
        return
    values = {"status": DONE, "report": report.to_json(), "failed_rows": failed, "heartbeat_at": _now()}
    if report.written:
        values["content"] = None  # imported: the file is not kept
    session.execute(update(ImportJob).where(ImportJob.id == job_id).values(**values))
    session.commit()


def job_state(job: ImportJob) -> dict:
    """What the progress bar needs (the status URL answers this as JSON)."""
    status = FAILED if is_stale(job) else job.status
    total = job.total_rows or 0
    percent = min(100, round(100 * job.done_rows / total)) if total else None
    return {"status": status, "phase": job.phase, "done": job.done_rows, "total": job.total_rows,
            "percent": percent}


def job_report(job: ImportJob) -> ImportReport | None:
    return ImportReport.from_json(job.report) if job.report else None


def failed_rows(session, job: ImportJob) -> bytes | None:
    return session.execute(select(ImportJob.failed_rows).where(ImportJob.id == job.id)).scalar()

