"""Sessions that end (issue 17 item 5).

Sessions are signed cookies, so a copied cookie would work until it expires. Each user has a
*session generation* in the database (`user_session_generation`); a login writes the current one
into the cookie, and every request whose cookie carries an older one is logged out. The
generation is raised, in the same transaction as the change, when the user logs out, or their
password, active flag or roles change (whoever changes them: FAB's user views, the API, the CLI),
so each of these ends every session of that user (the one making the change too: a changed
password means logging in again). The CSRF token is renewed at login.
"""

from flask import request, session
from flask_appbuilder.security.sqla.models import User
from flask_login import current_user, logout_user, user_logged_in
from sqlalchemy import event, inspect, select
from sqlalchemy.orm import Session

from ..extensions import db
from ..models.sessions import UserSessionGeneration

SESSION_KEY = "_session_generation"
_WATCHED = ("password", "active", "roles")


def generation(user_id: int, session_=None) -> int:
    session_ = session_ or db.session
    value = session_.execute(
        select(UserSessionGeneration.generation).where(UserSessionGeneration.user_id == user_id)
    ).scalar()
    return value or 0


def end_sessions(user_id: int, session_) -> None:
    """Raise the user's generation (not committed): every session issued before ends."""
    with session_.no_autoflush:
        row = session_.get(UserSessionGeneration, user_id)
        if row is None:
            session_.add(UserSessionGeneration(user_id=user_id, generation=1))
        else:
            row.generation = (row.generation or 0) + 1


def _before_flush(session_, _context, _instances) -> None:
    for obj in list(session_.dirty):
        if not isinstance(obj, User) or obj.id is None:
            continue
        state = inspect(obj)
        if any(state.attrs[name].history.has_changes() for name in _WATCHED):
            end_sessions(obj.id, session_)


def _on_login(_app, user) -> None:
    session.pop("csrf_token", None)  # Flask-WTF makes a new one: a token seen before login is void
    session[SESSION_KEY] = generation(user.id)


def _check_generation() -> None:
    if request.endpoint == "static" or "_user_id" not in session:
        return
    if not current_user.is_authenticated:
        return
    if session.get(SESSION_KEY, 0) != generation(current_user.id):
        logout_user()
        session.clear()


def install_session_generations(app) -> None:
    if not event.contains(Session, "before_flush", _before_flush):
        event.listen(Session, "before_flush", _before_flush)
    user_logged_in.connect(_on_login, app)
    # first of all before-request hooks, so FAB's (g.user) and every view see the logged-out user
    app.before_request_funcs.setdefault(None, []).insert(0, _check_generation)

