"""The home page is the customer register."""

from flask import redirect, url_for
from flask_appbuilder import IndexView, expose


class HomeView(IndexView):
    @expose("/")
    def index(self):
        return redirect(url_for("CustomerView.list"))
