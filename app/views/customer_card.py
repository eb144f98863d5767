"""What the customer card shows besides the customer's own fields: history (F18) and
customer users (F14), with their routes."""

from flask import abort, flash, redirect, request, url_for
from flask_appbuilder import expose
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, StringField

from ..commands import customer_users as commands
from ..errors import Invalid
from ..extensions import db
from ..models.portal import CustomerUser
from ..security.access import current_actor, requires, user_can
from ..security.rights import (
    CHANGE_CUSTOMER_USER_RIGHTS,
    CREATE_CUSTOMER_USER,
    DELETE_CUSTOMER_USER,
    VIEW,
    VIEW_ASSIGNED,
)
from ..services import portal
from ..services.history_view import PAGE_SIZE as HISTORY_PAGE_SIZE
from ..services.history_view import history_page
from ..services.list_columns import sees_full_identity

MAX_PAGE = 1_000_000  # beyond any history; a larger number would overflow the database's OFFSET


class CustomerUserForm(FlaskForm):
    email = StringField(_l("E-mail (user name)"))
    first_name = StringField(_l("First name"))
    last_name = StringField(_l("Last name"))


class CustomerUserRightsForm(FlaskForm):
    can_edit_details = BooleanField(_l("May change the details"))
    can_see_documents = BooleanField(_l("May see documents"))


class CustomerCardMixin:
    def card_extras(self, customer) -> dict:
        page = min(max(1, request.args.get("history_page", 1, type=int) or 1), MAX_PAGE)
        entries, total = history_page(customer.id, page, full_identity=sees_full_identity(current_actor()))
        users = portal.customer_users(customer)
        return {
            "history": entries,
            "history_page": page,
            "history_pages": max(1, -(-total // HISTORY_PAGE_SIZE)),
            "customer_users": users,
            "customer_user_form": CustomerUserForm(),
            "rights_forms": {link.id: CustomerUserRightsForm(obj=link) for link in users},
            "can_create_customer_user": user_can(CREATE_CUSTOMER_USER),
            "can_change_customer_user_rights": user_can(CHANGE_CUSTOMER_USER_RIGHTS),
            "can_delete_customer_user": user_can(DELETE_CUSTOMER_USER),
        }

    # -- history (F18) -------------------------------------------------------------------
    @expose("/<int:pk>/history")
    @requires(VIEW, VIEW_ASSIGNED)
    def history(self, pk):
        customer = self._customer_or_404(pk)
        page = min(max(1, request.args.get("page", 1, type=int) or 1), MAX_PAGE)
        entries, total = history_page(customer.id, page, full_identity=sees_full_identity(current_actor()))
        return self.render_template("customers/history.html", customer=customer, history=entries, page=page,
                                    pages=max(1, -(-total // HISTORY_PAGE_SIZE)), title=_l("History"))

    # -- customer users (F14) ------------------------------------------------------------
    def _link_or_404(self, customer, link_id) -> CustomerUser:
        link = db.session.get(CustomerUser, link_id)
        if link is None or link.customer_id != customer.id:
            abort(404)
        return link

    def _back_to_users(self, customer):
        return redirect(url_for(".show", pk=customer.id) + "#customer-users")

    @expose("/<int:pk>/users", methods=["POST"])
    @requires(CREATE_CUSTOMER_USER)
    def customer_user_add(self, pk):
        customer = self._customer_or_404(pk)
        form = CustomerUserForm()
        if form.validate_on_submit():
            try:
                link, _token = commands.create_customer_user(customer, form.data, by=current_actor())
            except Invalid as exc:
                for message in exc.errors.values():
                    flash(message, "danger")
            else:
                flash(_l("The login %(email)s was created and an invitation was sent.", email=link.user.email),
                      "success")
        return self._back_to_users(customer)

    @expose("/<int:pk>/users/<int:link_id>/rights", methods=["POST"])
    @requires(CHANGE_CUSTOMER_USER_RIGHTS)
    def customer_user_rights(self, pk, link_id):
        customer = self._customer_or_404(pk)
        link = self._link_or_404(customer, link_id)
        form = CustomerUserRightsForm()
        if form.validate_on_submit():
            commands.set_rights(link, can_edit_details=form.can_edit_details.data,
                                can_see_documents=form.can_see_documents.data, by=current_actor())
            flash(_l("The rights were saved."), "success")
        return self._back_to_users(customer)

    @expose("/<int:pk>/users/<int:link_id>/delete", methods=["POST"])
    @requires(DELETE_CUSTOMER_USER)
    def customer_user_delete(self, pk, link_id):
        customer = self._customer_or_404(pk)
        link = self._link_or_404(customer, link_id)
        if FlaskForm().validate_on_submit():
            commands.delete_customer_user(link, by=current_actor())
            flash(_l("The login was deleted."), "success")
        return self._back_to_users(customer)
