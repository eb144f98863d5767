"""Customer documents in folders (F17): `/customers/<id>/documents`.

Thin: parse the request, call the commands in app/commands/documents.py (reads: app/services/documents), render. Every request finds its
customer through `documents.visible_customer` (the scope rule of `scope.get_customer`)
and every folder and document through lookups that check they belong to that customer,
so anything outside the user's rights is a 404. Bytes never go through FAB's
FileColumn or its download route.
"""

from flask import abort, current_app, flash, redirect, request, send_file, url_for
from flask_appbuilder import BaseView, expose
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from werkzeug.exceptions import RequestEntityTooLarge
from werkzeug.wrappers import Response

from ..commands import documents as commands
from ..security.access import requires, user_can
from ..security.rights import (
    CUSTOMER,
    CUSTOMER_PERMISSIONS,
    DELETE_UPLOADED_FILES,
    UPLOAD,
    VIEW,
    VIEW_ASSIGNED,
)
from ..services import documents as svc
from ..services.customers import display_name
from ..uploads import ObjectMissing, StorageError, content_disposition, get_storage
from ..uploads.filetypes import BY_CONTENT_TYPE, KINDS, kind_label
from .forms import ConfirmForm

STREAM_CHUNK = 256 * 1024
SORT_TITLES = {
    "name": _l("Name"),
    "size": _l("Size"),
    "type": _l("Type"),
    "uploader": _l("Uploaded by"),
    "date": _l("Uploaded"),
}


def _flash(message, category: str) -> None:
    """Flash as plain text. A lazy string has __html__, so the session would bring it back as
    Markup and a file or folder name in it would reach the page unescaped."""
    flash(str(message), category)


def file_size(size: int) -> str:
    """Swedish-style sizes: 512 B, 12,3 kB, 4,5 MB."""
    if size < 1024:
        return f"{size} B"
    for unit in ("kB", "MB", "GB"):
        size /= 1024
        if size < 1024 or unit == "GB":
            return f"{size:.1f} {unit}".replace(".", ",")
    return ""


def _previewable(document) -> bool:
    kind = BY_CONTENT_TYPE.get(document.content_type)
    return bool(kind and kind.inline)


class DocumentView(BaseView):
    route_base = "/customers"
    default_view = "index"
    class_permission_name = CUSTOMER
    # Must be the very list of CustomerView: a different set on the same view menu makes FAB
    # delete the "missing" permissions (FAB-NOTES §2.1).
    base_permissions = CUSTOMER_PERMISSIONS

    # -- blueprint hooks -------------------------------------------------------------
    def create_blueprint(self, appbuilder, endpoint=None, static_folder=None):
        blueprint = super().create_blueprint(appbuilder, endpoint=endpoint, static_folder=static_folder)
        # URL value preprocessors run before every before_request hook, CSRF's form parsing
        # included, so the upload's own size limit is in place before the body is read.
        blueprint.url_value_preprocessor(self._set_upload_limit)
        blueprint.register_error_handler(RequestEntityTooLarge, self._upload_too_large)
        return blueprint

    def _set_upload_limit(self, endpoint, values):
        if endpoint == f"{self.endpoint}.upload":
            request.max_content_length = svc.max_file_bytes() * svc.max_files() + 1024 * 1024

    def _upload_too_large(self, error):
        _flash(
            _l("The upload is too large: at most %(n)s files of at most %(mb)s MB each at once.",
               n=svc.max_files(), mb=svc.max_file_bytes() // (1024 * 1024)),
            "danger",
        )
        customer_id = (request.view_args or {}).get("customer_id")
        if customer_id is None:
            return error
        return redirect(url_for(".index", customer_id=customer_id), 303)

    # -- helpers ---------------------------------------------------------------------
    def _customer_or_404(self, customer_id):
        customer = svc.visible_customer(customer_id, current_user)
        if customer is None:
            abort(404)
        return customer

    def _folder_or_404(self, customer, folder_id):
        folder = svc.get_folder(customer, folder_id)
        if folder is None:
            abort(404)
        return folder

    def _document_or_404(self, customer, document_id):
        document = svc.get_document(customer, document_id)
        if document is None:
            abort(404)
        return document

    @staticmethod
    def _folder_url(customer, folder_id=None):
        if folder_id:
            return url_for(".index", customer_id=customer.id, folder_id=folder_id)
        return url_for(".index", customer_id=customer.id)

    def _form_ok(self) -> bool:
        """The CSRF token (when CSRF is on) of a POST form."""
        if ConfirmForm().validate_on_submit():
            return True
        _flash(_l("The form had expired, so nothing was changed. Please try again."), "danger")
        return False

    def _render_index(self, customer, folder=None, errors=(), status=200):
        sort = request.args.get("sort", "name")
        sort = sort if sort in svc.SORTS else "name"
        direction = "desc" if request.args.get("dir") == "desc" else "asc"
        tree = svc.folder_tree(customer)
        body = self.render_template(
            "documents/index.html",
            customer=customer,
            customer_name=display_name(customer),
            folder=folder,
            path=svc.folder_path(folder),
            subfolders=svc.subfolders(customer, folder),
            documents=svc.list_documents(customer, folder, sort, direction),
            tree=tree,
            sort=sort,
            direction=direction,
            sort_titles=SORT_TITLES,
            # str(): a lazy string counts as safe markup in Jinja (its __html__), names must be escaped.
            errors=[str(e) for e in errors],
            can_upload=user_can(UPLOAD),
            can_delete=user_can(DELETE_UPLOADED_FILES),
            csrf_form=ConfirmForm(),
            max_mb=svc.max_file_bytes() // (1024 * 1024),
            max_bytes=svc.max_file_bytes(),
            max_files=svc.max_files(),
            accept=",".join(f".{e}" for kind in KINDS for e in kind.extensions),
            file_size=file_size,
            kind_label=kind_label,
            previewable=_previewable,
            title=str(_l("Documents – %(name)s", name=customer.name)),  # str(): escaped, see _flash
        )
        return body, status

    def _refused(self, customer, folder, exc: svc.DocumentError):
        return self._render_index(customer, folder, exc.messages, exc.status)

    # -- the page --------------------------------------------------------------------
    @expose("/<int:customer_id>/documents")
    @expose("/<int:customer_id>/documents/folders/<int:folder_id>")
    @requires(VIEW, VIEW_ASSIGNED)
    def index(self, customer_id, folder_id=None):
        customer = self._customer_or_404(customer_id)
        folder = self._folder_or_404(customer, folder_id) if folder_id is not None else None
        return self._render_index(customer, folder)

    # -- upload ----------------------------------------------------------------------
    @expose("/<int:customer_id>/documents/upload", methods=["POST"])
    @requires(UPLOAD)
    def upload(self, customer_id):
        customer = self._customer_or_404(customer_id)
        folder_id = request.form.get("folder_id") or None
        folder = svc.get_folder(customer, folder_id)
        if not self._form_ok():
            return redirect(self._folder_url(customer, folder.id if folder else None), 303)
        files = [(f.filename, f.stream) for f in request.files.getlist("files")]
        try:
            documents = commands.upload_documents(customer, folder_id, files, by=current_user)
        except svc.DocumentError as exc:
            # After a failed transaction, look again: the customer or folder may be gone meanwhile.
            customer = svc.visible_customer(customer_id, current_user)
            if customer is None:
                for message in exc.messages:
                    _flash(message, "danger")
                return redirect(url_for("CustomerView.list"), 303)
            return self._refused(customer, svc.get_folder(customer, folder_id), exc)
        _flash(_l("Uploaded: %(names)s.", names=", ".join(d.name for d in documents)), "success")
        return redirect(self._folder_url(customer, folder.id if folder else None), 303)

    # -- folders ---------------------------------------------------------------------
    @expose("/<int:customer_id>/documents/folders/new", methods=["POST"])
    @requires(UPLOAD)
    def folder_create(self, customer_id):
        customer = self._customer_or_404(customer_id)
        parent = svc.get_folder(customer, request.form.get("parent_id"))
        if not self._form_ok():
            return redirect(self._folder_url(customer, parent.id if parent else None), 303)
        try:
            folder = commands.create_folder(customer, request.form.get("name"),
                                            request.form.get("parent_id") or None, by=current_user)
        except svc.DocumentError as exc:
            return self._refused(customer, parent, exc)
        _flash(_l("The folder %(name)s was created.", name=folder.name), "success")
        return redirect(self._folder_url(customer, folder.id), 303)

    @expose("/<int:customer_id>/documents/folders/<int:folder_id>/rename", methods=["POST"])
    @requires(UPLOAD)
    def folder_rename(self, customer_id, folder_id):
        customer = self._customer_or_404(customer_id)
        folder = self._folder_or_404(customer, folder_id)
        if not self._form_ok():
            return redirect(self._folder_url(customer, folder.id), 303)
        try:
            commands.rename_folder(folder, request.form.get("name"), by=current_user)
        except svc.DocumentError as exc:
            return self._refused(customer, folder, exc)
        _flash(_l("The folder was renamed."), "success")
        return redirect(self._folder_url(customer, folder.id), 303)

    @expose("/<int:customer_id>/documents/folders/<int:folder_id>/delete", methods=["GET", "POST"])
    @requires(UPLOAD, DELETE_UPLOADED_FILES)
    def folder_delete(self, customer_id, folder_id):
        """An empty folder goes with Upload or Delete uploaded files; one with files needs the latter
        and a confirmation that states what is in it."""
        customer = self._customer_or_404(customer_id)
        folder = self._folder_or_404(customer, folder_id)
        files, folders = svc.folder_contents(folder)
        if (files or folders) and not user_can(DELETE_UPLOADED_FILES):
            abort(403)
        status = 200
        if request.method == "POST" and self._form_ok():
            confirmed = (svc.as_int(request.form.get("files")), svc.as_int(request.form.get("folders")))
            name, parent_id = folder.name, folder.parent_id
            try:
                deleted_files, _deleted_folders = commands.delete_folder(folder, confirmed, by=current_user)
            except svc.FolderNotEmpty as exc:
                files, folders, status = exc.files, exc.folders, 409
                _flash(_l("The folder's contents changed; check them again before deleting."), "warning")
            else:
                _flash(_l("The folder %(name)s was deleted.", name=name), "success")
                if deleted_files:
                    _flash(_l("Files deleted with it: %(n)s.", n=deleted_files), "success")
                return redirect(self._folder_url(customer, parent_id), 303)
        body = self.render_template(
            "documents/confirm_delete_folder.html",
            customer=customer,
            customer_name=display_name(customer),
            folder=folder,
            path=svc.folder_path(folder),
            files=files,
            folders=folders,
            csrf_form=ConfirmForm(),
            title=_l("Delete folder"),
        )
        return body, status

    # -- one document ----------------------------------------------------------------
    @expose("/<int:customer_id>/documents/<int:document_id>/rename", methods=["POST"])
    @requires(UPLOAD)
    def rename(self, customer_id, document_id):
        customer = self._customer_or_404(customer_id)
        document = self._document_or_404(customer, document_id)
        if self._form_ok():
            try:
                commands.rename_document(document, request.form.get("name"), by=current_user)
            except svc.DocumentError as exc:
                return self._refused(customer, document.folder, exc)
            _flash(_l("The file was renamed."), "success")
        return redirect(self._folder_url(customer, document.folder_id), 303)

    @expose("/<int:customer_id>/documents/<int:document_id>/move", methods=["POST"])
    @requires(UPLOAD)
    def move(self, customer_id, document_id):
        customer = self._customer_or_404(customer_id)
        document = self._document_or_404(customer, document_id)
        if self._form_ok():
            source = document.folder
            try:
                commands.move_document(customer, document, request.form.get("folder_id") or None,
                                       by=current_user)
            except svc.DocumentError as exc:
                return self._refused(customer, source, exc)
            _flash(_l("The file was moved."), "success")
        return redirect(self._folder_url(customer, document.folder_id), 303)

    @expose("/<int:customer_id>/documents/<int:document_id>/delete", methods=["POST"])
    @requires(DELETE_UPLOADED_FILES)
    def delete(self, customer_id, document_id):
        customer = self._customer_or_404(customer_id)
        document = self._document_or_404(customer, document_id)
        folder_id = document.folder_id
        if self._form_ok():
            name = document.name
            commands.delete_document(document, by=current_user)
            _flash(_l("%(name)s was deleted.", name=name), "success")
        return redirect(self._folder_url(customer, folder_id), 303)

    @expose("/<int:customer_id>/documents/<int:document_id>/download")
    @requires(VIEW, VIEW_ASSIGNED)
    def download(self, customer_id, document_id):
        customer = self._customer_or_404(customer_id)
        return self._send(customer, self._document_or_404(customer, document_id), inline=False)

    @expose("/<int:customer_id>/documents/<int:document_id>/preview")
    @requires(VIEW, VIEW_ASSIGNED)
    def preview(self, customer_id, document_id):
        customer = self._customer_or_404(customer_id)
        document = self._document_or_404(customer, document_id)
        if not _previewable(document):
            abort(404)
        return self._send(customer, document, inline=True)

    def _send(self, customer, document, inline: bool):
        try:
            return document_response(document, inline)
        except ObjectMissing:
            return self._render_index(
                customer, document.folder,
                [_l("The file %(name)s is missing from the file store.", name=document.name)], 404,
            )
        except StorageError:
            return self._render_index(
                customer, document.folder,
                [_l("The file store could not be reached. Please try again later.")], 503,
            )


def document_response(document, inline: bool):
    """The download of one document (rights already checked by the caller).

    Local files stream through the app; S3 answers with a short-lived presigned URL, or
    streams through the app when S3_PROXY_DOWNLOADS is set. Raises ObjectMissing or
    StorageError when the file store cannot give the file.
    """
    storage = get_storage()
    disposition = content_disposition(document.name, inline=inline)
    path = storage.local_path(document.storage_key)
    if path is not None:
        response = send_file(path, mimetype=document.content_type, conditional=True, max_age=0)
    elif not current_app.config.get("S3_PROXY_DOWNLOADS"):
        response = redirect(storage.presigned_url(
            document.storage_key, content_type=document.content_type, disposition=disposition))
    else:
        body = storage.open(document.storage_key)
        response = Response(_chunks(body), mimetype=document.content_type, direct_passthrough=True)
        response.content_length = document.size
    response.headers["Content-Disposition"] = disposition
    response.headers["Cache-Control"] = "private, no-store"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


def _chunks(body):
    try:
        while chunk := body.read(STREAM_CHUNK):
            yield chunk
    finally:
        body.close()
