"""Server-side rights checks for the customer views."""

import functools

from flask import abort, current_app, redirect, request, url_for
from flask_login import current_user

from .rights import CUSTOMER


def user_can(*permissions: str, view_menu: str = CUSTOMER) -> bool:
    sm = current_app.appbuilder.sm
    return any(sm.has_access(p, view_menu) for p in permissions)


def requires(*permissions: str, view_menu: str = CUSTOMER):
    """Allow the request when the user holds any of `permissions` on `view_menu`.

    Anonymous users are sent to the login page; others get 403.
    """

    def decorator(func):
        @functools.wraps(func)
        def wrapped(*args, **kwargs):
            if user_can(*permissions, view_menu=view_menu):
                return func(*args, **kwargs)
            if not current_user.is_authenticated:
                return redirect(url_for(current_app.appbuilder.sm.auth_view.endpoint + ".login", next=request.url))
            abort(403)

        wrapped._required_permissions = permissions
        return wrapped

    return decorator
