"""The app's SecurityManager: FAB's, hardened.

- The API login is rate-limited like the form login (FAB-NOTES §8), and failed logins
  are also counted per username, so spreading attempts over many addresses does not help.
- Logout is a POST with a CSRF token (a GET logout can be triggered by any page).
- The role editor shows the customer rights by their labels (F27) and refuses to change
  the built-in roles, which are defined in code (app/security/roles.py).
"""

import logging

from flask import current_app, flash, g, has_app_context, has_request_context
from flask_appbuilder import expose
from flask_appbuilder.security.api import SecurityApi
from flask_appbuilder.security.sqla.manager import SecurityManager
from flask_appbuilder.security.views import AuthDBView, RoleModelView
from flask_appbuilder.utils.limit import Limit
from flask_babel import lazy_gettext as _l
from flask_limiter.util import get_remote_address
from limits import parse
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

    def _refuse_built_in(self, item):
        if item.name in BUILT_IN_ROLES:
            raise BuiltInRoleRefused()

    def pre_update(self, item):
        self._refuse_built_in(item)

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
        return f"failed-login:{(username or '').strip().lower()}"

    def auth_user_db(self, username, password):
        if not current_app.config.get("RATELIMIT_ENABLED"):
            return super().auth_user_db(username, password)
        strategy = FixedWindowRateLimiter(self.limiter.storage)
        limit, key = self._failed_login_limit(), self._failed_login_key(username)
        if not strategy.test(limit, key):
            log.warning("Login refused: too many failed attempts for %r", username)
            if has_request_context():
                flash(str(THROTTLED_MESSAGE), "danger")
            return None
        user = super().auth_user_db(username, password)
        if user is None:
            strategy.hit(limit, key)
        return user
