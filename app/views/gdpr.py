"""Personal data (GDPR, issue 15): find one person, download the extract, erase them.

Thin: the same commands as `flask gdpr extract|erase` (app/commands/gdpr.py)."""

import json

from flask import Response, abort, flash, redirect, request, url_for
from flask_appbuilder import BaseView, expose
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm

from ..commands import gdpr as commands
from ..errors import Invalid, NotAllowed, NotFound
from ..extensions import db
from ..security.access import current_actor, requires
from ..security.rights import CUSTOMER, CUSTOMER_PERMISSIONS, HANDLE_PERSONAL_DATA
from ..services import gdpr


def _query() -> dict:
    personnummer = (request.values.get("personnummer") or "").strip()[:20]
    email = (request.values.get("email") or "").strip()[:254]
    return {"personnummer": personnummer or None, "email": None if personnummer else (email or None)}


class GdprView(BaseView):
    route_base = "/gdpr"
    class_permission_name = CUSTOMER
    base_permissions = CUSTOMER_PERMISSIONS  # the same set as every "Customer" view (FAB-NOTES §2.1)
    default_view = "index"

    @expose("/")
    @requires(HANDLE_PERSONAL_DATA)
    def index(self):
        query = _query()
        person, error = None, None
        if query["personnummer"] or query["email"]:
            try:
                person = commands.person_for(db.session, by=current_actor(), **query)
            except Invalid as exc:
                error = str(exc)
            except NotFound:
                error = _l("Nothing is stored about this person.")
        summary = gdpr.extract(db.session, person) if person is not None else None
        return self.render_template("gdpr.html", title=_l("Personal data (GDPR)"), query=query, person=person,
                                    summary=summary, error=error, form=FlaskForm(),
                                    extract_args={k: v for k, v in query.items() if v})

    @expose("/extract")
    @requires(HANDLE_PERSONAL_DATA)
    def extract(self):
        query = _query()
        try:
            data = commands.extract_person(by=current_actor(), **query)
        except (Invalid, NotFound):
            flash(_l("Nothing is stored about this person."), "warning")
            return redirect(url_for(".index"))
        return Response(json.dumps(data, ensure_ascii=False, indent=2), mimetype="application/json",
                        headers={"Content-Disposition": "attachment; filename=personal-data.json"})

    @expose("/erase", methods=["POST"])
    @requires(HANDLE_PERSONAL_DATA)
    def erase(self):
        if not FlaskForm().validate_on_submit():
            abort(400)
        customer_number = (request.form.get("customer") or "").strip()[:32] or None
        email = (request.form.get("email") or "").strip()[:254] or None
        if request.form.get("confirm") != "1" or not (customer_number or email):
            flash(_l("Confirm the erasure first."), "warning")
            return redirect(url_for(".index"))
        try:
            commands.erase_person(by=current_actor(), customer_number=customer_number,
                                  email=None if customer_number else email)
        except NotAllowed:
            abort(403)
        except NotFound:
            flash(_l("Nothing is stored about this person."), "warning")
        except Invalid as exc:
            flash(str(exc), "danger")
        else:
            flash(_l("The person's data was erased. Order and accounting facts were kept."), "success")
        return redirect(url_for(".index"))
