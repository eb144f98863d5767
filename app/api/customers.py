"""`/api/v1/customer/`: the register's customers, under the same rights, scope and rules as the web.

Reading is FAB's (list with rison `q`, item), cut by `CustomerScope`. Writing takes the
form's field names (the field registry: `name`, `customer_type`, `identity_number`,
`invoice_street`, …, `cf_<id>` for custom fields, `discount_letters` as ids) and hands them
to the same commands as the web form, so the same rules, messages and history apply.
Changes need the version they start from (`If-Match`, the `ETag` of GET); a stale one is a
412. A POST with an `Idempotency-Key` creates one customer however often it is retried.
"""

from __future__ import annotations

import re

from flask import g, request
from flask_appbuilder.api import expose
from flask_appbuilder.models.filters import BaseFilter
from flask_appbuilder.models.sqla.interface import SQLAInterface
from flask_babel import lazy_gettext as _l
from marshmallow import Schema, fields

from ..commands import assignment as assign_commands
from ..commands import customers as commands
from ..commands.idempotency import MAX_KEY_LENGTH, KeyReused, create_once
from ..errors import Invalid
from ..extensions import db
from ..models.customer import Customer
from ..security.access import current_actor
from ..security.rights import (
    ASSIGN,
    CHANGE_CUSTOMER_NUMBER,
    CREATE,
    CUSTOMER,
    DELETE,
    EDIT,
    EDIT_ASSIGNED,
    VIEW,
    VIEW_ASSIGNED,
)
from ..services import custom_fields as cf
from ..services import customer_fields as registry
from ..services.identity import mask_personnummer
from ..services.list_columns import sees_full_identity
from ..services.scope import CustomerScope, portal_link
from ..services.search import text_match_query
from ..services.settings import get_settings
from .base import PORTAL_RIGHT, READ, RegisterApi, api_route

READ_RIGHTS = ((VIEW, CUSTOMER), (VIEW_ASSIGNED, CUSTOMER), PORTAL_RIGHT)
EDIT_RIGHTS = ((EDIT, CUSTOMER), (EDIT_ASSIGNED, CUSTOMER))

COLUMNS = ["id", "customer_number", "name", "customer_type", "identity_number", "vat_type", "language",
           "cost_centre", "active", "assigned_to_id", "created_at", "updated_at", "version"]
SHOW_COLUMNS = COLUMNS + ["comment", "tax_reduction_personnummer", "property_designation",
                          "housing_coop_org_number", "apartment_number", "facilities_disabled",
                          "facility_required", "cost_centre_required", "always_invoice"]
MAX_IDS = 10_000

UNKNOWN_FIELD = _l("Not a field of the customer form (or hidden by the settings).")
NOT_A_VALUE = _l("Not a valid value.")
CHOOSE_CUSTOMERS = _l("Give the customers' ids as a list of numbers.")


def _descriptions() -> dict:
    labels = {entry.key: entry.label for entry in registry.FIELDS}
    labels.update(id=_l("Id"), assigned_to_id=_l("Assigned technician"), updated_at=_l("Changed"),
                  version=_l("Version (for If-Match)"))
    return labels


# -- the request bodies, for the OpenAPI document (the rules themselves are the services') --------


def _input_fields(new: bool) -> dict:
    result = {}
    if new:
        result["customer_number"] = fields.String(
            allow_none=True, metadata={"description": "Kundnummer / Customer number (empty: the next free one)"})
    for entry in registry.FIELDS:
        if not (entry.on_form and entry.editable):
            continue
        if entry.kind == "bool":
            field = fields.Boolean(allow_none=True)
        elif entry.kind == "letters":
            field = fields.List(fields.Integer(), allow_none=True)
        else:
            field = fields.String(allow_none=True)
        field.metadata = {"description": str(entry.label)}
        result[entry.key] = field
    return result


class _Input(Schema):
    class Meta:
        description = "The form's fields; custom fields as cf_<id>. Fields left out keep their value."


CustomerCreateSchema = type("CustomerCreate", (_Input,), _input_fields(new=True))
CustomerChangeSchema = type("CustomerChange", (_Input,), _input_fields(new=False))


class IdsSchema(Schema):
    __component_name__ = "CustomerIds"
    ids = fields.List(fields.Integer(), required=True, metadata={"description": "Customer ids"})


class AssignSchema(IdsSchema):
    __component_name__ = "CustomerAssign"
    technician = fields.Integer(allow_none=True, required=True,
                                metadata={"description": "The user id of the technician; null: nobody"})


class RenumberSchema(Schema):
    __component_name__ = "CustomerRenumber"
    customer_number = fields.String(required=True, metadata={"description": "The new customer number"})


class ChangedSchema(Schema):
    __component_name__ = "CustomersChanged"
    changed = fields.Integer(required=True, metadata={"description": "How many customers changed"})


# -- helpers -------------------------------------------------------------------------------------


def _form_entries():
    settings = get_settings()
    return registry.form_fields(settings, cf.active_fields(db.session))


def _check_types(body: dict, allowed: dict) -> dict:
    """Unknown fields and values of the wrong JSON type, as field errors."""
    errors = {}
    for key, value in body.items():
        entry = allowed.get(key)
        if entry is None:
            errors[key] = UNKNOWN_FIELD
        elif entry == "number":
            if value is not None and not isinstance(value, str | int):
                errors[key] = NOT_A_VALUE
        elif entry.kind == "letters":
            if value is not None and (not isinstance(value, list) or
                                      not all(isinstance(i, int) and not isinstance(i, bool) for i in value)):
                errors[key] = NOT_A_VALUE
        elif value is not None and not isinstance(value, str | bool | int | float):
            errors[key] = NOT_A_VALUE
        elif entry.kind != "bool" and isinstance(value, bool):
            errors[key] = NOT_A_VALUE
    return errors


def _values(body: dict, new: bool) -> dict:
    allowed: dict = {entry.key: entry for entry in _form_entries()}
    if new:
        allowed["customer_number"] = "number"
    errors = _check_types(body, allowed)
    if errors:
        raise Invalid(errors)
    return {key: (str(value) if isinstance(value, int | float) and not isinstance(value, bool) else value)
            for key, value in body.items()}


def _ids(body: dict) -> list[int]:
    ids = body.get("ids")
    if (not isinstance(ids, list) or len(ids) > MAX_IDS
            or not all(isinstance(i, int) and not isinstance(i, bool) and 0 < i < 2**31 for i in ids)):
        raise Invalid({"ids": CHOOSE_CUSTOMERS})
    return ids


def _if_match(customer) -> int | None:
    """The version the change starts from: If-Match (an ETag of GET) or the body's `version`."""
    header = request.headers.get("If-Match")
    if header is not None:
        tag = header.strip()
        if tag == "*":
            return customer.version
        match = re.fullmatch(r'(?:W/)?"?(\d{1,9})"?', tag)
        return int(match.group(1)) if match else -1  # a tag that matches no version: 412
    return None


def etag(customer) -> str:
    return f'"{customer.version}"'


class RegisterSearch(BaseFilter):
    """The register's search box (F21) as a list filter: `(col:name,opr:search,value:anna)` finds the
    customers whose name, number, or a contact's name or e-mail matches."""

    name = _l("Search")
    arg_name = "search"

    def apply(self, query, value):
        text = str(value or "").strip()
        if not text:
            return query
        return query.where(Customer.id.in_(text_match_query(text, db.engine.dialect.name, current_actor())))


class CustomerApi(RegisterApi):
    resource_name = "customer"
    datamodel = SQLAInterface(Customer)
    openapi_spec_tag = "Customers"
    base_filters = [["id", CustomerScope, None]]
    list_columns = COLUMNS
    show_columns = SHOW_COLUMNS
    order_columns = ["id", "customer_number", "name", "customer_type", "identity_number", "created_at",
                     "active"]
    search_columns = ["customer_number", "name", "customer_type", "identity_number", "active",
                      "assigned_to_id", "cost_centre"]
    search_filters = {"name": [RegisterSearch]}
    add_model_schema = CustomerCreateSchema()
    edit_model_schema = CustomerChangeSchema()
    openapi_spec_component_schemas = RegisterApi.openapi_spec_component_schemas + (
        IdsSchema, AssignSchema, RenumberSchema, ChangedSchema)
    descriptions = _descriptions()
    rights = {
        READ: READ_RIGHTS,
        "post": ((CREATE, CUSTOMER),),
        "put": EDIT_RIGHTS,
        "delete": ((DELETE, CUSTOMER),),
        "assign": ((ASSIGN, CUSTOMER),),
        "activate": EDIT_RIGHTS,
        "renumber": ((CHANGE_CUSTOMER_NUMBER, CUSTOMER),),
    }

    # -- what a caller sees ------------------------------------------------------------------
    def show_extra_fields(self) -> dict:
        extra = {entry.key: fields.String(allow_none=True, dump_only=True) for entry in registry.FIELDS
                 if entry.storage == "address"}
        extra["discount_letters"] = fields.List(fields.Integer(), dump_only=True)
        return extra

    def _hidden(self, actor) -> tuple[set, bool]:
        """The fields `actor` must not see, and whether personnummer are masked."""
        hidden = set()
        if portal_link(actor) is not None:  # a customer user (F8, F14)
            hidden |= {entry.key for entry in registry.FIELDS if not entry.portal}
            hidden |= {f"cf_{d.id}" for d in cf.active_fields(db.session) if d.hidden_for_customer_users}
        return hidden, not sees_full_identity(actor)

    def _cut(self, data: dict, hidden: set, masked: bool) -> dict:
        for key in hidden & set(data):
            del data[key]
        if masked:
            for entry in registry.FIELDS:
                if entry.personal_id and data.get(entry.key):  # only a personnummer (13 characters) changes
                    data[entry.key] = mask_personnummer(data[entry.key])
        return data

    def present(self, customer, data: dict) -> dict:
        settings = get_settings()
        for entry in registry.fields(settings, cf.active_fields(db.session)):
            if entry.storage in ("address", "custom"):
                data[entry.key] = entry.read(customer)
            elif entry.storage == "letters":
                data[entry.key] = [letter.id for letter in customer.discount_letters]
        return self._cut(data, *self._hidden(g.actor))

    def pre_get_list(self, data: dict) -> None:
        hidden, masked = self._hidden(g.actor)
        data["result"] = [self._cut(row, hidden, masked) for row in data["result"]]

    def item_response(self, status, item, headers=None):
        return super().item_response(status, item, {"ETag": etag(item), **(headers or {})})

    # -- writing -----------------------------------------------------------------------------
    @expose("/", methods=["POST"])
    @api_route("post")
    def post(self):
        """Create a customer.
        ---
        post:
          description: >-
            Create a customer from the form's fields, with the web form's rules and messages.
            Send an `Idempotency-Key` header to make a retried request create one customer only.
          parameters:
          - in: header
            name: Idempotency-Key
            required: false
            schema:
              type: string
              maxLength: 200
          requestBody:
            required: true
            content:
              application/json:
                schema:
                  $ref: '#/components/schemas/{{self.__class__.__name__}}.post'
                example:
                  name: Exempelbolaget AB
                  customer_type: company
                  identity_number: 556036-0793
                  invoice_street: Storgatan 1
                  invoice_postcode: 114 55
                  invoice_city: Stockholm
          responses:
            201:
              description: Created (or, for a repeated Idempotency-Key, the customer created first)
              content:
                application/json:
                  schema:
                    type: object
                    properties:
                      id:
                        type: integer
                      result:
                        $ref: '#/components/schemas/{{self.__class__.__name__}}.get'
            400:
              $ref: '#/components/responses/Error400'
            401:
              $ref: '#/components/responses/Error401'
            403:
              $ref: '#/components/responses/Error403'
            422:
              $ref: '#/components/responses/Error422'
            429:
              $ref: '#/components/responses/Error429'
        """
        body = self.json_body()
        key = request.headers.get("Idempotency-Key")
        if key is not None and not 0 < len(key) <= MAX_KEY_LENGTH:
            raise Invalid({"Idempotency-Key": _l("At most %(n)s characters.", n=MAX_KEY_LENGTH)})
        values = _values(body, new=True)
        actor = g.actor
        try:
            customer_id, _replayed = create_once(
                key, self.resource_name, body, lambda: commands.create_customer(values, by=actor), by=actor)
        except KeyReused:
            return self.error(422, "idempotency_key_reused")
        customer = self.datamodel.get(customer_id, self._base_filters)
        if customer is None:  # created by a role that may create but not see customers
            return self.response(201, id=customer_id)
        return self.item_response(201, customer)

    @expose("/<int:pk>", methods=["PUT"])
    @api_route("put")
    def put(self, pk):
        """Change a customer.
        ---
        put:
          description: >-
            Change the fields sent (the others keep their values). Send the version you start from
            as `If-Match` (the ETag of GET) or as `version` in the body: a customer saved since
            is not overwritten (412).
          parameters:
          - in: path
            schema:
              type: integer
            name: pk
          - in: header
            name: If-Match
            required: false
            schema:
              type: string
          requestBody:
            required: true
            content:
              application/json:
                schema:
                  $ref: '#/components/schemas/{{self.__class__.__name__}}.put'
          responses:
            200:
              description: Changed
              content:
                application/json:
                  schema:
                    type: object
                    properties:
                      id:
                        type: integer
                      result:
                        $ref: '#/components/schemas/{{self.__class__.__name__}}.get'
            400:
              $ref: '#/components/responses/Error400'
            401:
              $ref: '#/components/responses/Error401'
            403:
              $ref: '#/components/responses/Error403'
            404:
              $ref: '#/components/responses/Error404'
            412:
              $ref: '#/components/responses/Error412'
            422:
              $ref: '#/components/responses/Error422'
            428:
              $ref: '#/components/responses/Error428'
            429:
              $ref: '#/components/responses/Error429'
        """
        body = self.json_body()
        customer = self.scoped_item(pk)
        version = _if_match(customer)
        if version is None and "version" in body:
            raw = body.pop("version")
            version = raw if isinstance(raw, int) and not isinstance(raw, bool) else -1
        values = _values(body, new=False)
        customer = commands.customer_for(customer.id, g.actor, for_edit=True)
        if version is None:
            return self.error(428, "precondition_required")
        commands.update_customer(customer, values, by=g.actor, expected_version=version)
        return self.item_response(200, customer)

    @expose("/<int:pk>", methods=["DELETE"])
    @api_route("delete")
    def delete(self, pk):
        """Delete a customer.
        ---
        delete:
          description: Delete a customer and everything on it. An If-Match that is not current gives 412.
          parameters:
          - in: path
            schema:
              type: integer
            name: pk
          responses:
            200:
              description: Deleted
              content:
                application/json:
                  schema:
                    type: object
                    properties:
                      message:
                        type: string
            401:
              $ref: '#/components/responses/Error401'
            403:
              $ref: '#/components/responses/Error403'
            404:
              $ref: '#/components/responses/Error404'
            412:
              $ref: '#/components/responses/Error412'
            429:
              $ref: '#/components/responses/Error429'
        """
        customer = self.scoped_item(pk)
        version = _if_match(customer)
        if version is not None and version != customer.version:
            return self.error(412, "edit_conflict")
        commands.delete_customer(customer, by=g.actor)
        return self.response(200, message="OK")

    # -- actions -------------------------------------------------------------------------------
    @expose("/assign", methods=["POST"])
    @api_route("assign")
    def assign(self):
        """Make a technician responsible for customers.
        ---
        post:
          description: >-
            Assign the technician (a user id, or null for nobody) to the customers among `ids` the
            caller may see; each technician is notified once.
          requestBody:
            required: true
            content:
              application/json:
                schema:
                  $ref: '#/components/schemas/CustomerAssign'
          responses:
            200:
              description: Done
              content:
                application/json:
                  schema:
                    $ref: '#/components/schemas/CustomersChanged'
            400:
              $ref: '#/components/responses/Error400'
            401:
              $ref: '#/components/responses/Error401'
            403:
              $ref: '#/components/responses/Error403'
            422:
              $ref: '#/components/responses/Error422'
            429:
              $ref: '#/components/responses/Error429'
        """
        body = self.json_body()
        ids = _ids(body)
        technician = body.get("technician")
        if technician is not None and (isinstance(technician, bool) or not isinstance(technician, int)):
            raise Invalid({"technician": _l("Choose an active user from the list.")})
        changed = assign_commands.assign_technician(ids, technician, by=g.actor)
        return self.response(200, changed=changed)

    def _set_active(self, active: bool):
        body = self.json_body()
        return self.response(200, changed=commands.set_active(_ids(body), active, by=g.actor))

    @expose("/activate", methods=["POST"])
    @api_route("activate")
    def activate(self):
        """Activate customers.
        ---
        post:
          description: Activate the customers among `ids` the caller may change.
          requestBody:
            required: true
            content:
              application/json:
                schema:
                  $ref: '#/components/schemas/CustomerIds'
          responses:
            200:
              description: Done
              content:
                application/json:
                  schema:
                    $ref: '#/components/schemas/CustomersChanged'
            400:
              $ref: '#/components/responses/Error400'
            401:
              $ref: '#/components/responses/Error401'
            403:
              $ref: '#/components/responses/Error403'
            422:
              $ref: '#/components/responses/Error422'
            429:
              $ref: '#/components/responses/Error429'
        """
        return self._set_active(True)

    @expose("/inactivate", methods=["POST"])
    @api_route("activate")
    def inactivate(self):
        """Inactivate customers.
        ---
        post:
          description: Inactivate the customers among `ids` the caller may change; their data stay.
          requestBody:
            required: true
            content:
              application/json:
                schema:
                  $ref: '#/components/schemas/CustomerIds'
          responses:
            200:
              description: Done
              content:
                application/json:
                  schema:
                    $ref: '#/components/schemas/CustomersChanged'
            400:
              $ref: '#/components/responses/Error400'
            401:
              $ref: '#/components/responses/Error401'
            403:
              $ref: '#/components/responses/Error403'
            422:
              $ref: '#/components/responses/Error422'
            429:
              $ref: '#/components/responses/Error429'
        """
        return self._set_active(False)

    @expose("/<int:pk>/renumber", methods=["POST"])
    @api_route("renumber")
    def renumber(self, pk):
        """Change a customer's number.
        ---
        post:
          description: Give the customer a new customer number (administrators, F1).
          parameters:
          - in: path
            schema:
              type: integer
            name: pk
          requestBody:
            required: true
            content:
              application/json:
                schema:
                  $ref: '#/components/schemas/CustomerRenumber'
          responses:
            200:
              description: Renumbered
              content:
                application/json:
                  schema:
                    type: object
                    properties:
                      id:
                        type: integer
                      result:
                        $ref: '#/components/schemas/{{self.__class__.__name__}}.get'
            400:
              $ref: '#/components/responses/Error400'
            401:
              $ref: '#/components/responses/Error401'
            403:
              $ref: '#/components/responses/Error403'
            404:
              $ref: '#/components/responses/Error404'
            422:
              $ref: '#/components/responses/Error422'
            429:
              $ref: '#/components/responses/Error429'
        """
        body = self.json_body()
        number = body.get("customer_number")
        if not isinstance(number, str):
            raise Invalid({"customer_number": _l("Enter a customer number.")})
        customer = self.scoped_item(pk)
        commands.change_customer_number(customer, number, by=g.actor)
        return self.item_response(200, customer)

