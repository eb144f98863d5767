"""The app's SecurityManager: FAB's, hardened.

- The API login is rate-limited like the form login (FAB-NOTES §8), and failed logins
  are also counted per username, so spreading attempts over many addresses does not help.
- Logout is a POST with a CSRF token (a GET logout can be triggered by any page).
- The role editor shows the customer rights by their labels (F27) and refuses to change
  the built-in roles, which are defined in code (app/security/roles.py).
"""

import logging
import unicodedata

from flask import current_app, flash, g, has_app_context, has_request_context, request
from flask_appbuilder import expose
from flask_appbuilder.security.api import SecurityApi
from flask_appbuilder.security.sqla.manager import SecurityManager
from flask_appbuilder.security.views import AuthDBView, RoleModelView
from flask_appbuilder.utils.limit import Limit
from flask_babel import lazy_gettext as _l
from flask_limiter.util import get_remote_address
from limits import parse
from limits.storage import MemoryStorage
from limits.strategies import FixedWindowRateLimiter

from . import api_tokens
from .rights import CUSTOMER, RIGHT_LABELS
from .roles import BUILT_IN_ROLES

log = logging.getLogger(__name__)

THROTTLED_MESSAGE = _l("Too many failed logins. Wait a minute and try again.")


class RateLimitedSecurityApi(SecurityApi):
    limits = [
        Limit(lambda: current_app.config["AUTH_RATE_LIMIT"], key_func=get_remote_address, methods=("POST",))
    ]


class PostLogoutAuthDBView(AuthDBView):
    @expose("/logout/", methods=["POST"])
    def logout(self):
        """Ends every session of this user, also copies of the cookie (app/security/sessions.py)."""
        from flask_login import current_user

        from ..extensions import db
        from .sessions import end_sessions

        if current_user.is_authenticated:
            end_sessions(current_user.id, db.session)
            db.session.commit()
        return super().logout()


def permission_label(pvm) -> str:
    """A right as administrators know it: "Visa (endast) tilldelade – Kund"."""
    if pvm.view_menu.name == CUSTOMER and pvm.permission.name in RIGHT_LABELS:
        return f"{RIGHT_LABELS[pvm.permission.name]} – {_l('Customer')}"
    return f"{pvm.permission.name.replace('_', ' ')} – {pvm.view_menu.name}"


class BuiltInRoleRefused(Exception):
    def __str__(self) -> str:
        return str(_l("Built-in roles are defined by the system and cannot be changed here; copy the role instead."))


class AppRoleModelView(RoleModelView):
    formatters_columns = {"permissions": lambda pvms: ", ".join(sorted(permission_label(p) for p in pvms))}

    def _edit(self, pk):
        # The edit form puts the new name on the row (and changing its permissions flushes it)
        # before pre_update runs: note the name as stored first.
        item = self.datamodel.get(pk)
        g.stored_role_name = item.name if item is not None else None
        return super()._edit(pk)

    def _refuse_built_in(self, item, stored_name=None):
        """Judged by the name as stored, so a rename (`Manager` → `Manager-x`) cannot turn a
        built-in role into an editable one."""
        if {item.name, stored_name} & set(BUILT_IN_ROLES):
            raise BuiltInRoleRefused()

    def pre_update(self, item):
        self._refuse_built_in(item, g.get("stored_role_name"))

    def pre_delete(self, item):
        self._refuse_built_in(item)
        super().pre_delete(item)

    def _init_forms(self):
        super()._init_forms()
        for form in (self.add_form, self.edit_form):
            field = getattr(form, "permissions", None)
            if field is not None:
                field.kwargs["get_label"] = permission_label


class AppSecurityManager(SecurityManager):
    security_api = RateLimitedSecurityApi
    authdbview = PostLogoutAuthDBView
    rolemodelview = AppRoleModelView
    userstatschartview = None  # a login-count chart nobody here needs, which 500s on a bad URL

    def exist_permission_on_roles(self, view_name: str, permission_name: str, role_ids) -> bool:
        """FAB asks the database once per check: about 20 times for one page's menu and buttons.
        Within a request (or a job's app context), answer from the roles' permissions, read once."""
        if not has_app_context():
            return super().exist_permission_on_roles(view_name, permission_name, role_ids)
        cache = g.setdefault("_role_permissions", {})
        key = tuple(sorted(role_ids))
        if key not in cache:
            from flask_appbuilder.security.sqla.models import assoc_permissionview_role

            rows = (
                self.session.query(self.permission_model.name, self.viewmenu_model.name)
                .select_from(self.permissionview_model)
                .join(self.permission_model)
                .join(self.viewmenu_model)
                .join(assoc_permissionview_role,
                      assoc_permissionview_role.c.permission_view_id == self.permissionview_model.id)
                .filter(assoc_permissionview_role.c.role_id.in_(key))
            )
            cache[key] = set(rows)
        return (permission_name, view_name) in cache[key]

    def create_limiter(self, app):
        """FAB's limiter, which limits every POST to the login view's blueprint: logout is a POST
        there too, and ending a session is never refused."""
        limiter = super().create_limiter(app)
        limiter.request_filter(lambda: (request.endpoint or "").endswith(".logout")
                               and request.blueprint == self.auth_view.blueprint.name)
        return limiter

    # -- personal API tokens (FAB_API_KEY_ENABLED with the prefix `kr_`): ours, not FAB's ab_api_key --
    @staticmethod
    def extract_api_key_from_request():
        raw = api_tokens.bearer_token()
        return raw if raw and raw.startswith(api_tokens.PREFIX) else None

    def validate_api_key(self, api_key_string: str):
        user = api_tokens.user_of_token(self.session, api_key_string)
        if user is not None:
            g.user = user
            g._api_key_user = True
        return user

    def _failed_login_limit(self):
        return parse(current_app.config.get("AUTH_FAILED_LOGINS_PER_USERNAME", "5 per minute"))

    def _failed_login_key(self, username: str) -> str:
        """One counter per account, however its name is typed: the account is resolved the way
        FAB's login resolves it (user name, case-insensitive in the *database's* sense, else the
        e-mail address), so the e-mail address or a Unicode case variant (`admİn`, which
        PostgreSQL's lower() matches to `admin` and Python's does not) shares the account's
        counter. A name that is no account is counted as typed (NFKC, case-folded)."""
        typed = (username or "").strip()
        user = None
        if typed:
            user = self.find_user(username=typed) or self.find_user(email=typed)
        if user is not None:
            return f"failed-login:user:{user.id}"
        return f"failed-login:name:{unicodedata.normalize('NFKC', typed).casefold()}"

    def _count(self, action: str, limit, key: str) -> bool:
        """`test` or `hit` the failed-login counter; while the limiter's storage (Redis) cannot be
        reached, on this process's memory instead: logins go on, still counted (fail-open)."""
        try:
            return getattr(FixedWindowRateLimiter(self.limiter.storage), action)(limit, key)
        except Exception:  # noqa: BLE001 - any storage error: redis, a timeout, a refused connection
            log.error("Rate-limit storage unreachable: failed logins are counted per process", exc_info=True)
            if getattr(self, "_fallback_storage", None) is None:
                self._fallback_storage = MemoryStorage()  # this process's (README, "Redis down")
            return getattr(FixedWindowRateLimiter(self._fallback_storage), action)(limit, key)

    def auth_user_db(self, username, password):
        if not current_app.config.get("RATELIMIT_ENABLED"):
            return super().auth_user_db(username, password)
        limit, key = self._failed_login_limit(), self._failed_login_key(username)
        if not self._count("test", limit, key):
            log.warning("Login refused: too many failed attempts for account key %s", key)
            if has_request_context():
                flash(str(THROTTLED_MESSAGE), "danger")
            return None
        user = super().auth_user_db(username, password)
        if user is None:
            self._count("hit", limit, key)
        return user
