"""The customer's orders on FAB (issue 12): OrderView under *Arbete*, and the facilities as a
related view of the customer card.

Thin like the customer views: FAB's ModelView gives the routes and the add/edit flow, the
form is checked by `services/orders.py` (a refused form keeps what was typed), every write
goes through `app/commands/orders.py` (`CommandInterface`), `OrderScope` is the base filter
and each route checks the order right ("any of") before FAB runs. The list is our own page
(filters by customer, kind, status and technician, newest first, no full count), the card is
our own template with the rows, their amounts (F4/F5) and the status.
"""

from __future__ import annotations

from flask import abort, flash, g, redirect, request, url_for
from flask_appbuilder import ModelView, expose
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from wtforms import BooleanField, HiddenField, StringField, TextAreaField

from ..commands import orders as commands
from ..commands.customers import customer_for
from ..errors import Invalid, NotAllowed, NotFound
from ..extensions import db
from ..models.article import Article
from ..models.customer import Contact, Customer
from ..models.order import ORDER_KINDS, ORDER_STATUSES, Facility, Order, OrderRow
from ..security.access import current_actor, requires, user_can
from ..security.rights import (
    CREATE,
    CUSTOMER_PERMISSIONS,
    DELETE,
    EDIT,
    EDIT_ASSIGNED,
    ORDER,
    ORDER_PERMISSIONS,
    VIEW,
    VIEW_ASSIGNED,
)
from ..services import orders as rules
from ..services.assignment import assignable_users
from ..services.scope import (
    CustomerScope,
    OrderScope,
    get_customer,
    get_order,
    orders_scoped,
    selectable_customers,
)
from ..services.settings import get_settings
from .command_views import CommandInterface, FormFactory, ServiceForm, filter_arg
from .customer_children import CustomerChildView
from .forms import ConfirmForm, ServiceCheckedSelect

PAGE_SIZE = 50
CARD_LIST_SIZE = 10
# The card's three lists (F16): orders, fault reports, quotes
CARD_LISTS = (("orders", _l("Orders"), ("service_order", "work_order")),
              ("fault_reports", _l("Fault reports"), ("fault_report",)),
              ("quotes", _l("Quotes"), ("quote",)))
MAX_CUSTOMER_CHOICES = 500
# The full list's sorts (the card's lists are the newest 10; *Visa alla* leads here to sort them)
SORTS = {
    "newest": (Order.id.desc(),),
    "oldest": (Order.id.asc(),),
    "work_date": (Order.work_date.desc(), Order.id.desc()),
    "status": (Order.status.asc(), Order.id.desc()),
    "customer": (Customer.name.asc(), Order.id.desc()),
}


def _int_arg(name: str):
    value = request.values.get(name)
    return int(value) if value and value.isdigit() and len(value) < 10 else None


# -- the order form ------------------------------------------------------------------------------


class OrderFormBase(ServiceForm):
    is_new = False
    skip = ("csrf_token", "version", "load_articles")

    def check(self, values: dict) -> dict:
        session = db.session
        if self.is_new:
            customer = get_customer(values.get("customer_id"), current_actor())
            if customer is not None:
                values = rules.with_inherited(values, customer, session)
        else:
            order = session.get(Order, getattr(self, "_id", None) or 0)
            customer = order.customer if order is not None else None
            if order is not None and self.version.data and str(order.version) != str(self.version.data):
                return {"version": rules.EDIT_CONFLICT}
        _clean, errors = rules.clean_order(values, customer, get_settings(), session, is_new=self.is_new)
        return errors

    def populate_obj(self, obj) -> None:
        obj.submitted = self.values()
        obj.submitted_version = int(self.version.data) if str(self.version.data or "").isdigit() else None
        obj.load_articles = bool(self.load_articles.data) if "load_articles" in self else False


def _choices(rows, label) -> list[tuple[str, str]]:
    return [("", "")] + [(str(r.id), label(r)) for r in rows]


def build_order_form(is_new: bool, customer: Customer | None):
    """The form for the current settings and customer: its facilities and contacts to choose from."""
    settings = get_settings()
    session = db.session
    fields: dict = {"version": HiddenField(), "is_new": is_new}
    if is_new:
        fields["kind"] = ServiceCheckedSelect(_l("Kind"), choices=[(k, rules.KIND_LABELS[k]) for k in ORDER_KINDS])
        customers = list(session.execute(selectable_customers(current_actor()).order_by(Customer.name)
                                         .limit(MAX_CUSTOMER_CHOICES)).scalars())
        if customer is not None and customer not in customers:
            customers.insert(0, customer)
        fields["customer_id"] = ServiceCheckedSelect(_l("Customer"), choices=_choices(
            customers, lambda c: f"{c.customer_number} {c.name}"))
    customer_id = customer.id if customer is not None else 0
    if customer is None or not customer.facilities_disabled:
        fields["facility_id"] = ServiceCheckedSelect(_l("Facility"), choices=_choices(
            rules.facilities_of(customer_id, session), lambda f: f.name))
    fields["contact_id"] = ServiceCheckedSelect(_l("Contact"), choices=_choices(
        session.execute(select(Contact).where(Contact.customer_id == customer_id).order_by(Contact.name)).scalars(),
        lambda c: c.name))
    if not is_new:
        fields["status"] = ServiceCheckedSelect(_l("Status"), choices=[(s, rules.STATUS_LABELS[s])
                                                                      for s in ORDER_STATUSES])
    fields["assigned_to_id"] = ServiceCheckedSelect(_l("Assigned user"), choices=_choices(
        assignable_users(session), lambda u: f"{u.first_name} {u.last_name}"),
        description=_l("Empty: the customer's technician, if it has one.") if is_new else "")
    fields["work_date"] = StringField(_l("Work date"), render_kw={"type": "date"})
    fields["description"] = TextAreaField(_l("Description"))
    if settings.show_customer_order_number or settings.require_customer_order_number:
        fields["customer_order_number"] = StringField(_l("Customer's order number"))
    if settings.show_cost_centre or (customer is not None and customer.cost_centre_required):
        fields["cost_centre"] = StringField(_l("Cost centre"))
    offered = [kind for kind in rules.ARTICLE_LISTS
               if customer is None or rules.articles_to_load(customer, kind, settings)]
    if is_new and offered and any(settings[setting] for _kind, setting in rules.ARTICLE_LISTS.values()):
        fields["load_articles"] = BooleanField(_l("Load the customer's service or work-order articles as rows"),
                                               default=True)
    return type("OrderForm", (OrderFormBase,), fields)


class NewOrderForm(FormFactory):
    @classmethod
    def build(cls):
        customer = get_customer(_int_arg("customer_id") or _int_arg("customer"), current_actor())
        return build_order_form(True, customer)


class EditOrderForm(FormFactory):
    @classmethod
    def build(cls):
        order = get_order(request.view_args.get("pk"), current_actor()) if request.view_args else None
        return build_order_form(False, order.customer if order is not None else None)


def _create(item, values, *, by):
    commands.create_order(values, by=by, order=item, load_articles=getattr(item, "load_articles", False))
    g.saved_order_id = item.id


def _update(item, values, *, by):
    commands.update_order(item, values, by=by, expected_version=getattr(item, "submitted_version", None))


class OrderView(ModelView):
    route_base = "/orders"
    default_view = "list"
    datamodel = CommandInterface(Order, create=_create, update=_update, delete=commands.delete_order)
    class_permission_name = ORDER
    base_permissions = ORDER_PERMISSIONS
    base_filters = [["id", OrderScope, None]]
    add_form = NewOrderForm
    edit_form = EditOrderForm
    list_columns = show_columns = add_columns = edit_columns = ["number"]
    search_columns = order_columns = []
    add_row_message = _l("The order was saved.")
    edit_row_message = _l("The order was saved.")
    delete_row_message = _l("The order was deleted.")

    def _order_or_404(self, pk, for_edit: bool = False) -> Order:
        order = get_order(pk, current_actor(), for_edit=for_edit)
        if order is None:
            abort(404)
        return order

    # -- list ------------------------------------------------------------------------------
    @expose("/list/")
    @expose("/")
    @requires(VIEW, VIEW_ASSIGNED, view_menu=ORDER)
    def list(self):
        settings = get_settings()
        args = request.args
        query = orders_scoped(select(Order).join(Order.customer), current_actor())
        customer_id = _int_arg("customer")
        kinds = [k for k in args.getlist("kind") if k in ORDER_KINDS]
        status = args.get("status") if args.get("status") in ORDER_STATUSES else ""
        assigned = _int_arg("assigned")
        text = (args.get("q") or "").strip()[:100]
        if customer_id is not None:
            query = query.where(Order.customer_id == customer_id)
        if kinds:
            query = query.where(Order.kind.in_(kinds))
        if status:
            query = query.where(Order.status == status)
        if assigned is not None:
            query = query.where(Order.assigned_to_id == assigned)
        if text:
            query = query.where(rules.order_text_condition(text, db.session, current_actor()))
        sort = args.get("sort") if args.get("sort") in SORTS else "newest"
        query = query.order_by(*SORTS[sort])
        page = max(1, _int_arg("page") or 1)
        rows = list(db.session.execute(query.offset((page - 1) * PAGE_SIZE)
                                       .limit(PAGE_SIZE + 1)).scalars())
        customer = get_customer(customer_id, current_actor()) if customer_id is not None else None
        keep = {"customer": customer_id, "kind": kinds, "status": status or None, "assigned": assigned,
                "q": text or None, "sort": sort}
        return self.render_template(
            "orders/list.html", orders=rows[:PAGE_SIZE], more=len(rows) > PAGE_SIZE, page=page, keep=keep,
            kinds=kinds, status=status, sort=sort, assigned=assigned, text=text, customer=customer,
            kind_labels=rules.KIND_LABELS, status_labels=rules.STATUS_LABELS, list_name=rules.list_name,
            settings=settings, technicians=assignable_users(), can_create=user_can(CREATE, view_menu=ORDER),
            title=_l("Orders"))

    # -- card ------------------------------------------------------------------------------
    @expose("/<int:pk>")
    @requires(VIEW, VIEW_ASSIGNED, view_menu=ORDER)
    def show(self, pk):
        order = self._order_or_404(pk)
        settings = get_settings()
        can_edit = get_order(pk, current_actor(), for_edit=True) is not None
        articles = db.session.execute(select(Article).order_by(Article.article_number)).scalars().all()
        return self.render_template(
            "orders/show.html", order=order, totals=rules.order_totals(order, settings), settings=settings,
            kind_labels=rules.KIND_LABELS, status_labels=rules.STATUS_LABELS, statuses=ORDER_STATUSES,
            articles=articles, can_edit=can_edit, can_delete=user_can(DELETE, view_menu=ORDER),
            offers_articles=bool(rules.articles_to_load(order.customer, order.kind, settings)),
            confirm_form=ConfirmForm(), title=rules.order_label(order))

    # -- add / edit / delete ---------------------------------------------------------------
    def _render_form(self, form, order=None):
        customer = order.customer if order is not None else None
        return self.render_template("orders/form.html", form=form, order=order, customer=customer,
                                    title=_l("Edit order") if order is not None else _l("New order"))

    @expose("/add", methods=["GET", "POST"])
    @requires(CREATE, view_menu=ORDER)
    def add(self):
        widgets = self._add()
        if widgets is None:
            order_id = g.pop("saved_order_id", None)
            return redirect(url_for(".show", pk=order_id) if order_id else url_for(".list"))
        form = widgets["add"].template_args["form"]
        if request.method == "GET":
            if "customer_id" in form and _int_arg("customer"):
                form.customer_id.data = str(_int_arg("customer"))
            if request.args.get("kind") in ORDER_KINDS:
                form.kind.data = request.args["kind"]
            if "facility_id" in form and _int_arg("facility"):
                form.facility_id.data = str(_int_arg("facility"))
        return self._render_form(form)

    def prefill_form(self, form, pk):
        order = db.session.get(Order, pk)
        for key in ("facility_id", "contact_id", "assigned_to_id"):
            if key in form:
                form[key].data = str(getattr(order, key) or "")
        form.work_date.data = order.work_date.isoformat() if order.work_date else ""
        form.version.data = str(order.version)

    @expose("/<int:pk>/edit", methods=["GET", "POST"])
    @requires(EDIT, EDIT_ASSIGNED, view_menu=ORDER)
    def edit(self, pk):
        order = self._order_or_404(pk, for_edit=True)
        widgets = self._edit(pk)
        if widgets is None:
            return redirect(url_for(".show", pk=pk))
        return self._render_form(widgets["edit"].template_args["form"], order)

    @expose("/<int:pk>/delete", methods=["POST"])
    @requires(DELETE, view_menu=ORDER)
    def delete(self, pk):
        order = self._order_or_404(pk)
        customer_id = order.customer_id
        if ConfirmForm().validate_on_submit():
            self._delete(pk)
            if get_order(pk, current_actor()) is None:
                return redirect(url_for(".list", customer=customer_id))
        return redirect(url_for(".show", pk=pk))

    # -- status and rows (POST from the card) ---------------------------------------------
    def _run(self, pk, work):
        order = self._order_or_404(pk, for_edit=True)
        if not ConfirmForm().validate_on_submit():
            abort(400)
        try:
            message = work(order)
        except Invalid as exc:
            for error in exc.errors.values():
                flash(error, "danger")
        except (NotAllowed, NotFound):
            abort(404)
        else:
            if message:
                flash(message, "success")
        return redirect(url_for(".show", pk=pk) + "#rows")

    @expose("/<int:pk>/status", methods=["POST"])
    @requires(EDIT, EDIT_ASSIGNED, view_menu=ORDER)
    def status(self, pk):
        def work(order):
            commands.set_status(order, request.form.get("status", ""), by=current_actor())
            return _l("The status is now %(status)s.", status=rules.STATUS_LABELS[order.status])
        return self._run(pk, work)

    @expose("/<int:pk>/rows/add", methods=["POST"])
    @requires(EDIT, EDIT_ASSIGNED, view_menu=ORDER)
    def row_add(self, pk):
        values = {key: request.form.get(key) for key in rules.ROW_FIELDS if request.form.get(key) not in (None, "")}
        return self._run(pk, lambda order: commands.add_row(order, values, by=current_actor()) and None)

    def _row(self, order, row_id) -> OrderRow:
        row = db.session.get(OrderRow, row_id)
        if row is None or row.order_id != order.id:
            abort(404)
        return row

    @expose("/<int:pk>/rows/<int:line_id>/edit", methods=["POST"])
    @requires(EDIT, EDIT_ASSIGNED, view_menu=ORDER)
    def row_edit(self, pk, line_id):
        values = {key: request.form.get(key) for key in rules.ROW_FIELDS if key != "article_id"
                  and request.form.get(key) is not None}
        return self._run(pk, lambda order: commands.update_row(self._row(order, line_id), values,
                                                                by=current_actor()) and None)

    @expose("/<int:pk>/rows/<int:line_id>/delete", methods=["POST"])
    @requires(EDIT, EDIT_ASSIGNED, view_menu=ORDER)
    def row_delete(self, pk, line_id):
        return self._run(pk, lambda order: commands.delete_row(self._row(order, line_id), by=current_actor()))

    @expose("/<int:pk>/load-articles", methods=["POST"])
    @requires(EDIT, EDIT_ASSIGNED, view_menu=ORDER)
    def load_articles(self, pk):
        def work(order):
            added = commands.load_customer_articles(order, by=current_actor())
            return _l("%(num)s rows were added.", num=added)
        return self._run(pk, work)


# -- the customer card: facilities and the three order lists ----------------------------------


def card_orders(customer) -> dict:
    """The card's lists (F16): the first 10 of each, newest first, only the orders the user sees."""
    lists = []
    for key, title, kinds in CARD_LISTS:
        query = orders_scoped(select(Order).where(Order.customer_id == customer.id, Order.kind.in_(kinds)),
                              current_actor()).order_by(Order.id.desc()).limit(CARD_LIST_SIZE + 1)
        rows = list(db.session.execute(query).scalars())
        lists.append({"key": key, "title": title, "kinds": kinds, "orders": rows[:CARD_LIST_SIZE],
                      "more": len(rows) > CARD_LIST_SIZE})
    return {
        "order_lists": lists,
        "facilities": rules.facilities_of(customer.id, db.session),
        "can_see_orders": user_can(VIEW, VIEW_ASSIGNED, view_menu=ORDER),
        "can_create_order": user_can(CREATE, view_menu=ORDER) and customer.active,
        "order_kind_labels": rules.KIND_LABELS,
        "order_status_labels": rules.STATUS_LABELS,
    }


class FacilityForm(ServiceForm):
    name = StringField(_l("Name"))
    street = StringField(_l("Street address"))
    postcode = StringField(_l("Postcode"))
    city = StringField(_l("City"))
    customer_order_number = StringField(_l("Customer's order number"))
    contact_id = ServiceCheckedSelect(_l("Contact"), choices=[])

    def check(self, values: dict) -> dict:
        customer_id = filter_arg("customer")
        if customer_id is None and request.view_args and request.view_args.get("pk"):
            facility = db.session.get(Facility, request.view_args["pk"])
            customer_id = facility.customer_id if facility is not None else None
        customer = db.session.get(Customer, customer_id or 0)
        if customer is None:
            return {}
        return rules.clean_facility(values, customer, db.session)[1]


class FacilityFormFactory(FormFactory):
    @classmethod
    def build(cls):
        customer_id = filter_arg("customer")
        if customer_id is None and request.view_args and request.view_args.get("pk"):
            facility = db.session.get(Facility, request.view_args["pk"])
            customer_id = facility.customer_id if facility is not None else None
        contacts = db.session.execute(select(Contact).where(Contact.customer_id == (customer_id or 0))
                                      .order_by(Contact.name)).scalars()
        choices = _choices(contacts, lambda c: c.name)
        return type("FacilityForm", (FacilityForm,), {
            "contact_id": ServiceCheckedSelect(_l("Contact"), choices=choices)})


def _create_facility(item, values, *, by):
    commands.save_facility(customer_for(item.parent_id, by, for_edit=True), values, by=by, facility=item)


def _update_facility(item, values, *, by):
    commands.save_facility(item.customer, values, by=by, facility=item)


class FacilityInlineView(CustomerChildView):
    """Facilities [anläggningar] on the customer card (F13: refused when disabled for the customer)."""

    route_base = "/customers/facilities"
    datamodel = CommandInterface(Facility, create=_create_facility, update=_update_facility,
                                 delete=commands.delete_facility)
    base_permissions = CUSTOMER_PERMISSIONS
    base_filters = [["customer", CustomerScope, None]]
    list_columns = show_columns = add_columns = edit_columns = ["name", "street", "postcode", "city"]
    add_form = edit_form = FacilityFormFactory
    add_title, edit_title = _l("Add facility"), _l("Edit facility")
    add_row_message = edit_row_message = _l("The facility was saved.")
    delete_row_message = _l("The facility was deleted.")
    anchor = "#facilities"

    def prefill_form(self, form, pk):
        facility = db.session.get(Facility, pk)
        form.contact_id.data = str(facility.contact_id or "")

    @expose("/add", methods=["GET", "POST"])
    @requires(EDIT, EDIT_ASSIGNED)
    def add(self):
        customer = self._parent_or_404()
        if customer.facilities_disabled:
            flash(_l("Facilities are disabled for %(name)s.", name=customer.name), "danger")
            return self._card(customer.id)
        widgets = self._add()
        if widgets is None:
            return self._card(customer.id)
        return self._render(widgets, "add", customer, self.add_title)


