"""Upload register (F24), export (F22) and the list's column chooser (F23).

Thin: parse the request, call app/services, render. Import needs Create or Edit (the
mode's own right is checked again by the service); export and the column chooser need
View or View only assigned, and the export goes through the list's scoped query.
"""

import datetime
import io

from flask import (
    Response,
    abort,
    flash,
    jsonify,
    redirect,
    request,
    send_file,
    stream_with_context,
    url_for,
)
from flask_appbuilder import BaseView, expose
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from werkzeug.datastructures import MultiDict
from wtforms import BooleanField, RadioField

from .. import tasks
from ..extensions import db
from ..models.background import EXPORT_DONE
from ..models.import_job import DONE, FAILED, QUEUED, RUNNING, UPLOADED
from ..security.access import requires, user_can
from ..security.rights import CREATE, CUSTOMER, CUSTOMER_PERMISSIONS, EDIT, VIEW, VIEW_ASSIGNED
from ..services import export_jobs, exporter
from ..services import import_jobs as jobs
from ..services import list_choice as lc
from ..services.importer import (
    INSERT,
    UPDATE,
    UPSERT,
    ImportFileInvalid,
    ImportNotAllowed,
    template_columns,
    template_notes,
)

MODE_LABELS = {
    INSERT: _l("Add new customers"),
    UPDATE: _l("Update existing customers (by customer number)"),
    UPSERT: _l("Add new and update existing customers"),
}
MODE_RIGHTS = {INSERT: (CREATE,), UPDATE: (EDIT,), UPSERT: (CREATE, EDIT)}
PHASE_LABELS = {"checking": _l("Checking"), "writing": _l("Importing")}
WAITING = _l("Background work is waiting: no background worker is running right now. The job starts (or "
             "continues where it stopped) as soon as one is; nothing is lost.")


class UploadForm(FlaskForm):
    file = FileField(_l("File (Excel .xlsx or CSV)"))


class RunForm(FlaskForm):
    mode = RadioField(_l("How to import"), choices=[], default=INSERT)
    valid_only = BooleanField(_l("Import the valid rows and report the others"))
    allow_duplicates = BooleanField(_l("Also add customers that may already exist (possible duplicates)"))


def _allowed_modes() -> list[str]:
    return [mode for mode, rights in MODE_RIGHTS.items() if all(user_can(r) for r in rights)]


def _run_form(formdata=None) -> RunForm:
    """The run form, from the request (or from `formdata`: the last run's choices)."""
    form = RunForm() if formdata is None else RunForm(formdata=formdata)
    form.mode.choices = [(m, MODE_LABELS[m]) for m in _allowed_modes()]
    return form


EXPORT_NAME = _l("customers")  # file names: kunder-2026-11-27.csv
ERRORS_NAME = _l("errors")
TEMPLATE_NAME = _l("customer-register-template")


def _download_name(extension: str) -> str:
    return f"{EXPORT_NAME}-{datetime.date.today().isoformat()}.{extension}"


class ImportExportView(BaseView):
    route_base = "/customers"
    class_permission_name = CUSTOMER
    base_permissions = CUSTOMER_PERMISSIONS  # the same set as every "Customer" view (FAB-NOTES §2.1)
    default_view = "upload"

    # -- upload register (F24) --------------------------------------------------------------
    @expose("/import", methods=["GET", "POST"])
    @requires(CREATE, EDIT)
    def upload(self):
        form = UploadForm()
        error = None
        if form.validate_on_submit():
            upload = request.files.get("file")
            if upload is None or not upload.filename:
                error = _l("Choose a file.")
            else:
                locale = get_locale()
                try:
                    job = jobs.create_job(db.session, current_user, upload.filename, upload.read(),
                                          str(locale) if locale else None)
                except ImportFileInvalid as exc:
                    error = exc.message
                else:
                    return redirect(url_for(".job", job_id=job.id))
        elif request.method == "POST":
            error = _l("The form expired; try again.")
        return self.render_template("customers/import_upload.html", form=form, error=error,
                                    title=_l("Upload register")), (400 if error else 200)

    def _job_or_404(self, job_id):
        job = jobs.job_for(db.session, job_id, current_user)
        if job is None:
            abort(404)
        return job

    @expose("/import/<int:job_id>")
    @requires(CREATE, EDIT)
    def job(self, job_id):
        job = self._job_or_404(job_id)
        state = jobs.job_state(db.session, job)
        context = {"job": job, "state": state, "title": _l("Upload register"), "phase_labels": PHASE_LABELS,
                   "mode_labels": MODE_LABELS, "waiting_message": WAITING}
        if state["status"] in (QUEUED, RUNNING):
            return self.render_template("customers/import_job.html", view="progress", **context)
        if state["status"] == FAILED:
            return self.render_template("customers/import_job.html", view="failed", **context)
        report = jobs.job_report(job) if job.status == DONE else None
        form = _run_form(MultiDict({"mode": job.mode, "valid_only": "y" if job.valid_only else ""})
                         if report is not None else None)
        mapping, rows, error = [], [], None
        if job.status == UPLOADED:
            try:
                mapping, rows = jobs.job_preview(db.session, job)
            except ImportFileInvalid as exc:
                error = exc.message
        rerun = report is not None and not report.written and not report.file_error
        return self.render_template(
            "customers/import_job.html", view="report" if report is not None else "preview", form=form,
            report=report, mapping=mapping, rows=rows, error=error, rerun=rerun,
            mapping_rows=[[m.header, m.label or None, m.note] for m in mapping], **context)

    @expose("/import/<int:job_id>/run", methods=["POST"])
    @requires(CREATE, EDIT)
    def run(self, job_id):
        job = self._job_or_404(job_id)
        form = _run_form()
        if not form.validate_on_submit():
            flash(_l("Choose how to import."), "danger")
            return redirect(url_for(".job", job_id=job.id))
        try:
            queued = jobs.queue_job(db.session, job, current_user, form.mode.data,
                                    request.form.get("dry_run") == "1", form.valid_only.data,
                                    allow_duplicates=form.allow_duplicates.data)
        except ImportNotAllowed:
            abort(403)
        except ImportFileInvalid as exc:
            flash(exc.message, "danger")
            return redirect(url_for(".upload"))
        if queued:
            tasks.start_import(job.id)
        return redirect(url_for(".job", job_id=job.id))

    @expose("/import/<int:job_id>/status")
    @requires(CREATE, EDIT)
    def status(self, job_id):
        job = self._job_or_404(job_id)
        state = jobs.job_state(db.session, job)
        state["phase_label"] = str(PHASE_LABELS.get(state["phase"], ""))
        state["waiting_message"] = str(WAITING) if state["waiting"] else ""
        return jsonify(state)

    @expose("/import/<int:job_id>/failed-rows")
    @requires(CREATE, EDIT)
    def failed_rows(self, job_id):
        job = self._job_or_404(job_id)
        content = jobs.failed_rows(db.session, job)
        if not content:
            abort(404)
        name = f"{job.filename.rsplit('.', 1)[0]}-{ERRORS_NAME}.csv"
        return send_file(io.BytesIO(content), mimetype="text/csv", as_attachment=True, download_name=name)

    @expose("/import/template.<fmt>")
    @requires(CREATE, EDIT)
    def template(self, fmt):
        if fmt not in exporter.FORMATS:
            abort(404)
        listing = lc.resolve_list(db.session, {}, current_user)
        columns = template_columns(listing.settings, listing.fields)
        name = f"{TEMPLATE_NAME}.{fmt}"
        if fmt == "csv":
            content = b"".join(exporter.csv_chunks(columns, [], listing.context))
            return send_file(io.BytesIO(content), mimetype="text/csv", as_attachment=True, download_name=name)
        from openpyxl import Workbook

        workbook = Workbook()
        sheet = workbook.active
        sheet.title = str(_l("Customers"))[:31]
        sheet.append([c.title for c in columns])
        help_sheet = workbook.create_sheet(str(_l("Instructions"))[:31])
        help_sheet.append([str(_l("Column")), str(_l("What to enter"))])
        for column in columns:
            help_sheet.append([column.title, template_notes(column)])
        buffer = io.BytesIO()
        workbook.save(buffer)
        buffer.seek(0)
        return send_file(buffer, as_attachment=True, download_name=name,
                         mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")

    # -- export (F22) -------------------------------------------------------------------------
    @expose("/export")
    @requires(VIEW, VIEW_ASSIGNED)
    def export(self):
        fmt = request.args.get("format", "csv")
        if fmt not in exporter.FORMATS:
            abort(400)
        session = db.session
        listing = lc.resolve_list(session, request.args, current_user)
        all_columns = request.args.get("columns") == "all"
        if export_jobs.needs_background(session, listing, current_user):  # written by a worker
            locale = get_locale()
            job = export_jobs.create_job(session, current_user, request.args, fmt, all_columns,
                                         str(locale) if locale else None)
            tasks.start_export(job.id)
            return redirect(url_for(".export_job", job_id=job.id))
        columns = exporter.export_columns(listing, all_columns)
        customers = exporter.customers_for_export(session, listing, current_user, columns)
        if fmt == "csv":
            response = Response(stream_with_context(exporter.csv_chunks(columns, customers, listing.context)),
                                mimetype="text/csv; charset=utf-8")
        else:
            handle = exporter.xlsx_file(columns, customers, listing.context)
            response = Response(exporter.file_chunks(handle),
                                mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
        response.headers["Content-Disposition"] = f'attachment; filename="{_download_name(fmt)}"'
        response.headers["Cache-Control"] = "no-store"
        return response

    def _export_job_or_404(self, job_id):
        job = export_jobs.job_for(db.session, job_id, current_user)
        if job is None:
            abort(404)
        return job

    @expose("/export/<int:job_id>")
    @requires(VIEW, VIEW_ASSIGNED)
    def export_job(self, job_id):
        job = self._export_job_or_404(job_id)
        state = export_jobs.job_state(db.session, job)
        return self.render_template("customers/export_job.html", job=job, state=state, waiting_message=WAITING,
                                    title=_l("Export"))

    @expose("/export/<int:job_id>/status")
    @requires(VIEW, VIEW_ASSIGNED)
    def export_status(self, job_id):
        state = export_jobs.job_state(db.session, self._export_job_or_404(job_id))
        state["waiting_message"] = str(WAITING) if state["waiting"] else ""
        return jsonify(state)

    @expose("/export/<int:job_id>/file")
    @requires(VIEW, VIEW_ASSIGNED)
    def export_file(self, job_id):
        job = self._export_job_or_404(job_id)
        content = export_jobs.content_of(db.session, job) if job.status == EXPORT_DONE else None
        if content is None:
            abort(404)
        mimetype = "text/csv" if job.fmt == "csv" else \
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        response = send_file(io.BytesIO(content), mimetype=mimetype, as_attachment=True,
                             download_name=job.filename or _download_name(job.fmt))
        response.headers["Cache-Control"] = "no-store"
        return response

    # -- the list's columns and sort (F23) ----------------------------------------------------
    @expose("/columns", methods=["POST"])
    @requires(VIEW, VIEW_ASSIGNED)
    def columns(self):
        # the list's own arguments, back into its URL: short ones only (a redirect header has a size)
        back = {k[len("back_"):]: v for k, v in request.form.items()
                if k.startswith("back_") and v and len(k) <= 40 and len(v) <= 200}
        back = dict(list(back.items())[:40])
        for key in ("sort", "dir", "page"):  # the (new) default sort applies
            back.pop(key, None)
        target = url_for("CustomerView.list", **back)
        if not FlaskForm().validate_on_submit():
            abort(400)
        session = db.session
        listing = lc.resolve_list(session, {}, current_user)
        if request.form.get("reset") == "1":
            lc.reset_choice(session, current_user)
            flash(_l("The list shows its standard columns again."), "success")
            return redirect(target)
        sort = request.form.get("sort") or None
        try:
            lc.save_choice(session, current_user, request.form.getlist("columns"), sort,
                           request.form.get("direction") or None, listing.settings, listing.fields)
        except lc.ChoiceInvalid as exc:
            for message in exc.errors.values():
                flash(message, "danger")
        else:
            flash(_l("Your columns and sort order were saved."), "success")
        return redirect(target)

