"""Request hooks shared by every view: list-argument guard, security headers, error pages."""

import re
import secrets

from flask import abort, current_app, g, render_template, request

_LIST_ARG = re.compile(r"^(_oc_|_od_|psize_|page_)(\w+)$")
MAX_PAGE_SIZE = 100


def _check_fab_list_args() -> None:
    """FAB's list views sort by any column and accept any page size (FAB-NOTES §6.3).

    A sort column outside the view's `order_columns`, a bad direction or a page size
    above 100 gets a 400 here, before FAB turns it into a 500 or a huge query.
    """
    views = None
    for key, value in request.args.items():
        match = _LIST_ARG.match(key)
        if not match:
            continue
        kind, view_name = match.groups()
        if kind == "_oc_":
            if views is None:
                views = {type(v).__name__: v for v in current_app.appbuilder.baseviews}
            view = views.get(view_name)
            if view is None or value not in (getattr(view, "order_columns", None) or []):
                abort(400)
        elif kind == "_od_" and value not in ("asc", "desc"):
            abort(400)
        elif kind in ("psize_", "page_"):
            if not value.isdigit() or (kind == "psize_" and not 1 <= int(value) <= MAX_PAGE_SIZE):
                abort(400)


def _no_fab_file_downloads() -> None:
    """FAB's ModelView.download streams any file in UPLOAD_FOLDER by name, for any row, and
    crashes on unknown names (FAB-NOTES §10.1). No view of ours uses it: 404 for all."""
    from flask_appbuilder import ModelView

    view_function = current_app.view_functions.get(request.endpoint or "")
    if getattr(view_function, "__func__", None) is ModelView.download:
        abort(404)


def _check_fab_actions() -> None:
    """FAB answers an unknown or forbidden list action with a redirect and a flash, and never
    scopes the rows (FAB-NOTES §3.2). Refuse plainly: 404 for an unknown action, 403 without
    its permission. (Our registers have no row scope; customer bulk actions are our own.)"""
    from flask_appbuilder import ModelView

    endpoint = request.endpoint or ""
    view_function = current_app.view_functions.get(endpoint)
    func = getattr(view_function, "__func__", None)
    if func not in (ModelView.action, ModelView.action_post):
        return
    view = view_function.__self__
    name = request.view_args.get("name") if func is ModelView.action else request.form.get("action")
    if name not in view.actions:
        abort(404)
    if not current_app.appbuilder.sm.has_access(view.get_action_permission_name(name), view.class_permission_name):
        abort(403)
    pks = [request.view_args.get("pk")] if func is ModelView.action else request.form.getlist("rowid")
    if not pks or any(view.datamodel.get(pk, view._base_filters) is None for pk in pks):
        abort(404)  # FAB would hand None to the action and crash


def csp_nonce() -> str:
    """The nonce FAB's templates put on their inline scripts (baselib.get_nonce)."""
    if "csp_nonce" not in g:
        g.csp_nonce = secrets.token_urlsafe(16)
    return g.csp_nonce


def _security_headers(response):
    headers = response.headers
    headers.setdefault("X-Frame-Options", "DENY")
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("Referrer-Policy", "same-origin")
    if response.mimetype == "text/html":
        headers.setdefault(
            "Content-Security-Policy",
            "default-src 'self'; "
            f"script-src 'self' 'nonce-{csp_nonce()}'; "
            "style-src 'self' 'unsafe-inline'; "  # bootstrap and FAB widgets set inline styles
            "img-src 'self' data:; font-src 'self' data:; object-src 'none'; "
            "base-uri 'self'; form-action 'self'; frame-ancestors 'none'",
        )
    if request.is_secure:
        headers.setdefault("Strict-Transport-Security", "max-age=31536000")
    return response


def _too_many_requests(error):
    from .api import api_error, is_api_request

    if is_api_request():
        return api_error(429, "rate_limited")
    return render_template("errors/429.html", appbuilder=current_app.appbuilder), 429


def _api_not_found(error):
    """The REST API answers in its JSON shape also where no route matched (a bad id, a wrong method)."""
    from .api import api_error, is_api_request

    if not is_api_request():
        return error
    code = {400: "bad_request", 404: "not_found", 405: "bad_request"}[error.code]
    return api_error(error.code, code, headers={"Allow": error.valid_methods and ", ".join(error.valid_methods)}
                     if error.code == 405 and getattr(error, "valid_methods", None) else None)


def unread_notifications() -> int:
    """The bell's count for the navbar (0 when logged out)."""
    from flask_login import current_user

    from .services.notifications import unread_count

    return unread_count(current_user.id) if current_user.is_authenticated else 0


def _portal_language(_app, user) -> None:
    """A customer user sees the portal in its customer's language (F6, F14)."""
    from flask import session

    from .services.scope import portal_link

    link = portal_link(user)
    if link is not None and link.customer.language in current_app.config["LANGUAGES"]:
        session["locale"] = link.customer.language


def register_web_hooks(app) -> None:
    from flask_login import user_logged_in

    user_logged_in.connect(_portal_language, app)
    app.jinja_env.globals["unread_notifications"] = unread_notifications
    app.before_request(_no_fab_file_downloads)
    app.before_request(_check_fab_actions)
    app.before_request(_check_fab_list_args)
    app.after_request(_security_headers)
    app.jinja_env.globals["csp_nonce"] = csp_nonce
    app.register_error_handler(429, _too_many_requests)
    for status in (400, 404, 405):
        app.register_error_handler(status, _api_not_found)
