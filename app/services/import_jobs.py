"""Import jobs (F24 on the web): upload, preview, a background run, the report.

State lives in the `import_job` table, so a page reload (or another web worker) finds
the job, its progress and its report. The run itself is a Celery task (app.tasks) in a
worker process; it claims the job, writes its progress at every batch in the same
transaction as the batch, and a run interrupted by a dying worker is resumed by the next
task for the job where it stopped (see app/services/background.py).
"""

import contextlib
import datetime
import io
import logging

from flask import current_app
from flask_appbuilder.security.sqla.models import User
from flask_babel import force_locale
from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, select, update

from ..extensions import db
from ..models.import_job import DONE, FAILED, QUEUED, RUNNING, UPLOADED, ImportJob
from . import background
from .importer import (
    MODES,
    Importer,
    ImportFileInvalid,
    ImportNotAllowed,
    ImportReport,
    ResumePoint,
    open_table,
    preview,
)

log = logging.getLogger(__name__)

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


def is_interrupted(session, job: ImportJob) -> bool:
    """Running in a process that is gone: the job waits to be resumed."""
    return job.status == RUNNING and background.orphaned(session, job.claimed_by) and job.claimed_by is not None


def queue_job(session, job: ImportJob, user, mode: str, dry_run: bool, valid_only: bool,
              allow_duplicates: bool = False) -> bool:
    """Mark the job to run; False when it is queued or running already. ImportNotAllowed when
    the user lacks the rights the mode needs. The caller then sends the task (app.tasks)."""
    if mode not in MODES:
        raise ImportNotAllowed(_l("Choose how to import."))
    if job.status in (QUEUED, RUNNING):
        return False
    Importer(session, user, mode)  # raises ImportNotAllowed
    has_content = session.execute(select(ImportJob.content.isnot(None)).where(ImportJob.id == job.id)).scalar()
    if not has_content:
        raise ImportFileInvalid(_l("The file of this import is no longer kept; upload it again."))
    job.mode, job.dry_run, job.valid_only = mode, dry_run, valid_only
    job.allow_duplicates = allow_duplicates
    job.status, job.phase, job.done_rows, job.total_rows, job.report = QUEUED, None, 0, None, None
    job.failed_rows = None
    job.claimed_by = job.claim_token = None
    job.attempts = 0
    job.heartbeat_at = _now()
    session.commit()
    return True


def requeue(session, job_id: int) -> bool:
    """Queue a failed job again (the administrator's retry); it resumes where it stopped."""
    changed = session.execute(update(ImportJob).where(ImportJob.id == job_id, ImportJob.status == FAILED)
                              .values(status=QUEUED, claimed_by=None, claim_token=None, attempts=0,
                                      heartbeat_at=_now())).rowcount
    session.commit()
    return changed == 1


def acting_as(name: str, user_id: int | None = None):
    """History attribution for changes made outside a request (the history hook, if installed)."""
    try:
        from .history import acting_as as history_acting_as
    except ImportError:  # pragma: no cover - history is a separate feature
        return contextlib.nullcontext()
    return history_acting_as(name, user_id)


def _resume_point(job: ImportJob, failed: bytes | None) -> ResumePoint | None:
    """Where an interrupted run of `job` stopped, if it had begun writing."""
    if job.dry_run or job.phase != "writing" or not job.report:
        return None
    return ResumePoint(job.done_rows or 0, ImportReport.from_json(job.report), failed)


def run_job(job_id: int, writer) -> str:
    """Run a queued job to its end, or resume it when its process died; returns what happened
    ("done", "failed", or "skipped" when the job is not this process's to run); `writer` writes each
    batch (the import command's `write_batch`). Every batch
    commits its customers, their history and the job's progress (with the report so far) in
    one transaction, so a resumed run writes each row exactly once."""
    session = db.session
    token = background.claim(session, ImportJob, job_id, QUEUED, RUNNING)
    if token is None:
        return "skipped"
    job = session.get(ImportJob, job_id)
    if job.attempts > background.MAX_ATTEMPTS:
        _finish(session, job_id, token, status=FAILED)
        log.error("import job %s given up after %s attempts", job_id, job.attempts - 1)
        return "failed"
    user = session.get(User, job.user_id)
    content = session.execute(select(ImportJob.content).where(ImportJob.id == job_id)).scalar()
    failed_so_far = session.execute(select(ImportJob.failed_rows).where(ImportJob.id == job_id)).scalar()
    locale = job.locale or current_app.config.get("BABEL_DEFAULT_LOCALE", "sv")
    mode, dry_run, valid_only, filename = job.mode, job.dry_run, job.valid_only, job.filename
    allow_duplicates = job.allow_duplicates
    resume = _resume_point(job, failed_so_far)
    session.commit()
    importer = None
    saved = {"failed": resume.report.failed_rows if resume else 0}

    def progress(phase, done, total):
        """In the batch's transaction: the batch and this progress commit together, or neither."""
        values = {"phase": phase, "done_rows": done, "total_rows": total}
        if phase == "writing" and importer is not None:
            values["report"] = importer.report.to_json()
            if importer.report.failed_rows != saved["failed"]:
                values["failed_rows"] = importer.failed_rows_file()
                saved["failed"] = importer.report.failed_rows
        background.still_ours(session, ImportJob, job_id, token, **values)

    try:
        with force_locale(locale), acting_as(user.username, user.id):
            importer = Importer(session, user, mode, dry_run, valid_only, progress,
                                batch_size=current_app.config.get("IMPORT_BATCH_SIZE", 500), resume=resume, writer=writer,
                                allow_duplicates=allow_duplicates)
            try:
                table = open_table(_opener(content or b""), filename)
            except ImportFileInvalid as exc:
                importer.report.file_error = str(exc.message)
                report, failed = importer.report, None
            else:
                report = importer.run(table)
                failed = importer.failed_rows_file()
    except background.ClaimLost:
        session.rollback()
        log.warning("import job %s was taken over by another worker", job_id)
        return "skipped"
    except ImportNotAllowed:  # the user lost the right since queueing
        session.rollback()
        _finish(session, job_id, token, status=FAILED)
        return "failed"
    except Exception:
        session.rollback()
        _finish(session, job_id, token, status=FAILED)
        raise  # the task is recorded as failed, with the error, for the administrator
    values = {"status": DONE, "report": report.to_json(), "failed_rows": failed}
    if report.written:
        values["content"] = None  # imported: the file is not kept
    _finish(session, job_id, token, **values)
    return "done"


def _finish(session, job_id: int, token: str, **values) -> None:
    try:
        background.still_ours(session, ImportJob, job_id, token, **values)
    except background.ClaimLost:
        session.rollback()
        return
    session.commit()


def job_state(session, job: ImportJob) -> dict:
    """What the progress bar needs (the status URL answers this as JSON). `waiting` says that
    the job waits for a worker: none is running, or the one running it stopped."""
    total = job.total_rows or 0
    percent = min(100, round(100 * job.done_rows / total)) if total else None
    waiting = False
    if job.status == QUEUED:
        waiting = background.waiting_for_worker(session, job.heartbeat_at or job.created_at)
    elif job.status == RUNNING:
        waiting = is_interrupted(session, job)
    return {"status": job.status, "phase": job.phase, "done": job.done_rows, "total": job.total_rows,
            "percent": percent, "waiting": waiting}


def set_task(session, job_id: int, task_id: str) -> None:
    session.execute(update(ImportJob).where(ImportJob.id == job_id).values(task_id=task_id, heartbeat_at=_now()))
    session.commit()


def delete_old_jobs(session, keep_days: int) -> int:
    """Jobs (with their stored file and failed rows) older than `keep_days`, unless running."""
    deleted = session.execute(delete(ImportJob).where(
        ImportJob.created_at < _now() - datetime.timedelta(days=keep_days),
        ImportJob.status.notin_((QUEUED, RUNNING)))).rowcount
    session.commit()
    return deleted


def job_report(job: ImportJob) -> ImportReport | None:
    return ImportReport.from_json(job.report) if job.report else None


def failed_rows(session, job: ImportJob) -> bytes | None:
    return session.execute(select(ImportJob.failed_rows).where(ImportJob.id == job.id)).scalar()

