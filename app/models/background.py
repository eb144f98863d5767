"""Background work (Celery): the workers that are alive, the tasks they were given, and
large exports. The broker only rings the bell; what has to happen, and how far it got,
is here in the database, so a lost message or a killed worker loses nothing."""

from datetime import datetime

from flask_appbuilder import Model
from sqlalchemy import Boolean, DateTime, ForeignKey, Index, Integer, LargeBinary, String, Text, func
from sqlalchemy.orm import Mapped, deferred, mapped_column

# Task states as the admin page shows them.
TASK_QUEUED, TASK_RUNNING, TASK_RETRYING, TASK_FAILED, TASK_DONE = "queued", "running", "retrying", "failed", "done"
TASK_RETRIED = "retried"  # an administrator sent it again; the new run has its own row


class BackgroundWorker(Model):
    """One process that runs tasks (`host:pid`), with a heartbeat written by a thread in it."""

    __tablename__ = "background_worker"

    name: Mapped[str] = mapped_column(String(200), primary_key=True)
    started_at: Mapped[datetime] = mapped_column(DateTime, nullable=False)
    seen_at: Mapped[datetime] = mapped_column(DateTime, nullable=False)


class BackgroundTask(Model):
    """One task sent to the workers (one row per task id; redeliveries and retries update it)."""

    __tablename__ = "background_task"
    __table_args__ = (Index("ix_background_task_status_queued", "status", "queued_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    task_id: Mapped[str] = mapped_column(String(64), unique=True, nullable=False)
    name: Mapped[str] = mapped_column(String(100), nullable=False)
    args: Mapped[str] = mapped_column(Text, nullable=False, default="[]")  # JSON
    status: Mapped[str] = mapped_column(String(10), nullable=False, default=TASK_QUEUED)
    attempts: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    worker: Mapped[str | None] = mapped_column(String(200))
    error: Mapped[str | None] = mapped_column(Text)
    queued_at: Mapped[datetime] = mapped_column(DateTime, nullable=False)
    started_at: Mapped[datetime | None] = mapped_column(DateTime)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime)


EXPORT_QUEUED, EXPORT_RUNNING, EXPORT_DONE, EXPORT_FAILED = "queued", "running", "done", "failed"


class ExportJob(Model):
    """A large export (F22) written by a worker; the file is kept here until it is cleaned up."""

    __tablename__ = "export_job"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("ab_user.id", ondelete="CASCADE"), nullable=False, index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, nullable=False, server_default=func.now())
    heartbeat_at: Mapped[datetime | None] = mapped_column(DateTime)
    status: Mapped[str] = mapped_column(String(16), nullable=False, default=EXPORT_QUEUED)
    task_id: Mapped[str | None] = mapped_column(String(64))
    claimed_by: Mapped[str | None] = mapped_column(String(200))
    claim_token: Mapped[str | None] = mapped_column(String(32))
    attempts: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    fmt: Mapped[str] = mapped_column(String(8), nullable=False)
    all_columns: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    args: Mapped[str] = mapped_column(Text, nullable=False, default="{}")  # the list's URL arguments, JSON
    locale: Mapped[str | None] = mapped_column(String(8))
    total_rows: Mapped[int | None] = mapped_column(Integer)
    done_rows: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    filename: Mapped[str | None] = mapped_column(String(255))
    content: Mapped[bytes | None] = deferred(mapped_column(LargeBinary))
