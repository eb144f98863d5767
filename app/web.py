"""Request hooks shared by every view: list-argument guard, security headers, error pages."""

import re
import secrets

from flask import abort, current_app, g, render_template, request

_LIST_ARG = re.compile(r"^(_oc_|_od_|psize_|page_)(\w+)$")
_FILTER_ARG = re.compile(r"^_flt_(\d+)_(\w+)$")
_BOOLEAN_VALUES = {"y", "n", "true", "false", "1", "0", "on", "off"}
MAX_PAGE_SIZE = 100
MAX_PAGE = 1_000_000
# Row ids are 32-bit integers on PostgreSQL (and 64-bit on SQLite): a larger id is no row.
MAX_ID = 2**31 - 1
_DIGITS = re.compile(r"^[+-]?\d+$")
_ID_ARG = re.compile(r"^(pk|id|\w+_id)$")


def _bad_request(message) -> None:
    """400 with a message the user can read (errors/400.html shows it)."""
    from werkzeug.exceptions import BadRequest

    raise BadRequest(description=str(message))


def _values(multidict):
    for key, values in multidict.lists():
        yield key
        yield from values


def _check_odd_input() -> None:
    """Input no database stores: a NUL character anywhere (PostgreSQL refuses it in text), ids
    beyond the id range in the path (404: there is no such row), page numbers beyond any page."""
    from flask_babel import lazy_gettext as _l

    nul = _l("The request contains a NUL character, which no field may hold.")
    if "\x00" in request.path or any("\x00" in v for v in _values(request.args)) \
            or any("\x00" in v for v in _values(request.form)):
        _bad_request(nul)
    if request.is_json and "\\u0000" in request.get_data(as_text=True):
        _bad_request(nul)
    for name, value in (request.view_args or {}).items():
        if isinstance(value, int) or (isinstance(value, str) and _ID_ARG.match(name) and _DIGITS.match(value)):
            if abs(int(value)) > MAX_ID:
                abort(404)
    for key, value in [*request.args.items(multi=True), *request.form.items(multi=True)]:
        if _ID_ARG.match(key) and _DIGITS.match(value.strip()) and abs(int(value)) > MAX_ID:
            _bad_request(_l("No such row: the id is out of range."))



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
            if not value.isdigit() or (kind == "psize_" and not 1 <= int(value) <= MAX_PAGE_SIZE) \
                    or int(value) > MAX_PAGE:
                abort(400)


def _check_fab_filters() -> None:
    """FAB hands a list filter's value to the database as typed (FAB-NOTES §6): a word for a
    yes/no or number column, a number beyond the integer range, or an id of a related row that
    cannot exist is a database error (a 500 on PostgreSQL). 400 with a message instead."""
    from flask_babel import lazy_gettext as _l

    if not any(key.startswith("_flt_") for key in request.args):
        return
    view_function = current_app.view_functions.get(request.endpoint or "")
    view = getattr(view_function, "__self__", None)
    datamodel = getattr(view, "datamodel", None)
    if datamodel is None:
        return
    for key, value in request.args.items(multi=True):
        match = _FILTER_ARG.match(key)
        if not match:
            continue
        column = match.group(2)
        value = value.strip()
        search_filters = view._filters.get_search_filters() if getattr(view, "_filters", None) else {}
        if column in search_filters and int(match.group(1)) >= len(search_filters[column]):
            _bad_request(_l("There is no such filter."))
        try:
            if datamodel.is_relation(column) or datamodel.is_integer(column):
                ok = _DIGITS.match(value) is not None and abs(int(value)) <= MAX_ID
            elif datamodel.is_boolean(column):
                ok = value.lower() in _BOOLEAN_VALUES
            elif datamodel.is_float(column) or datamodel.is_numeric(column):
                ok = re.match(r"^[+-]?\d{1,15}([.,]\d{1,6})?$", value) is not None
            elif datamodel.is_date(column) or datamodel.is_datetime(column):
                ok = re.match(r"^\d{4}-\d{2}-\d{2}([ T]\d{2}:\d{2}(:\d{2})?)?$", value) is not None
            else:  # text: FAB puts the value into LIKE unescaped, where `\` is the escape character
                ok = "\\" not in value
        except (KeyError, AttributeError):
            ok = True  # not a column FAB filters on: FAB ignores the argument
        if not ok:
            _bad_request(_l("The filter value does not fit the column (text filters cannot hold a backslash)."))


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


def _oauth_origins() -> str:
    """The accounting systems' sign-in pages: *Connect* posts a form that is redirected there, and
    browsers apply `form-action` to that redirect too."""
    from urllib.parse import urlsplit

    origins = []
    for key in ("FORTNOX_AUTH_URL", "VISMA_AUTH_URL"):
        parts = urlsplit(current_app.config.get(key) or "")
        if parts.scheme in ("http", "https") and parts.netloc:
            origins.append(f"{parts.scheme}://{parts.netloc}")
    return "".join(f" {o}" for o in dict.fromkeys(origins))


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
            f"base-uri 'self'; form-action 'self'{_oauth_origins()}; frame-ancestors 'none'",
        )
    if request.is_secure:
        headers.setdefault("Strict-Transport-Security", "max-age=31536000")
    if request.endpoint not in ("static", "appbuilder.static") and _logged_in():
        # every page of a logged-in user may show personal data: no copy in any cache
        headers["Cache-Control"] = "no-store"
        headers.setdefault("Pragma", "no-cache")
    return response


def _logged_in() -> bool:
    from flask_login import current_user

    return bool(getattr(current_user, "is_authenticated", False))


def _bad_request_page(error):
    """A 400 in the page layout, with what was wrong (the API keeps its JSON errors)."""
    from flask_login import current_user

    if request.path.startswith("/api/"):
        return _api_not_found(error)  # the API's JSON shape
    from flask.globals import request_ctx

    if request_ctx.url_adapter is None:  # a Host outside TRUSTED_HOSTS: no URL can be built for it
        return error
    if "user" not in g:
        g.user = current_user
    from flask_babel import lazy_gettext as _l

    message = error.description
    if not message or message == type(error).description:  # Werkzeug's own English text
        message = _l("The request was not understood: a value in it is not valid here.")
    try:
        return render_template("errors/400.html", appbuilder=current_app.appbuilder, message=message), 400
    except Exception:  # noqa: BLE001 - e.g. an untrusted Host: no URL can be built, Werkzeug's page
        return error


def _database_unavailable(error):
    """The database did not answer in time (connect, statement or pool timeout): 503, at once."""
    from flask_babel import lazy_gettext as _l
    from flask_login import current_user

    from .extensions import db

    current_app.logger.error("Database unavailable: %s", type(getattr(error, "orig", error)).__name__)
    try:
        db.session.rollback()
    except Exception:  # noqa: BLE001 - the connection may be gone as well
        pass
    if request.path.startswith("/api/"):
        return {"message": str(_l("The database is not answering. Try again in a moment."))}, 503
    g.user = getattr(g, "user", None) or current_user
    message = _l("The database is not answering. Try again in a moment.")
    try:
        return render_template("errors/503.html", appbuilder=current_app.appbuilder, message=message), 503
    except Exception:  # noqa: BLE001 - the page itself needs the database (the navbar): plain text
        return str(message), 503, {"Content-Type": "text/plain; charset=utf-8"}


def _too_many_requests(error):
    """The limiter refuses before FAB's own before-request hook has set `g.user`, which the
    navbar of a logged-in user needs. The API answers in its own JSON shape."""
    from flask_login import current_user

    from .api import api_error, is_api_request

    if is_api_request():
        return api_error(429, "rate_limited")
    if "user" not in g:
        g.user = current_user
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


def page_language() -> str:
    """The language the page is rendered in, for `<html lang>` (screen readers, hyphenation)."""
    from flask_babel import get_locale

    return str(get_locale() or current_app.config.get("BABEL_DEFAULT_LOCALE", "sv"))


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
    from .security.sessions import install_session_generations

    install_session_generations(app)
    app.jinja_env.globals["unread_notifications"] = unread_notifications
    app.jinja_env.globals["page_language"] = page_language
    app.before_request(_check_odd_input)
    app.before_request(_no_fab_file_downloads)
    app.before_request(_check_fab_actions)
    app.before_request(_check_fab_list_args)
    app.before_request(_check_fab_filters)
    app.after_request(_security_headers)
    app.jinja_env.globals["csp_nonce"] = csp_nonce
    from sqlalchemy.exc import OperationalError
    from sqlalchemy.exc import TimeoutError as PoolTimeout

    app.register_error_handler(OperationalError, _database_unavailable)
    app.register_error_handler(PoolTimeout, _database_unavailable)
    app.register_error_handler(400, _bad_request_page)
    app.register_error_handler(429, _too_many_requests)
    for status in (404, 405):  # 400: _bad_request_page hands API requests over
        app.register_error_handler(status, _api_not_found)
