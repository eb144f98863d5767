"""A customer's contacts, addresses and articles: FAB related views of the customer card.

Each is a ModelView on its model with `CustomerScope` on its `customer` relationship as
base filter and a `CommandInterface` that writes through `app/commands/contacts.py`. New
rows get their customer from FAB's related-view filter (`_flt_0_customer`), checked
against the user's edit scope like everything else. After saving, the user is back on
the card, at the section they came from.
"""

from flask import abort, flash, redirect, request, url_for
from flask_appbuilder import ModelView, expose
from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, HiddenField, StringField

from ..commands import contacts as commands
from ..commands.customers import customer_for
from ..errors import NO_VERSION, ROW_CONFLICT
from ..extensions import db
from ..models.article import CUSTOMER_ARTICLE_KINDS, CustomerArticle
from ..models.customer import ADDRESS_KINDS, INVOICE, POSTAL, VISITING, Address, Contact
from ..security.access import current_actor, requires
from ..security.rights import CUSTOMER, CUSTOMER_PERMISSIONS, EDIT, EDIT_ASSIGNED, VIEW, VIEW_ASSIGNED
from ..services import customers as rules
from ..services.scope import CustomerScope, get_customer
from ..services.settings import get_settings
from .command_views import CommandInterface, ServiceForm, filter_arg
from .forms import ConfirmForm, ServiceCheckedSelect

ADDRESS_TITLES = {INVOICE: _l("Invoice address"), VISITING: _l("Visiting address"), POSTAL: _l("Postal address")}
ARTICLE_SETTINGS = {"service": "show_service_articles", "work_order": "show_work_order_articles"}


class VersionedForm(ServiceForm):
    """A form for an existing row carries the version it was opened on (`version`), and a save
    from an older version, or without one, is refused (lost updates, issue 17 item 8). The row
    is `_id` (FAB sets it on its edit form; the portal sets it)."""

    model = None
    skip = ("csrf_token", "version")
    version = HiddenField()

    def check_version(self) -> dict:
        row_id = getattr(self, "_id", None)
        if row_id is None:
            return {}
        submitted = str(self.version.data or "").strip()
        if not submitted.isdigit():
            return {"version": NO_VERSION}
        stored = db.session.get(self.model, int(row_id))
        if stored is not None and stored.version != int(submitted):
            return {"version": ROW_CONFLICT}
        return {}

    def submitted_version(self) -> int | None:
        submitted = str(self.version.data or "").strip()
        return int(submitted) if submitted.isdigit() and getattr(self, "_id", None) is not None else None

    def populate_obj(self, obj) -> None:
        obj.submitted = self.values()
        obj.submitted_version = self.submitted_version()


class ContactForm(VersionedForm):
    model = Contact
    name = StringField(_l("Name"))
    phone = StringField(_l("Phone"))
    email = StringField(_l("E-mail"))
    send_service_protocol = BooleanField(_l("Send service protocol"))
    send_work_order = BooleanField(_l("Send work order"))
    is_main_contact = BooleanField(_l("Main contact"))

    def check(self, values: dict) -> dict:
        return {**rules.clean_contact(values)[1], **self.check_version()}


class AddressForm(VersionedForm):
    model = Address
    street = StringField(_l("Street address"))
    street2 = StringField(_l("Address line 2"))
    postcode = StringField(_l("Postcode"))
    city = StringField(_l("City"))

    def check(self, values: dict) -> dict:
        return {**rules.clean_address(values)[1], **self.check_version()}


class CustomerArticleForm(ServiceForm):
    kind = ServiceCheckedSelect(_l("List"), choices=[(k, k) for k in CUSTOMER_ARTICLE_KINDS])
    article_id = ServiceCheckedSelect(_l("Article"), choices=[])
    quantity = StringField(_l("Quantity"), default="1")

    def check(self, values: dict) -> dict:
        errors = rules.clean_customer_article(values, db.session)[1]
        if values.get("kind") in ARTICLE_SETTINGS and not get_settings()[ARTICLE_SETTINGS[values["kind"]]]:
            errors["kind"] = _l("Unknown article list.")
        return errors


def _parent(item, by):
    return customer_for(item.parent_id, by, for_edit=True)


def _create_contact(item, values, *, by):
    commands.save_contact(_parent(item, by), values, by=by, contact=item)


def _update_contact(item, values, *, by):
    commands.save_contact(item.customer, values, by=by, contact=item,
                          expected_version=getattr(item, "submitted_version", None))


def _create_address(item, values, *, by):
    commands.save_address(_parent(item, by), item.kind, values, by=by)


def _update_address(item, values, *, by):
    commands.save_address(item.customer, item.kind, values, by=by,
                          expected_version=getattr(item, "submitted_version", None))


def _delete_address(item, *, by):
    commands.delete_address(item.customer, item.kind, by=by)


def _create_article(item, values, *, by):
    commands.add_customer_article(_parent(item, by), values, by=by)


class CustomerChildView(ModelView):
    """What the three related views share: rights, scope, the parent customer, the way back."""

    class_permission_name = CUSTOMER
    base_permissions = CUSTOMER_PERMISSIONS
    base_filters = [["customer", CustomerScope, None]]
    search_columns = order_columns = []
    anchor = ""
    form_template = "customers/subform.html"

    def _card(self, customer_id):
        return redirect(url_for("CustomerView.show", pk=customer_id) + self.anchor)

    def _row_or_404(self, pk):
        row = self.datamodel.get(pk, self._base_filters)
        if row is None or get_customer(row.customer_id, current_actor(), for_edit=True) is None:
            abort(404)
        return row

    def _parent_or_404(self):
        customer = get_customer(filter_arg("customer"), current_actor(), for_edit=True)
        if customer is None:
            abort(404)
        return customer

    def pre_add(self, item):
        item.parent_id = filter_arg("customer")

    def _render(self, widgets, key, customer, title):
        return self.render_template(self.form_template, form=widgets[key].template_args["form"],
                                    customer=customer, title=title)

    @expose("/list/")
    @requires(VIEW, VIEW_ASSIGNED)
    def list(self):
        customer = get_customer(filter_arg("customer"), current_actor())
        if customer is None:
            abort(404)
        return self._card(customer.id)

    @expose("/show/<pk>")
    @requires(VIEW, VIEW_ASSIGNED)
    def show(self, pk):
        row = self.datamodel.get(pk, self._base_filters)
        if row is None:
            abort(404)
        return self._card(row.customer_id)

    @expose("/<int:pk>/edit", methods=["GET", "POST"])
    @requires(EDIT, EDIT_ASSIGNED)
    def edit(self, pk):
        row = self._row_or_404(pk)
        widgets = self._edit(pk)
        if widgets is None:
            return self._card(row.customer_id)
        return self._render(widgets, "edit", row.customer, self.edit_title)

    @expose("/<int:pk>/delete", methods=["POST"])
    @requires(EDIT, EDIT_ASSIGNED)
    def delete(self, pk):
        row = self._row_or_404(pk)
        customer_id = row.customer_id
        if ConfirmForm().validate_on_submit():
            self._delete(pk)
        return self._card(customer_id)


class ContactInlineView(CustomerChildView):
    route_base = "/customers/contacts"
    datamodel = CommandInterface(Contact, create=_create_contact, update=_update_contact,
                                 delete=commands.delete_contact)
    list_columns = show_columns = add_columns = edit_columns = ["name", "phone", "email"]
    add_form = edit_form = ContactForm
    add_title, edit_title = _l("Add contact"), _l("Edit contact")
    add_row_message, edit_row_message, delete_row_message = (
        _l("The contact was saved."), _l("The contact was saved."), _l("The contact was deleted."))
    anchor = "#contacts"

    @expose("/add", methods=["GET", "POST"])
    @requires(EDIT, EDIT_ASSIGNED)
    def add(self):
        customer = self._parent_or_404()
        widgets = self._add()
        if widgets is None:
            return self._card(customer.id)
        return self._render(widgets, "add", customer, self.add_title)


class AddressInlineView(CustomerChildView):
    route_base = "/customers/addresses"
    datamodel = CommandInterface(Address, create=_create_address, update=_update_address, delete=_delete_address)
    list_columns = show_columns = add_columns = edit_columns = ["street", "postcode", "city"]
    add_form = edit_form = AddressForm
    add_row_message = edit_row_message = _l("The address was saved.")
    delete_row_message = _l("The address was removed.")
    anchor = "#addresses"

    def _kind(self):
        kind = request.args.get("kind")
        if kind not in ADDRESS_KINDS:
            abort(404)
        return kind

    def pre_add(self, item):
        super().pre_add(item)
        item.kind = self._kind()

    @expose("/add", methods=["GET", "POST"])
    @requires(EDIT, EDIT_ASSIGNED)
    def add(self):
        kind = self._kind()
        customer = self._parent_or_404()
        existing = customer.address(kind)
        if existing is not None:  # one address of each kind: change the one there is
            return redirect(url_for(".edit", pk=existing.id))
        widgets = self._add()
        if widgets is None:
            return self._card(customer.id)
        return self._render(widgets, "add", customer, ADDRESS_TITLES[kind])

    def prefill_form(self, form, pk):
        address = db.session.get(Address, pk)
        form.postcode.data = address.postcode_display

    @expose("/<int:pk>/edit", methods=["GET", "POST"])
    @requires(EDIT, EDIT_ASSIGNED)
    def edit(self, pk):
        row = self._row_or_404(pk)
        self.edit_title = ADDRESS_TITLES[row.kind]
        return CustomerChildView.edit(self, pk)

    @expose("/<int:pk>/delete", methods=["POST"])
    @requires(EDIT, EDIT_ASSIGNED)
    def delete(self, pk):
        row = self._row_or_404(pk)
        if row.kind == INVOICE:
            abort(404)  # changed, never removed
        return CustomerChildView.delete(self, pk)


class CustomerArticleInlineView(CustomerChildView):
    route_base = "/customers/articles"
    datamodel = CommandInterface(CustomerArticle, create=_create_article, delete=commands.remove_customer_article)
    list_columns = show_columns = add_columns = edit_columns = ["quantity"]
    add_form = CustomerArticleForm
    add_row_message = _l("The article was added.")
    delete_row_message = _l("The article was removed.")
    anchor = "#articles"

    @expose("/add", methods=["POST"])
    @requires(EDIT, EDIT_ASSIGNED)
    def add(self):
        customer = self._parent_or_404()
        kind = request.form.get("kind")
        if kind not in ARTICLE_SETTINGS or not get_settings()[ARTICLE_SETTINGS[kind]]:
            abort(404)  # that list is not shown (F26)
        widgets = self._add()
        if widgets is not None:  # refused: say why on the card
            form = widgets["add"].template_args["form"]
            for field in form:
                for message in field.errors:
                    flash(message, "danger")
        return self._card(customer.id)

    @expose("/<int:pk>/edit", methods=["GET", "POST"])
    def edit(self, pk):
        abort(404)  # a customer article is added or removed, not changed

