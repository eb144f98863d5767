"""The administrator's page of personal API tokens: create one for a user (the token is
shown once, on the answer to the creating POST, and stored only as a hash) and revoke it."""

from flask import abort, flash, redirect, url_for
from flask_appbuilder import BaseView, expose, has_access
from flask_appbuilder.security.sqla.models import User
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from sqlalchemy import select
from wtforms import SelectField, StringField

from ..commands.api_tokens import create_api_token, revoke_api_token
from ..errors import Invalid, NotFound
from ..extensions import db
from ..models.api import ApiToken
from ..security.access import current_actor
from ..security.rights import API_TOKENS, MANAGE_API_TOKENS
from .command_views import put_errors

ALL = {"index": "manage", "create": "manage", "revoke": "manage"}


class TokenForm(FlaskForm):
    user = SelectField(_l("User"), choices=[])
    name = StringField(_l("Name (what will use the token)"))


def _users():
    return db.session.execute(select(User).where(User.active.is_(True)).order_by(User.username)).scalars().all()


class ApiTokenView(BaseView):
    route_base = "/admin/api-tokens"
    default_view = "index"
    class_permission_name = API_TOKENS
    base_permissions = [MANAGE_API_TOKENS]
    method_permission_name = ALL

    def _page(self, form, new_token=None, status=200):
        form.user.choices = [("", "")] + [(str(u.id), f"{u.username} ({u.first_name} {u.last_name})")
                                          for u in _users()]
        tokens = db.session.execute(
            select(ApiToken).order_by(ApiToken.revoked_at.is_not(None), ApiToken.created_at.desc())).scalars().all()
        return self.render_template("api_tokens.html", title=_l("API tokens"), form=form, tokens=tokens,
                                    new_token=new_token, revoke_form=FlaskForm()), status

    @expose("/")
    @has_access
    def index(self):
        return self._page(TokenForm())

    @expose("/", methods=["POST"])
    @has_access
    def create(self):
        if not FlaskForm().validate_on_submit():  # the CSRF token
            abort(400)
        form = TokenForm()
        try:
            _token, raw = create_api_token(form.user.data, form.name.data, by=current_actor())
        except Invalid as exc:
            put_errors(form, exc.errors)
            return self._page(form, status=422)
        response, _status = self._page(TokenForm(formdata=None), new_token=raw)
        return response, 201, {"Cache-Control": "no-store"}

    @expose("/<int:token_id>/revoke", methods=["POST"])
    @has_access
    def revoke(self, token_id):
        if not FlaskForm().validate_on_submit():
            abort(400)
        try:
            revoke_api_token(token_id, by=current_actor())
        except NotFound:
            abort(404)
        flash(_l("The token was revoked: it no longer works."), "success")
        return redirect(url_for(".index"))

