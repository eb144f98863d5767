"""Customer card actions and bulk actions: assign (F20), activate (F19), renumber (F1),
customer users (F14) and history (F18). Mixed into CustomerView; every customer goes
through the scope of `app/services/scope.py`, bulk selections included."""

from flask import abort, flash, redirect, request, url_for
from flask_appbuilder import expose
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import BooleanField, HiddenField, StringField

from ..extensions import db
from ..models.portal import CustomerUser
from ..security.access import requires, user_can
from ..security.rights import (
    ASSIGN,
    CHANGE_CUSTOMER_NUMBER,
    CHANGE_CUSTOMER_USER_RIGHTS,
    CREATE_CUSTOMER_USER,
    DELETE_CUSTOMER_USER,
    EDIT,
    EDIT_ASSIGNED,
    VIEW,
    VIEW_ASSIGNED,
)
from ..services import assignment, portal
from ..services import custom_fields as cf
from ..services import customers as svc
from ..services.history_view import PAGE_SIZE as HISTORY_PAGE_SIZE
from ..services.history_view import history_page
from ..services.scope import bulk_selection, get_customer
from ..services.search import parse_search
from .forms import ServiceCheckedSelect

BULK_ACTIONS = {
    "assign": (_l("Assign technician"), (ASSIGN,), False),
    "inactivate": (_l("Inactivate"), (EDIT, EDIT_ASSIGNED), True),
    "activate": (_l("Activate"), (EDIT, EDIT_ASSIGNED), True),
}


class AssignForm(FlaskForm):
    technician = ServiceCheckedSelect(_l("Technician"), choices=[])


class RenumberForm(FlaskForm):
    customer_number = StringField(_l("New customer number"))


class CustomerUserForm(FlaskForm):
    email = StringField(_l("E-mail (user name)"))
    first_name = StringField(_l("First name"))
    last_name = StringField(_l("Last name"))


class CustomerUserRightsForm(FlaskForm):
    can_edit_details = BooleanField(_l("May change the details"))
    can_see_documents = BooleanField(_l("May see documents"))


class BulkForm(FlaskForm):
    action = HiddenField()
    technician = ServiceCheckedSelect(_l("Technician"), choices=[])


def technician_choices() -> list[tuple[str, str]]:
    users = assignment.assignable_users()
    return [("none", str(_l("Nobody (remove the assignment)")))] + [
        (str(u.id), f"{u.first_name} {u.last_name} ({u.username})") for u in users
    ]


class CustomerActionsMixin:
    # -- what the card needs -------------------------------------------------
    def card_extras(self, customer) -> dict:
        page = max(1, request.args.get("history_page", 1, type=int) or 1)
        entries, total = history_page(customer.id, page)
        assign_form = AssignForm()
        assign_form.technician.choices = technician_choices()
        assign_form.technician.data = str(customer.assigned_to_id) if customer.assigned_to_id else "none"
        users = portal.customer_users(customer)
        return {
            "history": entries,
            "history_page": page,
            "history_pages": max(1, -(-total // HISTORY_PAGE_SIZE)),
            "assign_form": assign_form,
            "can_assign": user_can(ASSIGN),
            "can_renumber": user_can(CHANGE_CUSTOMER_NUMBER),
            "can_activate": get_customer(customer.id, current_user, for_edit=True) is not None
            and user_can(EDIT, EDIT_ASSIGNED),
            "customer_users": users,
            "customer_user_form": CustomerUserForm(),
            "rights_forms": {link.id: CustomerUserRightsForm(obj=link) for link in users},
            "can_create_customer_user": user_can(CREATE_CUSTOMER_USER),
            "can_change_customer_user_rights": user_can(CHANGE_CUSTOMER_USER_RIGHTS),
            "can_delete_customer_user": user_can(DELETE_CUSTOMER_USER),
        }

    # -- assign (F20) --------------------------------------------------------
    @expose("/<int:customer_id>/assign", methods=["POST"])
    @requires(ASSIGN)
    def assign(self, customer_id):
        customer = self._customer_or_404(customer_id)
        form = AssignForm()
        if form.validate_on_submit():
            try:
                changed = assignment.assign_technician([customer.id], form.technician.data)
            except svc.CustomerInvalid as exc:
                for message in exc.errors.values():
                    flash(message, "danger")
            else:
                flash(_l("The assignment was saved.") if changed else _l("Nothing changed."), "success")
        return redirect(url_for(".show", customer_id=customer.id))

    # -- activate / inactivate (F19) -----------------------------------------
    @expose("/<int:customer_id>/active", methods=["POST"])
    @requires(EDIT, EDIT_ASSIGNED)
    def set_active(self, customer_id):
        customer = self._customer_or_404(customer_id, for_edit=True)
        if FlaskForm().validate_on_submit():
            active = request.form.get("active") == "1"
            svc.set_active([customer.id], active)
            flash(_l("The customer was activated.") if active else _l("The customer was inactivated."), "success")
        return redirect(url_for(".show", customer_id=customer.id))

    # -- renumber (F1) -------------------------------------------------------
    @expose("/<int:customer_id>/number", methods=["GET", "POST"])
    @requires(CHANGE_CUSTOMER_NUMBER)
    def renumber(self, customer_id):
        customer = self._customer_or_404(customer_id, for_edit=True)
        form = RenumberForm()
        if form.validate_on_submit():
            old = customer.customer_number
            try:
                svc.change_customer_number(customer, form.customer_number.data)
            except svc.CustomerInvalid as exc:
                form.customer_number.errors = list(exc.errors.values())
            else:
                flash(_l("The customer number was changed from %(old)s to %(new)s.", old=old,
                         new=customer.customer_number), "success")
                return redirect(url_for(".show", customer_id=customer.id))
        elif request.method == "GET":
            form.customer_number.data = customer.customer_number
        return self.render_template("customers/subform.html", form=form, customer=customer,
                                    title=_l("Change customer number"))

    # -- history (F18) -------------------------------------------------------
    @expose("/<int:customer_id>/history")
    @requires(VIEW, VIEW_ASSIGNED)
    def history(self, customer_id):
        customer = self._customer_or_404(customer_id)
        page = max(1, request.args.get("page", 1, type=int) or 1)
        entries, total = history_page(customer.id, page)
        return self.render_template("customers/history.html", customer=customer, history=entries, page=page,
                                    pages=max(1, -(-total // HISTORY_PAGE_SIZE)), title=_l("History"))

    # -- customer users (F14) ------------------------------------------------
    def _link_or_404(self, customer, link_id) -> CustomerUser:
        link = db.session.get(CustomerUser, link_id)
        if link is None or link.customer_id != customer.id:
            abort(404)
        return link

    @expose("/<int:customer_id>/users", methods=["POST"])
    @requires(CREATE_CUSTOMER_USER)
    def customer_user_add(self, customer_id):
        customer = self._customer_or_404(customer_id)
        form = CustomerUserForm()
        if form.validate_on_submit():
            try:
                link, _token = portal.create_customer_user(customer, form.data)
            except svc.CustomerInvalid as exc:
                for message in exc.errors.values():
                    flash(message, "danger")
            else:
                flash(_l("The login %(email)s was created and an invitation was sent.", email=link.user.email),
                      "success")
        return redirect(url_for(".show", customer_id=customer.id) + "#customer-users")

    @expose("/<int:customer_id>/users/<int:link_id>/rights", methods=["POST"])
    @requires(CHANGE_CUSTOMER_USER_RIGHTS)
    def customer_user_rights(self, customer_id, link_id):
        customer = self._customer_or_404(customer_id)
        link = self._link_or_404(customer, link_id)
        form = CustomerUserRightsForm()
        if form.validate_on_submit():
            portal.set_rights(link, form.can_edit_details.data, form.can_see_documents.data)
            flash(_l("The rights were saved."), "success")
        return redirect(url_for(".show", customer_id=customer.id) + "#customer-users")

    @expose("/<int:customer_id>/users/<int:link_id>/delete", methods=["POST"])
    @requires(DELETE_CUSTOMER_USER)
    def customer_user_delete(self, customer_id, link_id):
        customer = self._customer_or_404(customer_id)
        link = self._link_or_404(customer, link_id)
        if FlaskForm().validate_on_submit():
            portal.delete_customer_user(link)
            flash(_l("The login was deleted."), "success")
        return redirect(url_for(".show", customer_id=customer.id) + "#customer-users")

    # -- bulk actions on the list ---------------------------------------------
    def _bulk_ids(self, action: str) -> list[int]:
        fields = cf.active_fields(db.session)
        search = parse_search(request.form, fields) if request.form.get("all_matching") == "1" else None
        return bulk_selection(current_user, BULK_ACTIONS[action][2], ids=request.form.getlist("ids"),
                              search=search, fields=fields)

    @expose("/bulk", methods=["POST"])
    @requires(VIEW, VIEW_ASSIGNED)
    def bulk(self):
        form = BulkForm()
        action = request.form.get("action", "")
        if action not in BULK_ACTIONS or not form.validate_on_submit():
            abort(400)
        title, permissions, _for_edit = BULK_ACTIONS[action]
        if not user_can(*permissions):
            abort(403)
        ids = self._bulk_ids(action)
        if not ids:
            flash(_l("No customers were selected."), "warning")
            return redirect(url_for(".list"))
        if request.form.get("confirm") != "1":
            form.technician.choices = technician_choices()
            keep = [(k, v) for k, v in request.form.items(multi=True) if k not in ("csrf_token", "technician", "action")]
            return self.render_template("customers/bulk_confirm.html", form=form, action=action, title=title,
                                        count=len(ids), keep=keep)
        if action == "assign":
            try:
                changed = assignment.assign_technician(ids, request.form.get("technician"))
            except svc.CustomerInvalid as exc:
                for message in exc.errors.values():
                    flash(message, "danger")
                return redirect(url_for(".list"))
            flash(_l("%(n)s customers were assigned.", n=changed), "success")
        else:
            changed = svc.set_active(ids, action == "activate")
            flash(_l("%(n)s customers were changed.", n=changed), "success")
        return redirect(url_for(".list"))
