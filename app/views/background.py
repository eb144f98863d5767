"""The administrator's page of background work: live workers, and queued, running and
failed tasks, with a retry for the failed ones. Only the Admin role holds its permission
(`flask init-security` gives Admin every permission; no other built-in role lists it)."""

from flask import abort, flash, redirect, url_for
from flask_appbuilder import BaseView, expose, has_access
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm

from .. import tasks
from ..extensions import db
from ..models.background import TASK_FAILED, TASK_RETRYING, BackgroundTask
from ..services import background

TASK_LABELS = {
    "app.tasks.run_import": _l("Upload register"),
    "app.tasks.run_export": _l("Export"),
    "app.tasks.deliver_outbox": _l("Send e-mail"),
    "app.tasks.check_documents": _l("Documents check"),
    "app.tasks.clean_up": _l("Clean-up"),
    "app.tasks.recover_jobs": _l("Resume interrupted jobs"),
    "app.tasks.pull_accounting": _l("Fetch changes from the accounting systems"),
}
STATUS_LABELS = {"queued": _l("Queued"), "running": _l("Running"), "retrying": _l("Waiting to retry"),
                 "failed": _l("Failed")}


class BackgroundJobsView(BaseView):
    route_base = "/admin/background"
    default_view = "index"

    @expose("/")
    @has_access
    def index(self):
        session = db.session
        return self.render_template(
            "background.html", title=_l("Background jobs"), workers=background.live_workers(session),
            records=background.open_tasks(session), task_labels=TASK_LABELS, status_labels=STATUS_LABELS,
            form=FlaskForm(), retriable=(TASK_FAILED, TASK_RETRYING))

    @expose("/<int:record_id>/retry", methods=["POST"])
    @has_access
    def retry(self, record_id):
        if not FlaskForm().validate_on_submit():
            abort(400)
        record = db.session.get(BackgroundTask, record_id)
        if record is None or record.status not in (TASK_FAILED, TASK_RETRYING):
            abort(404)
        if tasks.retry(record_id) is None:
            abort(404)
        flash(_l("The task was sent again."), "success")
        return redirect(url_for(".index"))
