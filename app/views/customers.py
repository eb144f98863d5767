"""The customer register on FAB's ModelView: list, card, forms and actions.

FAB generates the routes, the add/edit flow, the related views (contacts, addresses,
customer articles) and the actions; we fill in what the register needs:
- the list is our own fast page (search over contacts, per-user columns, bounded count);
- the form is built per request from the field registry (settings, custom fields) and
  checked by the service's rule, so a refused form keeps what was typed;
- every write goes through `app/commands` (the datamodel is a `CommandInterface`);
- `CustomerScope` is the base filter, and each route checks its F27 right, "any of" the
  rights that allow it (View or View only assigned, …), before FAB runs.
Assign, activate, inactivate and renumber are FAB actions, from the card (one customer)
or the list (the chosen ones, or all that match the filter), each with a confirmation.
"""

from __future__ import annotations

from types import SimpleNamespace

from flask import abort, flash, g, redirect, request, url_for
from flask_appbuilder import ModelView, expose
from flask_appbuilder.actions import action
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from flask_wtf import FlaskForm
from sqlalchemy import select
from wtforms import StringField

from ..commands import assignment as assign_cmd
from ..commands import customers as commands
from ..errors import NO_VERSION, EditConflict, Invalid, PossibleDuplicate
from ..extensions import db
from ..models.article import CUSTOMER_ARTICLE_KINDS, SERVICE_ARTICLE, WORK_ORDER_ARTICLE, Article
from ..models.customer import ADDRESS_KINDS, INVOICE, POSTAL, VISITING, Customer
from ..models.discount import DiscountLetter
from ..models.order import ORDER_KINDS
from ..security.access import current_actor, requires, user_can
from ..security.rights import (
    ASSIGN,
    CHANGE_CUSTOMER_NUMBER,
    CREATE,
    CUSTOMER,
    CUSTOMER_PERMISSIONS,
    DELETE,
    EDIT,
    EDIT_ASSIGNED,
    MERGE_CUSTOMERS,
    VIEW,
    VIEW_ASSIGNED,
)
from ..services import custom_fields as cf
from ..services import customer_fields as registry
from ..services import customers as rules
from ..services.assignment import assignable_users
from ..services.duplicates import duplicates_of_values
from ..services.list_choice import resolve_list
from ..services.list_columns import display_value as cell_text
from ..services.list_columns import load_options, sees_full_identity
from ..services.scope import CustomerScope, customer_ids_in_scope, get_customer
from ..services.search import PAGE_SIZES, SORT_COLUMNS, bulk_selection, parse_search, search_page
from ..services.settings import get_settings
from ..services.vat import shows_prices_including_vat
from .command_views import CommandInterface, FormFactory, ServiceForm
from .customer_card import CustomerCardMixin
from .customer_children import AddressInlineView, ContactInlineView, CustomerArticleInlineView
from .forms import ConfirmForm, CustomerArticleForm, ServiceCheckedSelect, customer_form_class, form_sections
from .orders import FacilityInlineView, card_orders

ADDRESS_TITLES = {
    INVOICE: _l("Invoice address"),
    VISITING: _l("Visiting address"),
    POSTAL: _l("Postal address"),
}
ARTICLE_TITLES = {SERVICE_ARTICLE: _l("Service articles"), WORK_ORDER_ARTICLE: _l("Work-order articles")}
ARTICLE_SETTINGS = {SERVICE_ARTICLE: "show_service_articles", WORK_ORDER_ARTICLE: "show_work_order_articles"}

# The actions, the rights that allow each (any of them), and whether they change the customer
# (edit scope) or only its assignment (view scope).
ACTIONS = {
    "assign": (_l("Assign technician"), (ASSIGN,), False),
    "inactivate": (_l("Inactivate"), (EDIT, EDIT_ASSIGNED), True),
    "activate": (_l("Activate"), (EDIT, EDIT_ASSIGNED), True),
    "renumber": (_l("Change customer number"), (CHANGE_CUSTOMER_NUMBER,), True),
}
MULTIPLE_ACTIONS = ("assign", "inactivate", "activate")


# -- the form ------------------------------------------------------------------------------


def _letters():
    return db.session.execute(select(DiscountLetter).order_by(DiscountLetter.name)).scalars().all()


class CustomerFormBase(ServiceForm):
    is_new = False
    skip = ("csrf_token", "version")
    duplicates: list = []

    def confirmed(self) -> bool:
        return request.form.get("confirm_duplicate") == "y"

    def check(self, values: dict) -> dict:
        prepared = rules.Prepared(db.session)
        clean, errors = rules.clean_customer(values, db.session, prepared, check_number=self.is_new)
        customer_id = getattr(self, "_id", None)  # FAB sets it on an edit form
        stored = db.session.get(Customer, customer_id) if customer_id is not None else None
        if customer_id is not None and not str(self.version.data or "").strip().isdigit():
            errors["version"] = NO_VERSION  # a save must say which version it changes
        elif stored is not None and str(stored.version) != str(self.version.data):
            errors["version"] = EditConflict.message
        if not errors and not self.confirmed():
            matches = duplicates_of_values(db.session, clean, stored)
            if matches:
                self.duplicates = visible_matches(matches)
                error = PossibleDuplicate(matches)
                errors["identity_number" if "identity_number" in self else "name"] = error.errors["identity_number"]
        return errors

    def populate_obj(self, obj) -> None:
        obj.submitted = self.values()
        obj.submitted_version = int(self.version.data) if str(self.version.data or "").isdigit() else None
        obj.submitted_duplicates = commands.CONFIRMED if self.confirmed() else commands.REFUSE


def visible_matches(matches) -> list:
    """The matches, each marked whether the current user may open it (the others are not named)."""
    seen = set(customer_ids_in_scope([m.id for m in matches], current_actor(), False))
    return [SimpleNamespace(**m.as_dict(), visible=m.id in seen) for m in matches]


def build_customer_form(is_new: bool):
    settings = get_settings()
    base = customer_form_class(settings, cf.active_fields(db.session), _letters(), is_new)
    return type("CustomerForm", (CustomerFormBase, base), {"is_new": is_new})


class NewCustomerForm(FormFactory):
    @classmethod
    def build(cls):
        return build_customer_form(is_new=True)


class EditCustomerForm(FormFactory):
    @classmethod
    def build(cls):
        return build_customer_form(is_new=False)


def _create(item, values, *, by):
    commands.create_customer(values, by=by, customer=item,
                             duplicates=getattr(item, "submitted_duplicates", commands.REFUSE))
    g.saved_customer_id = item.id


def _update(item, values, *, by):
    commands.update_customer(item, values, by=by, expected_version=getattr(item, "submitted_version", None),
                             duplicates=getattr(item, "submitted_duplicates", commands.REFUSE))


customer_interface = CommandInterface(Customer, create=_create, update=_update, delete=commands.delete_customer)


# -- the action forms ------------------------------------------------------------------------


class AssignForm(FlaskForm):
    technician = ServiceCheckedSelect(_l("Technician"), choices=[])


class RenumberForm(FlaskForm):
    customer_number = StringField(_l("New customer number"))


def technician_choices() -> list[tuple[str, str]]:
    return [("", ""), ("none", str(_l("Nobody (remove the assignment)")))] + [
        (str(u.id), f"{u.first_name} {u.last_name} ({u.username})") for u in assignable_users()
    ]


class CustomerView(CustomerCardMixin, ModelView):
    route_base = "/customers"
    default_view = "list"
    datamodel = customer_interface
    class_permission_name = CUSTOMER
    base_permissions = CUSTOMER_PERMISSIONS  # every "Customer" view declares the same set (FAB-NOTES §2.1)
    method_permission_name = {"assign": "assign", "activate": "edit", "inactivate": "edit",
                              "renumber": "change_customer_number"}
    base_filters = [["id", CustomerScope, None]]
    add_form = NewCustomerForm
    edit_form = EditCustomerForm
    # FAB's own list, search and show are replaced by ours; these keep its set-up light.
    list_columns = show_columns = add_columns = edit_columns = ["name"]
    search_columns = order_columns = []

    related_views = [ContactInlineView, AddressInlineView, CustomerArticleInlineView, FacilityInlineView]

    # -- list (F21–F23) ------------------------------------------------------------------
    @expose("/list/")
    @expose("/")
    @requires(VIEW, VIEW_ASSIGNED)
    def list(self):
        session = db.session
        listing = resolve_list(session, request.args, current_actor())  # the user's columns and sort (F23)
        fields, search = listing.fields, listing.search
        page = search_page(session, search, current_actor(), fields, options=load_options(listing.columns))
        return self.render_template(
            "customers/list.html",
            customers=page.customers,
            total=page.total,
            total_exact=page.exact,
            search=search,
            custom_fields=fields,
            filter_fields=registry.filter_fields(listing.settings),
            columns=listing.columns,
            listing=listing,
            cell=cell_text,
            technicians=assignable_users(session),
            page_sizes=PAGE_SIZES,
            sort_columns=SORT_COLUMNS,
            pages=page.pages,
            settings=listing.settings,
            display_name=rules.display_name,
            can_create=user_can(CREATE),
            can_import=user_can(CREATE, EDIT),
            bulk_actions=[(name, ACTIONS[name][0]) for name in MULTIPLE_ACTIONS if user_can(*ACTIONS[name][1])],
            title=_l("Customers"),
        )

    # -- card ----------------------------------------------------------------------------
    def _customer_or_404(self, pk, for_edit: bool = False) -> Customer:
        customer = get_customer(pk, current_actor(), for_edit=for_edit)
        if customer is None:
            abort(404)
        return customer

    @expose("/<int:pk>")
    @requires(VIEW, VIEW_ASSIGNED)
    def show(self, pk):
        customer = self._customer_or_404(pk)
        settings = get_settings()
        session = db.session
        definitions = cf.active_fields(session)
        articles = {kind: [a for a in customer.articles if a.kind == kind] for kind in CUSTOMER_ARTICLE_KINDS}
        article_form = CustomerArticleForm()
        article_form.article_id.choices = [
            (str(a.id), f"{a.article_number} {a.name}")
            for a in session.execute(select(Article).order_by(Article.article_number)).scalars()
        ]
        can_edit = get_customer(pk, current_actor(), for_edit=True) is not None
        return self.render_template(
            "customers/show.html",
            customer=customer,
            settings=settings,
            card_sections=card_sections(customer, settings, definitions, sees_full_identity(current_actor())),
            articles=articles,
            article_titles=ARTICLE_TITLES,
            article_settings=ARTICLE_SETTINGS,
            article_form=article_form,
            address_titles=ADDRESS_TITLES,
            address_kinds=ADDRESS_KINDS,
            includes_vat=shows_prices_including_vat(customer, settings),
            can_edit=can_edit,
            can_delete=user_can(DELETE),
            can_activate=can_edit,
            can_assign=user_can(ASSIGN),
            can_renumber=user_can(CHANGE_CUSTOMER_NUMBER),
            can_merge=user_can(MERGE_CUSTOMERS),
            confirm_form=ConfirmForm(),
            display_name=rules.display_name(customer, settings),
            title=customer.name,
            **self.card_extras(customer),
            **card_orders(customer),
        )

    # -- add / edit / delete (FAB's flow, our form and commands) -------------------------
    def _render_form(self, form, customer=None):
        settings = get_settings()
        return self.render_template(
            "customers/form.html",
            form=form,
            customer=customer,
            duplicates=getattr(form, "duplicates", []),
            sections=form_sections(form, settings, cf.active_fields(db.session)),
            identity_labels={k: str(v) for k, v in registry.IDENTITY_LABELS.items()},
            title=_l("Edit customer") if customer else _l("Add customer"),
        )

    def _label_identity(self, form):
        if "identity_number" in form:
            chosen = form.customer_type.data if "customer_type" in form else None
            form.identity_number.label.text = registry.IDENTITY_LABELS.get(chosen or "company")

    @expose("/add", methods=["GET", "POST"])
    @requires(CREATE)
    def add(self):
        widgets = self._add()
        if widgets is None:
            customer_id = g.pop("saved_customer_id", None)
            if customer_id is None:
                return redirect(url_for(".add"))
            kind = request.args.get("for_order")
            if kind in ORDER_KINDS:  # "+ Skapa kund" from the order form (F16): back to it, customer chosen
                return redirect(url_for("OrderView.add", customer=customer_id, kind=kind))
            return redirect(url_for(".show", pk=customer_id))
        form = widgets["add"].template_args["form"]
        self._label_identity(form)
        return self._render_form(form)

    @expose("/<int:pk>/edit", methods=["GET", "POST"])
    @requires(EDIT, EDIT_ASSIGNED)
    def edit(self, pk):
        customer = self._customer_or_404(pk, for_edit=True)
        widgets = self._edit(pk)
        if widgets is None:
            return redirect(url_for(".show", pk=pk))
        form = widgets["edit"].template_args["form"]
        self._label_identity(form)
        return self._render_form(form, customer)

    def prefill_form(self, form, pk):
        customer = db.session.get(Customer, pk)
        prepared = rules.Prepared(db.session)
        for key, value in rules.customer_values(customer, prepared).items():
            if key in form:
                form[key].data = value
        form.version.data = str(customer.version)

    @expose("/<int:pk>/delete", methods=["POST"])
    @requires(DELETE)
    def delete(self, pk):
        customer = self._customer_or_404(pk)
        if ConfirmForm().validate_on_submit():
            name = customer.name
            self._delete(pk)
            if get_customer(pk, current_actor()) is None:
                flash(_l("Customer %(name)s was deleted.", name=name), "success")
                return redirect(url_for(".list"))
        return redirect(url_for(".show", pk=pk))

    # -- actions (F1, F19, F20) -----------------------------------------------------------
    def may_run_action(self, name: str) -> bool:
        return name in ACTIONS and user_can(*ACTIONS[name][1])

    @action("assign", _l("Assign technician"), single=True, multiple=True)
    def assign(self, items):
        return self._confirm_redirect("assign", items)

    @action("inactivate", _l("Inactivate"), single=True, multiple=True)
    def inactivate(self, items):
        return self._confirm_redirect("inactivate", items)

    @action("activate", _l("Activate"), single=True, multiple=True)
    def activate(self, items):
        return self._confirm_redirect("activate", items)

    @action("renumber", _l("Change customer number"), single=True, multiple=False)
    def renumber(self, items):
        return self._confirm_redirect("renumber", items)

    def _confirm_redirect(self, name, items):
        items = items if isinstance(items, list) else [items]
        return redirect(url_for(".confirm_action", name=name, ids=[i.id for i in items]))

    @expose("/action/<string:name>/<pk>", methods=["POST"])
    def action(self, name, pk):
        """An action on one customer (the card): rights, then scope, then FAB's action."""
        if not self.may_run_action(name):
            abort(403 if current_actor().is_authenticated else 404)
        customer = self._customer_or_404(pk, for_edit=ACTIONS[name][2])
        if not FlaskForm().validate_on_submit():
            abort(400)
        return self.actions[name].func(customer)

    @expose("/action_post", methods=["POST"])
    def action_post(self):
        """An action on the list's chosen customers, or on all that match the list's filter."""
        name = request.form.get("action", "")
        if name not in MULTIPLE_ACTIONS:
            abort(404)
        if not self.may_run_action(name):
            abort(403)
        if not FlaskForm().validate_on_submit():
            abort(400)
        if request.form.get("all_matching") == "1":
            keep = {k: v for k, v in request.form.items() if k not in ("csrf_token", "action", "rowid", "all_matching")}
            return redirect(url_for(".confirm_action", name=name, all_matching=1, **keep))
        ids = customer_ids_in_scope(request.form.getlist("rowid"), current_actor(), ACTIONS[name][2])
        if not ids:
            flash(_l("No customers were selected."), "warning")
            return redirect(url_for(".list"))
        return redirect(url_for(".confirm_action", name=name, ids=ids))

    def _action_ids(self, name) -> list[int]:
        for_edit = ACTIONS[name][2]
        args = request.values
        if args.get("all_matching") == "1":
            definitions = cf.active_fields(db.session)
            return bulk_selection(current_actor(), for_edit, search=parse_search(args, definitions),
                                  fields=definitions)
        return customer_ids_in_scope(args.getlist("ids"), current_actor(), for_edit)

    @expose("/actions/<name>", methods=["GET", "POST"])
    def confirm_action(self, name):
        """Says what will happen to how many customers, asks what it needs, then runs the command."""
        if name not in ACTIONS:
            abort(404)
        if not self.may_run_action(name):
            abort(403 if current_actor().is_authenticated else 404)
        ids = self._action_ids(name)
        if not ids:
            flash(_l("No customers were selected."), "warning")
            return redirect(url_for(".list"))
        if name == "renumber" and len(ids) != 1:
            abort(400)
        form = {"assign": AssignForm, "renumber": RenumberForm}.get(name, FlaskForm)()
        if name == "assign":
            form.technician.choices = technician_choices()
        back = url_for(".show", pk=ids[0]) if len(ids) == 1 and request.values.get("all_matching") != "1" \
            else url_for(".list")
        if form.validate_on_submit():
            try:
                message = self._run_action(name, ids, form)
            except Invalid as exc:
                for field_name, error in exc.errors.items():
                    if field_name in form:
                        form[field_name].errors = list(form[field_name].errors or []) + [error]
                    else:
                        flash(error, "danger")
            else:
                flash(message, "success")
                return redirect(back)
        elif request.method == "GET" and name == "renumber":
            form.customer_number.data = db.session.get(Customer, ids[0]).customer_number
        sample = db.session.execute(select(Customer).where(Customer.id.in_(ids[:10])).order_by(Customer.name)).scalars()
        keep = [(k, v) for k, v in request.values.items(multi=True)
                if k not in ("csrf_token", "technician", "customer_number")]
        return self.render_template("customers/confirm_action.html", form=form, action=name,
                                    title=ACTIONS[name][0], count=len(ids), sample=list(sample), keep=keep,
                                    back=back)

    def _run_action(self, name, ids, form) -> str:
        by = current_actor()
        if name == "assign":
            if not form.technician.data:
                raise Invalid({"technician": _l("Choose a technician, or Nobody to remove the assignment.")})
            changed = assign_cmd.assign_technician(ids, form.technician.data, by=by)
            return ngettext("%(num)s customer was assigned.", "%(num)s customers were assigned.", changed)
        if name == "renumber":
            customer = db.session.get(Customer, ids[0])
            old = customer.customer_number
            commands.change_customer_number(customer, form.customer_number.data or "", by=by)
            return str(_l("The customer number was changed from %(old)s to %(new)s.", old=old,
                          new=customer.customer_number))
        changed = commands.set_active(ids, name == "activate", by=by)
        return ngettext("%(num)s customer was changed.", "%(num)s customers were changed.", changed)


def card_sections(customer, settings, definitions, full_identity: bool) -> list:
    """The card's fields by section: [(title, [(key, label, text)])], from the registry."""
    sections: dict[str, list] = {}
    for entry in registry.fields(settings, definitions):
        if not entry.on_card or entry.storage == "address":
            continue
        label = entry.label
        if entry.key == "identity_number":
            label = registry.IDENTITY_LABELS.get(customer.customer_type, label)
        text = entry.display(entry.read(customer), full_identity=full_identity or entry.key != "identity_number"
                             or customer.customer_type != "private")
        if entry.personal_id and entry.key != "identity_number":
            text = entry.display(entry.read(customer), full_identity=full_identity)
        sections.setdefault(entry.section, []).append((entry.key, label, text))
    return [(registry.SECTIONS[key], sections[key]) for key in registry.SECTIONS if key in sections]
