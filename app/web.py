"""Request hooks shared by every view: list-argument guard and security headers."""

import re

from flask import abort, current_app, request

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


def _security_headers(response):
    response.headers.setdefault("X-Frame-Options", "DENY")
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    return response


def register_web_hooks(app) -> None:
    app.before_request(_check_fab_list_args)
    app.after_request(_security_headers)
