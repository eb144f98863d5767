"""Large exports (F22) as background jobs: a worker writes the file, the user gets a
progress bar and then a download link. Small exports stream straight from the request
(app/views/import_export.py); an export of at least EXPORT_BACKGROUND_FROM customers
would hold a web worker for minutes, so it becomes a job.

The job stores the list's URL arguments, format and language; the worker resolves the list
again as that user (columns, filters, row rights, personnummer masking), so the file is
exactly what the user would have downloaded. The file is kept in the job row (any web
worker can serve it) and removed with the job after JOBS_KEEP_DAYS.
"""

import datetime
import json
import logging
import tempfile

from flask import current_app
from flask_appbuilder.security.sqla.models import User
from flask_babel import force_locale
from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, select, update
from werkzeug.datastructures import MultiDict

from ..extensions import db
from ..models.background import EXPORT_DONE, EXPORT_FAILED, EXPORT_QUEUED, EXPORT_RUNNING, ExportJob
from . import background, exporter
from .list_choice import resolve_list
from .search import count_matches, filtered_query

log = logging.getLogger(__name__)

PROGRESS_EVERY = 2000  # rows between two progress updates


def needs_background(session, listing, user) -> bool:
    """True when the export holds at least EXPORT_BACKGROUND_FROM customers."""
    threshold = current_app.config.get("EXPORT_BACKGROUND_FROM", 5000)
    dialect = session.get_bind().dialect.name
    count, _exact = count_matches(session, filtered_query(listing.search, user, listing.fields, dialect),
                                  threshold)
    return count >= threshold


def create_job(session, user, args: MultiDict, fmt: str, all_columns: bool, locale: str | None) -> ExportJob:
    if fmt not in exporter.FORMATS:
        raise exporter.ExportInvalid(fmt)
    job = ExportJob(user_id=user.id, fmt=fmt, all_columns=all_columns, locale=locale, status=EXPORT_QUEUED,
                    args=json.dumps({k: args.getlist(k) for k in args if k not in ("format", "columns")}),
                    heartbeat_at=background.now(), done_rows=0, attempts=0)
    session.add(job)
    session.commit()
    return job


def job_for(session, job_id, user) -> ExportJob | None:
    """The job if it is `user`'s own (others' jobs are not found)."""
    return session.execute(select(ExportJob).where(ExportJob.id == job_id, ExportJob.user_id == user.id)).scalar()


def set_task(session, job_id: int, task_id: str) -> None:
    session.execute(update(ExportJob).where(ExportJob.id == job_id)
                    .values(task_id=task_id, heartbeat_at=background.now()))
    session.commit()


def requeue(session, job_id: int) -> bool:
    changed = session.execute(update(ExportJob).where(ExportJob.id == job_id, ExportJob.status == EXPORT_FAILED)
                              .values(status=EXPORT_QUEUED, claimed_by=None, claim_token=None, attempts=0,
                                      heartbeat_at=background.now())).rowcount
    session.commit()
    return changed == 1


def run_job(job_id: int) -> str:
    """Write the export of a queued job ("done", "failed" or "skipped"). An interrupted export
    simply starts again: it writes nothing but its own file."""
    session = db.session
    token = background.claim(session, ExportJob, job_id, EXPORT_QUEUED, EXPORT_RUNNING)
    if token is None:
        return "skipped"
    job = session.get(ExportJob, job_id)
    if job.attempts > background.MAX_ATTEMPTS:
        _finish(session, job_id, token, status=EXPORT_FAILED)
        return "failed"
    user = session.get(User, job.user_id)
    fmt, all_columns, args = job.fmt, job.all_columns, MultiDict(json.loads(job.args or "{}"))
    locale = job.locale or current_app.config.get("BABEL_DEFAULT_LOCALE", "sv")
    # Progress goes through its own connection: the export reads in one long transaction (a
    # server-side cursor on PostgreSQL). SQLite allows no second writer meanwhile: there the
    # bar shows the count only at the end.
    live_progress = session.get_bind().dialect.name != "sqlite"
    try:
        with force_locale(locale), tempfile.TemporaryFile() as handle:
            listing = resolve_list(session, args, user)
            dialect = session.get_bind().dialect.name
            total, _exact = count_matches(session, filtered_query(listing.search, user, listing.fields, dialect),
                                          10_000_000)
            background.still_ours(session, ExportJob, job_id, token, total_rows=total, done_rows=0)
            session.commit()
            columns = exporter.export_columns(listing, all_columns)
            count = 0

            def counted():
                nonlocal count
                for row in exporter.customers_for_export(session, listing, user, columns):
                    count += 1
                    if live_progress and count % PROGRESS_EVERY == 0:
                        _progress(job_id, token, count)
                    yield row

            if fmt == "csv":
                for chunk in exporter.csv_chunks(columns, counted(), listing.context):
                    handle.write(chunk)
            else:
                exporter.write_xlsx(handle, columns, counted(), listing.context)
            session.commit()
            handle.seek(0)
            content = handle.read()
            name = f"{_l('customers')}-{datetime.date.today().isoformat()}.{fmt}"
    except background.ClaimLost:
        session.rollback()
        return "skipped"
    except Exception:
        session.rollback()
        _finish(session, job_id, token, status=EXPORT_FAILED)
        raise
    _finish(session, job_id, token, status=EXPORT_DONE, content=content, filename=name, done_rows=count,
            total_rows=count)
    return "done"


def _progress(job_id: int, token: str, done: int) -> None:
    with db.engine.begin() as connection:
        connection.execute(update(ExportJob).where(ExportJob.id == job_id, ExportJob.claim_token == token)
                           .values(done_rows=done, heartbeat_at=background.now()))


def _finish(session, job_id: int, token: str, **values) -> None:
    try:
        background.still_ours(session, ExportJob, job_id, token, **values)
    except background.ClaimLost:
        session.rollback()
        return
    session.commit()


def job_state(session, job: ExportJob) -> dict:
    total = job.total_rows or 0
    percent = min(100, round(100 * job.done_rows / total)) if total else None
    waiting = False
    if job.status == EXPORT_QUEUED:
        waiting = background.waiting_for_worker(session, job.heartbeat_at or job.created_at)
    elif job.status == EXPORT_RUNNING:
        waiting = job.claimed_by is not None and background.orphaned(session, job.claimed_by)
    return {"status": job.status, "done": job.done_rows, "total": job.total_rows, "percent": percent,
            "waiting": waiting}


def content_of(session, job: ExportJob) -> bytes | None:
    return session.execute(select(ExportJob.content).where(ExportJob.id == job.id)).scalar()


def delete_old_jobs(session, keep_days: int) -> int:
    deleted = session.execute(delete(ExportJob).where(
        ExportJob.created_at < background.now() - datetime.timedelta(days=keep_days),
        ExportJob.status.notin_((EXPORT_QUEUED, EXPORT_RUNNING)))).rowcount
    session.commit()
    return deleted
