"""Upload register (F24): one row per uploaded file and its import run.

The uploaded file and the run's state live here, not in a process, so any web worker
can show the preview and the progress bar, and a page reload finds the job again.
"""

from datetime import datetime

from flask_appbuilder import Model
from sqlalchemy import Boolean, DateTime, ForeignKey, Integer, LargeBinary, String, Text, func
from sqlalchemy.orm import Mapped, deferred, mapped_column

UPLOADED, QUEUED, RUNNING, DONE, FAILED = "uploaded", "queued", "running", "done", "failed"
JOB_STATUSES = (UPLOADED, QUEUED, RUNNING, DONE, FAILED)


class ImportJob(Model):
    __tablename__ = "import_job"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("ab_user.id", ondelete="CASCADE"), nullable=False, index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, nullable=False, server_default=func.now())
    # Touched at every batch: a "running" job whose heartbeat stopped was interrupted.
    heartbeat_at: Mapped[datetime | None] = mapped_column(DateTime)
    status: Mapped[str] = mapped_column(String(16), nullable=False, default=UPLOADED)
    # The Celery task that runs it, and the worker process holding it (with a token per run,
    # so a run that lost its claim cannot commit another batch).
    task_id: Mapped[str | None] = mapped_column(String(64))
    claimed_by: Mapped[str | None] = mapped_column(String(200))
    claim_token: Mapped[str | None] = mapped_column(String(32))
    attempts: Mapped[int] = mapped_column(Integer, nullable=False, default=0, server_default="0")
    filename: Mapped[str] = mapped_column(String(255), nullable=False)
    locale: Mapped[str | None] = mapped_column(String(8))
    mode: Mapped[str] = mapped_column(String(8), nullable=False, default="insert")
    dry_run: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    valid_only: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    # Insert mode refuses rows that look like an existing customer unless this is set.
    allow_duplicates: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False, server_default="0")
    phase: Mapped[str | None] = mapped_column(String(16))  # "checking" or "writing"
    total_rows: Mapped[int | None] = mapped_column(Integer)
    done_rows: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    report: Mapped[str | None] = mapped_column(Text)  # JSON, see importer.ImportReport.to_json
    # The uploaded bytes (cleared when the run ends) and the failed rows with an error column.
    content: Mapped[bytes | None] = deferred(mapped_column(LargeBinary))
    failed_rows: Mapped[bytes | None] = deferred(mapped_column(LargeBinary))
