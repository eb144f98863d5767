"""Background work without Celery in it: which worker processes are alive, claiming a job
for one process, and whether queued work is waiting for a worker. The tasks (app/tasks.py),
the web and the command line share these rules.

A job row (import, export) is the truth about a piece of work; the broker only says
"look at job 7". A process claims a job by writing its name and a fresh token on the row
in a short transaction, and writes every step of progress with `WHERE claim_token = …`
in the same transaction as the step, so a process that lost its claim cannot commit
another step. A claim is free again when its process stopped sending heartbeats: the
job is then resumed by the next task sent for it (beat sends one for every orphan).
"""

import datetime
import json
import os
import socket
import uuid

from flask import current_app
from sqlalchemy import delete, func, select, update

from ..models.background import (
    TASK_DONE,
    TASK_FAILED,
    TASK_QUEUED,
    TASK_RETRYING,
    TASK_RUNNING,
    BackgroundTask,
    BackgroundWorker,
)

MAX_ATTEMPTS = 5  # claims of one job before it is given up (a job that kills its worker every time)


class ClaimLost(RuntimeError):
    """Another process took this job over (we were thought dead): stop without committing."""


def now() -> datetime.datetime:
    return datetime.datetime.now(datetime.UTC).replace(tzinfo=None)


def process_name() -> str:
    """This process as workers know it: `host:pid` (one task at a time per process)."""
    return f"{socket.gethostname()}:{os.getpid()}"


def _timeout() -> datetime.timedelta:
    return datetime.timedelta(seconds=current_app.config.get("BACKGROUND_WORKER_TIMEOUT", 60))


# -- worker heartbeats -------------------------------------------------------------------------


def heartbeat(session, name: str, started_at: datetime.datetime) -> None:
    """Record that process `name` is alive (called every few seconds by a thread in it)."""
    moment = now()
    if session.execute(update(BackgroundWorker).where(BackgroundWorker.name == name)
                       .values(seen_at=moment, started_at=started_at)).rowcount == 0:
        session.add(BackgroundWorker(name=name, started_at=started_at, seen_at=moment))
    session.commit()


def forget_worker(session, name: str) -> None:
    session.execute(delete(BackgroundWorker).where(BackgroundWorker.name == name))
    session.commit()


def live_workers(session) -> list[BackgroundWorker]:
    return list(session.execute(select(BackgroundWorker).where(BackgroundWorker.seen_at >= now() - _timeout())
                                .order_by(BackgroundWorker.name)).scalars())


def is_alive(session, name: str | None) -> bool:
    if not name:
        return False
    return session.execute(select(func.count()).select_from(BackgroundWorker).where(
        BackgroundWorker.name == name, BackgroundWorker.seen_at >= now() - _timeout())).scalar() > 0


def any_worker_alive(session) -> bool:
    if current_app.config.get("CELERY_TASK_ALWAYS_EAGER"):
        return True  # tasks run in the process that sends them
    return session.execute(select(func.count()).select_from(BackgroundWorker)
                           .where(BackgroundWorker.seen_at >= now() - _timeout())).scalar() > 0


def waiting_for_worker(session, since: datetime.datetime | None) -> bool:
    """True when work queued at `since` has waited long enough and no worker is alive to take it."""
    if since is None:
        return False
    waited = (now() - since).total_seconds()
    return waited >= current_app.config.get("BACKGROUND_WAITING_AFTER", 10) and not any_worker_alive(session)


# -- claiming a job row --------------------------------------------------------------------------


def orphaned(session, claimed_by: str | None) -> bool:
    """A running job whose process is gone. This very process counts as gone too: it runs one
    task at a time (prefork or solo pool), so a claim it holds is left over from an earlier task."""
    return claimed_by is None or claimed_by == process_name() or not is_alive(session, claimed_by)


def claim(session, model, job_id: int, queued: str, running: str) -> str | None:
    """Claim job `job_id` of `model` for this process; returns the claim token, or None when the
    job is not ours to run (done, failed, or running in a live process)."""
    session.rollback()
    job = session.get(model, job_id, populate_existing=True)
    if job is None:
        return None
    if job.status == running:
        if not orphaned(session, job.claimed_by):
            return None
    elif job.status != queued:
        return None
    token = uuid.uuid4().hex
    condition = [model.id == job_id, model.status == job.status]
    condition.append(model.claim_token.is_(None) if job.claim_token is None else model.claim_token == job.claim_token)
    claimed = session.execute(update(model).where(*condition).values(
        status=running, claimed_by=process_name(), claim_token=token, heartbeat_at=now(),
        attempts=model.attempts + 1)).rowcount
    session.commit()
    return token if claimed == 1 else None


def still_ours(session, model, job_id: int, token: str, **values) -> None:
    """Write `values` on the job in the caller's transaction, or raise ClaimLost."""
    values.setdefault("heartbeat_at", now())
    if session.execute(update(model).where(model.id == job_id, model.claim_token == token)
                       .values(**values)).rowcount != 1:
        raise ClaimLost(f"{model.__tablename__} {job_id}")


def release(session, model, job_id: int, token: str, queued: str) -> None:
    """Give a claimed job back to the queue (an outside failure: a later task resumes it)."""
    session.rollback()
    session.execute(update(model).where(model.id == job_id, model.claim_token == token)
                    .values(status=queued, claimed_by=None, claim_token=None))
    session.commit()


def orphans(session, model, queued: str, running: str, requeue_after: datetime.timedelta) -> list[int]:
    """Ids of jobs that need a task: running in a dead process, or queued long ago (its message
    may have been lost with a server-less broker or a broker outage)."""
    found = []
    for job_id, claimed_by in session.execute(select(model.id, model.claimed_by).where(model.status == running)):
        if claimed_by is None or not is_alive(session, claimed_by):
            found.append(job_id)
    found += session.execute(select(model.id).where(
        model.status == queued, func.coalesce(model.heartbeat_at, model.created_at) < now() - requeue_after)
    ).scalars().all()
    return found


# -- the record of sent tasks (the administrator's page) ----------------------------------------


def record_task(session, task_id: str, name: str, args=(), *, status: str, error: str | None = None,
                worker: str | None = None) -> None:
    """Create or update the record of task `task_id` and commit it."""
    moment = now()
    row = session.execute(select(BackgroundTask).where(BackgroundTask.task_id == task_id)).scalar()
    if row is None:
        row = BackgroundTask(task_id=task_id, name=name[:100], args=json.dumps(list(args)), queued_at=moment,
                             attempts=0)
        session.add(row)
    row.status = status
    if status == TASK_RUNNING:
        row.attempts = (row.attempts or 0) + 1
        row.started_at, row.finished_at, row.worker = moment, None, worker
    elif status in (TASK_DONE, TASK_FAILED, TASK_RETRYING):
        row.finished_at = moment
    if error is not None or status in (TASK_DONE, TASK_RUNNING):
        row.error = error[:4000] if error else None
    session.commit()


def open_tasks(session, limit: int = 200) -> list[BackgroundTask]:
    """Queued, running, retrying and failed tasks, newest first."""
    return list(session.execute(
        select(BackgroundTask).where(BackgroundTask.status.in_((TASK_QUEUED, TASK_RUNNING, TASK_RETRYING,
                                                                 TASK_FAILED)))
        .order_by(BackgroundTask.queued_at.desc(), BackgroundTask.id.desc()).limit(limit)).scalars())


def forget_old_records(session, before: datetime.datetime) -> int:
    deleted = session.execute(delete(BackgroundTask).where(
        BackgroundTask.status.notin_((TASK_QUEUED, TASK_RUNNING)), BackgroundTask.queued_at < before)).rowcount
    deleted += session.execute(delete(BackgroundWorker).where(BackgroundWorker.seen_at < before)).rowcount
    session.commit()
    return deleted
