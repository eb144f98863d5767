"""The notification list behind the bell (F20): each user sees only their own."""

from flask import abort, redirect, request, url_for
from flask_appbuilder import BaseView, expose
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm

from ..services import notifications


def _login_required():
    if not current_user.is_authenticated:
        abort(401)


class NotificationView(BaseView):
    route_base = "/notifications"
    default_view = "list"

    @expose("/")
    def list(self):
        if not current_user.is_authenticated:
            return redirect(self.appbuilder.get_url_for_login)
        items = notifications.notifications_of(current_user.id)
        return self.render_template(
            "notifications/list.html", items=items, message_of=notifications.message_of, form=FlaskForm(),
            title=_l("Notifications"),
        )

    @expose("/read", methods=["POST"])
    def mark_read(self):
        _login_required()
        if FlaskForm().validate_on_submit():
            ids = [int(i) for i in request.form.getlist("ids") if i.isdigit()]
            notifications.mark_read(current_user.id, None if request.form.get("all") == "1" else ids)
        return redirect(url_for(".list"))
