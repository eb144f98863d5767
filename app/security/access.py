"""Who may do what (F27): one place that answers "does this actor hold this right?".

An actor is a FAB user (a person, from the web, the API or `--user` on the CLI) or a
`SystemActor` (the CLI without `--user`, a scheduled job, an accounting system pushing
changes back). Commands ask `require(by, …)`; views ask `user_can(…)` for the current
user and guard routes with `@requires(…)`.
"""

import functools
from dataclasses import dataclass

from flask import abort, current_app, g, has_app_context, redirect, request, url_for
from flask_login import current_user

from ..errors import NotAllowed
from .rights import CUSTOMER


@dataclass(frozen=True)
class SystemActor:
    """Work nobody is logged in for; holds every right. `name` is what history shows."""

    name: str = "system"
    id = None
    is_system = True
    is_anonymous = False
    is_authenticated = True


SYSTEM = SystemActor()


def is_system(actor) -> bool:
    return isinstance(actor, SystemActor)


def actor_name(actor) -> str:
    return actor.name if is_system(actor) else actor.username


def holds(actor, *rights: str, view_menu: str = CUSTOMER) -> bool:
    """Whether `actor` holds any of `rights` on `view_menu` (a system actor holds all).

    Answered from the roles' permissions, read once per app context (the security
    manager caches them), so checking many rights costs one query.
    """
    if is_system(actor):
        return True
    if actor is None or getattr(actor, "is_anonymous", False) or not getattr(actor, "is_active", True):
        return False
    sm = current_app.appbuilder.sm
    role_ids = [role.id for role in sm.get_user_roles(actor)]
    return bool(role_ids) and any(sm.exist_permission_on_roles(view_menu, right, role_ids) for right in rights)


def require(actor, *rights: str, view_menu: str = CUSTOMER) -> None:
    """Raise NotAllowed unless `actor` holds one of `rights`."""
    if not holds(actor, *rights, view_menu=view_menu):
        raise NotAllowed()


def current_actor():
    """The logged-in user of this request (an anonymous user outside one)."""
    if has_app_context() and "actor" in g:
        return g.actor
    return current_user


def user_can(*rights: str, view_menu: str = CUSTOMER) -> bool:
    """Whether the current request's user holds any of `rights` (menus, buttons, route guards)."""
    return holds(current_actor(), *rights, view_menu=view_menu)


def requires(*rights: str, view_menu: str = CUSTOMER):
    """Allow the request when the user holds any of `rights` on `view_menu`.

    Anonymous users are sent to the login page; others get 403.
    """

    def decorator(func):
        @functools.wraps(func)
        def wrapped(*args, **kwargs):
            if user_can(*rights, view_menu=view_menu):
                return func(*args, **kwargs)
            if not current_user.is_authenticated:
                return redirect(url_for(current_app.appbuilder.sm.auth_view.endpoint + ".login", next=request.url))
            abort(403)

        wrapped._required_permissions = rights
        return wrapped

    return decorator
