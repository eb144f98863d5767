"""The administrator's settings page (F25, F26 and "Use ROT/RUT")."""

from flask import flash, redirect, request, url_for
from flask_appbuilder import BaseView, expose, has_access
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, IntegerField
from wtforms.validators import InputRequired

from ..services.settings import SETTING_DEFS, SettingsInvalid, get_settings, save_settings

GROUP_TITLES = {"module": _l("Module settings"), "view": _l("View settings"), "article": _l("Article settings")}


def settings_form_class():
    class SettingsForm(FlaskForm):
        pass

    for definition in SETTING_DEFS:
        if definition.kind == "bool":
            field = BooleanField(definition.label)
        else:
            field = IntegerField(definition.label, validators=[InputRequired(message=_l("Enter a number."))])
        setattr(SettingsForm, definition.key, field)
    return SettingsForm


class SettingsView(BaseView):
    route_base = "/settings"
    default_view = "edit"

    @expose("/", methods=["GET", "POST"])
    @has_access
    def edit(self):
        form_class = settings_form_class()
        form = form_class() if request.method == "POST" else form_class(data=dict(get_settings()))
        if form.validate_on_submit():
            try:
                save_settings({d.key: form[d.key].data for d in SETTING_DEFS})
            except SettingsInvalid as exc:
                for key, message in exc.errors.items():
                    form[key].errors = list(form[key].errors) + [message]
            else:
                flash(_l("The settings were saved."), "success")
                return redirect(url_for(".edit"))
        groups = [(title, [form[d.key] for d in SETTING_DEFS if d.group == group]) for group, title in GROUP_TITLES.items()]
        return self.render_template("settings.html", form=form, groups=groups, title=_l("Customer settings"))
