"""The home page is the customer register."""

from flask import redirect, url_for
from flask_appbuilder import IndexView, expose
from flask_login import current_user

from ..services.scope import portal_link


class HomeView(IndexView):
    @expose("/")
    def index(self):
        if current_user.is_authenticated and portal_link(current_user) is not None:
            return redirect(url_for("PortalView.index"))
        return redirect(url_for("CustomerView.list"))
