"""The customer portal (F14): a customer user sees and (if allowed) updates only its own
customer; and the public invitation page where a new customer user sets a password."""

from flask import abort, flash, redirect, request, url_for
from flask_appbuilder import BaseView, expose
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import PasswordField

from ..commands import contacts as commands
from ..commands.customer_users import accept_invitation
from ..errors import EditConflict, Invalid
from ..extensions import db
from ..models.customer import ADDRESS_KINDS
from ..security.access import current_actor, requires
from ..security.rights import PORTAL, PORTAL_USE
from ..services import custom_fields as cf
from ..services import customer_fields as registry
from ..services import documents, portal
from ..services.scope import portal_link
from ..uploads.storage import ObjectMissing, StorageError
from .command_views import put_errors
from .customer_children import ADDRESS_TITLES, AddressForm, ContactForm
from .documents import document_response


class PortalView(BaseView):
    route_base = "/portal"
    default_view = "index"
    class_permission_name = PORTAL
    base_permissions = [PORTAL_USE]

    def _link(self):
        link = portal_link(current_actor())
        if link is None:
            abort(404)
        return link

    @expose("/")
    @requires(PORTAL_USE, view_menu=PORTAL)
    def index(self):
        link = self._link()
        customer = link.customer
        values = {v.field_id: v.value for v in customer.custom_values}
        # Internal comments and fields hidden for customer users never reach the portal (F8, F14).
        custom = [(f, cf.display_value(f, values.get(f.id))) for f in cf.active_fields(db.session)
                  if not f.hidden_for_customer_users]
        return self.render_template(
            "portal/index.html", customer=customer, link=link, custom=custom,
            identity_label=registry.IDENTITY_LABELS[customer.customer_type], address_titles=ADDRESS_TITLES,
            address_kinds=ADDRESS_KINDS, title=customer.name,
        )

    def _editable_customer(self):
        link = self._link()
        if not link.can_edit_details:
            abort(403)
        return link.customer

    @expose("/contacts/new", methods=["GET", "POST"])
    @expose("/contacts/<int:contact_id>", methods=["GET", "POST"])
    @requires(PORTAL_USE, view_menu=PORTAL)
    def contact(self, contact_id=None):
        customer = self._editable_customer()
        contact = None
        if contact_id is not None:
            contact = next((c for c in customer.contacts if c.id == contact_id), None)
            if contact is None:
                abort(404)
        form = ContactForm(obj=contact) if request.method == "GET" else ContactForm()
        form._id = contact.id if contact is not None else None
        if form.validate_on_submit():
            try:
                commands.save_contact(customer, form.values(), by=current_actor(), contact=contact,
                                      expected_version=form.submitted_version())
            except Invalid as exc:
                put_errors(form, exc.errors)
            except EditConflict as exc:
                put_errors(form, {"version": exc.message})
            else:
                flash(_l("The contact was saved."), "success")
                return redirect(url_for(".index"))
        return self.render_template("portal/form.html", form=form, customer=customer,
                                    title=_l("Edit contact") if contact else _l("Add contact"))

    @expose("/addresses/<kind>", methods=["GET", "POST"])
    @requires(PORTAL_USE, view_menu=PORTAL)
    def address(self, kind):
        if kind not in ADDRESS_KINDS:
            abort(404)
        customer = self._editable_customer()
        address = customer.address(kind)
        form = AddressForm(obj=address) if request.method == "GET" else AddressForm()
        form._id = address.id if address is not None else None
        if request.method == "GET" and address is not None:
            form.postcode.data = address.postcode_display
        if form.validate_on_submit():
            try:
                commands.save_address(customer, kind, form.values(), by=current_actor(),
                                      expected_version=form.submitted_version())
            except Invalid as exc:
                put_errors(form, exc.errors)
            except EditConflict as exc:
                put_errors(form, {"version": exc.message})
            else:
                flash(_l("The address was saved."), "success")
                return redirect(url_for(".index"))
        return self.render_template("portal/form.html", form=form, customer=customer, title=ADDRESS_TITLES[kind])

    # -- documents, only with the "may see documents" right (F14, F17) ----------
    def _document_customer(self):
        link = self._link()
        if not documents.may_see_documents(current_actor(), link.customer):
            abort(403)
        return link.customer

    @expose("/documents")
    @requires(PORTAL_USE, view_menu=PORTAL)
    def documents(self):
        customer = self._document_customer()
        return self.render_template("portal/documents.html", customer=customer,
                                    documents=documents.all_documents(customer),
                                    path=documents.folder_path, title=_l("Documents"))

    @expose("/documents/<int:document_id>/download")
    @requires(PORTAL_USE, view_menu=PORTAL)
    def document_download(self, document_id):
        customer = self._document_customer()
        document = documents.get_document(customer, document_id)
        if document is None:
            abort(404)
        try:
            return document_response(document, inline=False)
        except ObjectMissing:
            abort(404)
        except StorageError:
            abort(503)


class SetPasswordForm(FlaskForm):
    password = PasswordField(_l("Password"))
    confirm = PasswordField(_l("Repeat the password"))


class InvitationView(BaseView):
    """Public: the single-use link from the invitation e-mail."""

    route_base = "/invite"

    @expose("/<token>", methods=["GET", "POST"])
    def accept(self, token):
        try:
            invitation = portal.find_invitation(token)
        except portal.InvitationInvalid as exc:
            return self.render_template("portal/invitation_invalid.html", message=exc.args[0],
                                        title=_l("Invitation")), 404
        form = SetPasswordForm()
        if form.validate_on_submit():
            try:
                accept_invitation(token, form.password.data, form.confirm.data)
            except portal.InvitationInvalid as exc:
                return self.render_template("portal/invitation_invalid.html", message=exc.args[0],
                                            title=_l("Invitation")), 404
            except Invalid as exc:
                put_errors(form, exc.errors)
            else:
                flash(_l("Your password is set. Log in with your e-mail address."), "success")
                return redirect(self.appbuilder.get_url_for_login)
        return self.render_template("portal/set_password.html", form=form, invitation=invitation,
                                    title=_l("Choose your password"))
