"""Merge two customers (issue 15): pick the two, choose field by field, confirm.

Thin: the plan and the merge are `app/commands/merge.py`, the same command as
`flask customers merge`."""

from flask import abort, flash, redirect, request, url_for
from flask_appbuilder import BaseView, expose
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm

from ..commands import merge as merging
from ..errors import Invalid, NotAllowed, NotFound
from ..extensions import db
from ..security.access import current_actor, requires
from ..security.rights import CUSTOMER, CUSTOMER_PERMISSIONS, MERGE_CUSTOMERS


class MergeView(BaseView):
    route_base = "/customers/merge"
    class_permission_name = CUSTOMER
    base_permissions = CUSTOMER_PERMISSIONS  # the same set as every "Customer" view (FAB-NOTES §2.1)
    default_view = "index"

    @expose("/", methods=["GET", "POST"])
    @requires(MERGE_CUSTOMERS)
    def index(self):
        survivor_number = (request.values.get("survivor") or "").strip()[:32]
        merged_number = (request.values.get("merged") or "").strip()[:32]
        form = FlaskForm()
        pair, error = None, None
        if survivor_number and merged_number:
            if survivor_number == merged_number:
                error = _l("Choose two different customers.")
            else:
                try:
                    pair = merging.customers_by_number(survivor_number, merged_number, by=current_actor(),
                                                       session=db.session)
                except NotFound:
                    error = _l("No customer has that number.")
        if pair is not None and request.method == "POST":
            if not form.validate_on_submit():
                abort(400)
            choices = {k[len("choice_"):]: v for k, v in request.form.items() if k.startswith("choice_")}
            survivor, merged = pair
            name = f"{merged.customer_number} {merged.name}"
            try:
                merging.merge_customers(survivor.id, merged.id, by=current_actor(), choices=choices)
            except NotAllowed:
                abort(403)
            except (Invalid, NotFound) as exc:
                flash(str(exc), "danger")
            else:
                flash(_l("%(merged)s was merged into this customer.", merged=name), "success")
                return redirect(url_for("CustomerView.show", pk=survivor.id))
        plan = merging.merge_plan(*pair, db.session) if pair is not None else []
        return self.render_template("customers/merge.html", title=_l("Merge customers"), form=form, pair=pair,
                                    plan=plan, error=error, survivor_number=survivor_number,
                                    merged_number=merged_number, SURVIVOR=merging.SURVIVOR, MERGED=merging.MERGED)
