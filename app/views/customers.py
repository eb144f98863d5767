"""The customer register: list with search, the customer card, and its forms.

Thin: parse the request, call app/services, render. Every lookup goes through
`scope.get_customer`, so a customer outside the user's rights is a 404.
"""

from flask import abort, flash, redirect, request, url_for
from flask_appbuilder import BaseView, expose
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import select
from werkzeug.datastructures import MultiDict

from ..extensions import db
from ..models.article import (
    CUSTOMER_ARTICLE_KINDS,
    SERVICE_ARTICLE,
    WORK_ORDER_ARTICLE,
    Article,
    CustomerArticle,
)
from ..models.customer import ADDRESS_KINDS, INVOICE, POSTAL, VISITING, Contact
from ..models.discount import DiscountLetter
from ..security.access import requires, user_can
from ..security.rights import (
    CREATE,
    CUSTOMER,
    CUSTOMER_PERMISSIONS,
    DELETE,
    EDIT,
    EDIT_ASSIGNED,
    VIEW,
    VIEW_ASSIGNED,
)
from ..services import custom_fields as cf
from ..services import customers as svc
from ..services.list_columns import display_value as cell_text
from ..services.list_columns import load_options, resolve_list
from ..services.scope import get_customer
from ..services.search import PAGE_SIZES, SORT_COLUMNS, assignable_users, search_page
from ..services.settings import get_settings
from ..services.vat import shows_prices_including_vat
from .customer_actions import BULK_ACTIONS, CustomerActionsMixin
from .forms import (
    IDENTITY_LABELS,
    AddressForm,
    ConfirmForm,
    ContactForm,
    CustomerArticleForm,
    customer_form_class,
)

ADDRESS_TITLES = {
    INVOICE: _l("Invoice address"),
    VISITING: _l("Visiting address"),
    POSTAL: _l("Postal address"),
}
ARTICLE_TITLES = {SERVICE_ARTICLE: _l("Service articles"), WORK_ORDER_ARTICLE: _l("Work-order articles")}
ARTICLE_SETTINGS = {SERVICE_ARTICLE: "show_service_articles", WORK_ORDER_ARTICLE: "show_work_order_articles"}


def _put_errors(form, errors: dict) -> None:
    for name, message in errors.items():
        if name in form:
            form[name].errors = list(form[name].errors or []) + [message]
        else:
            flash(message, "danger")


def contact_of(customer, contact_id):
    """The customer's own contact, or 404 (never another customer's, whatever the URL says)."""
    if contact_id is None:
        return None
    contact = next((c for c in customer.contacts if c.id == contact_id), None)
    if contact is None:
        abort(404)
    return contact


def submit_contact_form(customer, contact):
    """Show or save the contact form (card and portal alike); returns (form, saved)."""
    form = ContactForm(obj=contact) if request.method == "GET" else ContactForm()
    if form.validate_on_submit():
        try:
            svc.save_contact(customer, {k: v for k, v in form.data.items() if k != "csrf_token"}, contact)
        except svc.CustomerInvalid as exc:
            _put_errors(form, exc.errors)
        else:
            flash(_l("The contact was saved."), "success")
            return form, True
    return form, False


def submit_address_form(customer, kind):
    """Show or save one address form (card and portal alike); returns (form, saved)."""
    if kind not in ADDRESS_KINDS:
        abort(404)
    address = customer.address(kind)
    if request.method == "GET":
        form = AddressForm(obj=address)
        if address is not None:
            form.postcode.data = address.postcode_display
    else:
        form = AddressForm()
    if form.validate_on_submit():
        try:
            svc.save_address(customer, kind, {k: v for k, v in form.data.items() if k != "csrf_token"})
        except svc.CustomerInvalid as exc:
            _put_errors(form, exc.errors)
        else:
            flash(_l("The address was saved."), "success")
            return form, True
    return form, False


def _customer_raw(form, fields) -> dict:
    raw = {name: form[name].data for name in form.data if name != "csrf_token"}
    raw["discount_letter_ids"] = form.discount_letter_ids.data or []
    for definition in fields:
        if definition.field_type == "boolean":
            raw[f"cf_{definition.id}"] = "1" if form[f"cf_{definition.id}"].data else "0"
    return raw


def _customer_form_data(customer) -> MultiDict:
    data = MultiDict({"version": str(customer.version)})
    for name in (
        "name", "customer_type", "identity_number", "comment", "vat_type", "language", "cost_centre",
        "tax_reduction_personnummer", "property_designation", "housing_coop_org_number", "apartment_number",
    ):
        value = getattr(customer, name)
        if value is not None:
            data[name] = value
    for flag in svc.F13_FLAGS:
        if getattr(customer, flag):
            data[flag] = "y"
    invoice = customer.address(INVOICE)
    if invoice is not None:
        for part in svc.ADDRESS_PARTS:
            value = getattr(invoice, part)
            if value:
                data[f"invoice_{part}"] = invoice.postcode_display if part == "postcode" else value
    for letter in customer.discount_letters:
        data.add("discount_letter_ids", str(letter.id))
    for value in customer.custom_values:
        if value.field.field_type == "boolean":
            if value.value == "1":
                data[f"cf_{value.field_id}"] = "y"
        elif value.value is not None:
            data[f"cf_{value.field_id}"] = value.value
    return data


class CustomerView(CustomerActionsMixin, BaseView):
    route_base = "/customers"
    default_view = "list"
    class_permission_name = CUSTOMER
    base_permissions = CUSTOMER_PERMISSIONS

    # -- helpers ---------------------------------------------------------------
    def _customer_or_404(self, customer_id, for_edit=False):
        customer = get_customer(customer_id, current_user, for_edit=for_edit)
        if customer is None:
            abort(404)
        return customer

    def _form_class(self, is_new):
        session = db.session
        letters = session.execute(select(DiscountLetter).order_by(DiscountLetter.name)).scalars().all()
        return customer_form_class(
            get_settings(), cf.active_fields(session), letters, svc.offered_languages(), is_new
        )

    def _render_form(self, form, customer=None):
        fields = cf.active_fields(db.session)
        chosen_type = form.customer_type.data or "company"
        form.identity_number.label.text = IDENTITY_LABELS.get(chosen_type, IDENTITY_LABELS["company"])
        title = _l("Edit customer") if customer else _l("Add customer")
        return self.render_template(
            "customers/form.html",
            form=form,
            customer=customer,
            custom_fields=fields,
            settings=get_settings(),
            identity_labels={k: str(v) for k, v in IDENTITY_LABELS.items()},
            title=title,
        )

    # -- list ----------------------------------------------------------------
    @expose("/")
    @requires(VIEW, VIEW_ASSIGNED)
    def list(self):
        session = db.session
        listing = resolve_list(session, request.args, current_user)  # the user's columns and sort (F23)
        fields, search = listing.fields, listing.search
        page = search_page(session, search, current_user, fields, options=load_options(listing.columns))
        return self.render_template(
            "customers/list.html",
            customers=page.customers,
            total=page.total,
            total_exact=page.exact,
            search=search,
            custom_fields=fields,
            columns=listing.columns,
            listing=listing,
            cell=cell_text,
            technicians=assignable_users(session),
            page_sizes=PAGE_SIZES,
            sort_columns=SORT_COLUMNS,
            pages=page.pages,
            settings=listing.settings,
            display_name=svc.display_name,
            can_create=user_can(CREATE),
            can_import=user_can(CREATE, EDIT),
            display_value=cf.display_value,
            bulk_actions=[(name, label) for name, (label, rights, _e) in BULK_ACTIONS.items() if user_can(*rights)],
            title=_l("Customers"),
        )

    # -- card ----------------------------------------------------------------
    @expose("/<int:customer_id>")
    @requires(VIEW, VIEW_ASSIGNED)
    def show(self, customer_id):
        customer = self._customer_or_404(customer_id)
        settings = get_settings()
        session = db.session
        values = {v.field_id: v.value for v in customer.custom_values}
        custom = [(f, cf.display_value(f, values.get(f.id))) for f in cf.active_fields(session)]
        articles = {kind: [a for a in customer.articles if a.kind == kind] for kind in CUSTOMER_ARTICLE_KINDS}
        article_form = CustomerArticleForm()
        article_form.article_id.choices = [
            (str(a.id), f"{a.article_number} {a.name}")
            for a in session.execute(select(Article).order_by(Article.article_number)).scalars()
        ]
        can_edit = get_customer(customer_id, current_user, for_edit=True) is not None and user_can(EDIT, EDIT_ASSIGNED)
        return self.render_template(
            "customers/show.html",
            customer=customer,
            settings=settings,
            custom=custom,
            articles=articles,
            article_titles=ARTICLE_TITLES,
            article_settings=ARTICLE_SETTINGS,
            article_form=article_form,
            address_titles=ADDRESS_TITLES,
            address_kinds=ADDRESS_KINDS,
            identity_label=IDENTITY_LABELS[customer.customer_type],
            includes_vat=shows_prices_including_vat(customer, settings),
            languages=svc.offered_languages(),
            can_edit=can_edit,
            can_delete=user_can(DELETE),
            confirm_form=ConfirmForm(),
            display_name=svc.display_name(customer, settings),
            title=customer.name,
            **self.card_extras(customer),
        )

    # -- add / edit / delete -------------------------------------------------
    @expose("/add", methods=["GET", "POST"])
    @requires(CREATE)
    def add(self):
        form = self._form_class(is_new=True)()
        if form.validate_on_submit():
            try:
                customer = svc.create_customer(_customer_raw(form, cf.active_fields(db.session)))
            except svc.CustomerInvalid as exc:
                _put_errors(form, exc.errors)
            else:
                flash(_l("Customer %(number)s %(name)s was created.", number=customer.customer_number,
                         name=customer.name), "success")
                return redirect(url_for(".show", customer_id=customer.id))
        return self._render_form(form)

    @expose("/<int:customer_id>/edit", methods=["GET", "POST"])
    @requires(EDIT, EDIT_ASSIGNED)
    def edit(self, customer_id):
        customer = self._customer_or_404(customer_id, for_edit=True)
        form_class = self._form_class(is_new=False)
        if request.method == "POST":
            form = form_class()
            if form.validate_on_submit():
                try:
                    svc.update_customer(customer, _customer_raw(form, cf.active_fields(db.session)),
                                        expected_version=request.form.get("version", type=int))
                except svc.EditConflict as exc:
                    flash(exc.message, "danger")
                except svc.CustomerInvalid as exc:
                    _put_errors(form, exc.errors)
                else:
                    flash(_l("The customer was saved."), "success")
                    return redirect(url_for(".show", customer_id=customer.id))
        else:
            form = form_class(formdata=_customer_form_data(customer))
        return self._render_form(form, customer)

    @expose("/<int:customer_id>/delete", methods=["POST"])
    @requires(DELETE)
    def delete(self, customer_id):
        customer = self._customer_or_404(customer_id)
        if ConfirmForm().validate_on_submit():
            name = customer.name
            db.session.delete(customer)
            db.session.commit()
            flash(_l("Customer %(name)s was deleted.", name=name), "success")
        return redirect(url_for(".list"))

    # -- contacts ------------------------------------------------------------
    @expose("/<int:customer_id>/contacts/new", methods=["GET", "POST"])
    @expose("/<int:customer_id>/contacts/<int:contact_id>", methods=["GET", "POST"])
    @requires(EDIT, EDIT_ASSIGNED)
    def contact_form(self, customer_id, contact_id=None):
        customer = self._customer_or_404(customer_id, for_edit=True)
        contact = contact_of(customer, contact_id)
        form, saved = submit_contact_form(customer, contact)
        if saved:
            return redirect(url_for(".show", customer_id=customer.id) + "#contacts")
        title = _l("Edit contact") if contact else _l("Add contact")
        return self.render_template("customers/subform.html", form=form, customer=customer, title=title)

    @expose("/<int:customer_id>/contacts/<int:contact_id>/delete", methods=["POST"])
    @requires(EDIT, EDIT_ASSIGNED)
    def contact_delete(self, customer_id, contact_id):
        customer = self._customer_or_404(customer_id, for_edit=True)
        contact = db.session.get(Contact, contact_id)
        if contact is None or contact.customer_id != customer.id:
            abort(404)
        if ConfirmForm().validate_on_submit():
            svc.delete_contact(contact)
            flash(_l("The contact was deleted."), "success")
        return redirect(url_for(".show", customer_id=customer.id) + "#contacts")

    # -- addresses -----------------------------------------------------------
    @expose("/<int:customer_id>/addresses/<kind>", methods=["GET", "POST"])
    @requires(EDIT, EDIT_ASSIGNED)
    def address_form(self, customer_id, kind):
        if kind not in ADDRESS_KINDS:
            abort(404)
        customer = self._customer_or_404(customer_id, for_edit=True)
        form, saved = submit_address_form(customer, kind)
        if saved:
            return redirect(url_for(".show", customer_id=customer.id) + "#addresses")
        return self.render_template(
            "customers/subform.html", form=form, customer=customer, title=ADDRESS_TITLES[kind]
        )

    @expose("/<int:customer_id>/addresses/<kind>/delete", methods=["POST"])
    @requires(EDIT, EDIT_ASSIGNED)
    def address_delete(self, customer_id, kind):
        if kind not in (VISITING, POSTAL):
            abort(404)
        customer = self._customer_or_404(customer_id, for_edit=True)
        if ConfirmForm().validate_on_submit():
            svc.delete_address(customer, kind)
            flash(_l("The address was removed."), "success")
        return redirect(url_for(".show", customer_id=customer.id) + "#addresses")

    # -- customer articles (F9) ----------------------------------------------
    @expose("/<int:customer_id>/articles/<kind>", methods=["POST"])
    @requires(EDIT, EDIT_ASSIGNED)
    def article_add(self, customer_id, kind):
        if kind not in CUSTOMER_ARTICLE_KINDS or not get_settings()[ARTICLE_SETTINGS[kind]]:
            abort(404)
        customer = self._customer_or_404(customer_id, for_edit=True)
        form = CustomerArticleForm()
        if form.validate_on_submit():
            try:
                svc.add_customer_article(customer, kind, {k: v for k, v in form.data.items() if k != "csrf_token"})
            except svc.CustomerInvalid as exc:
                for message in exc.errors.values():
                    flash(message, "danger")
            else:
                flash(_l("The article was added."), "success")
        return redirect(url_for(".show", customer_id=customer.id) + "#articles")

    @expose("/<int:customer_id>/articles/row/<int:row_id>/delete", methods=["POST"])
    @requires(EDIT, EDIT_ASSIGNED)
    def article_delete(self, customer_id, row_id):
        customer = self._customer_or_404(customer_id, for_edit=True)
        row = db.session.get(CustomerArticle, row_id)
        if row is None or row.customer_id != customer.id:
            abort(404)
        if ConfirmForm().validate_on_submit():
            svc.remove_customer_article(row)
            flash(_l("The article was removed."), "success")
        return redirect(url_for(".show", customer_id=customer.id) + "#articles")



