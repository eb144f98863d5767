"""`/api/v1/contact/` and `/api/v1/address/`: a customer's contacts and addresses (F10, F11).

Rows of customers the caller cannot see are never listed and are a 404. Writing goes
through the contact and address commands, which allow it to whoever may change the
customer (staff with Edit, a customer user with "may change the details").
"""

from __future__ import annotations

from flask import g
from flask_appbuilder.api import expose
from flask_appbuilder.models.sqla.interface import SQLAInterface
from flask_babel import lazy_gettext as _l
from marshmallow import Schema, fields

from ..commands import contacts as commands
from ..commands.customers import customer_for
from ..errors import Invalid
from ..models.customer import Address, Contact
from ..security.rights import CUSTOMER, EDIT, EDIT_ASSIGNED
from ..services import customer_fields as registry
from ..services.scope import CustomerScope
from .base import PORTAL_RIGHT, READ, RegisterApi, api_route
from .customers import READ_RIGHTS

WRITE_RIGHTS = ((EDIT, CUSTOMER), (EDIT_ASSIGNED, CUSTOMER), PORTAL_RIGHT)
NOT_A_VALUE = _l("Not a valid value.")
UNKNOWN_FIELD = _l("Not a field of this form.")

CONTACT_TEXT = ("name", "phone", "email")
CONTACT_FLAGS = ("send_service_protocol", "send_work_order", "is_main_contact")
ADDRESS_PARTS = registry.ADDRESS_PARTS


def _customer_id(body: dict) -> int:
    value = body.get("customer_id")
    if isinstance(value, bool) or not isinstance(value, int) or not 0 < value < 2**31:
        raise Invalid({"customer_id": _l("Give the customer's id.")})
    return value


def _check(body: dict, texts, flags, extra=()) -> dict:
    errors = {}
    for key, value in body.items():
        if key in texts:
            if value is not None and not isinstance(value, str):
                errors[key] = NOT_A_VALUE
        elif key in flags:
            if value is not None and not isinstance(value, bool):
                errors[key] = NOT_A_VALUE
        elif key not in extra:
            errors[key] = UNKNOWN_FIELD
    if errors:
        raise Invalid(errors)
    return {k: v for k, v in body.items() if k in texts or k in flags}


class ContactInSchema(Schema):
    __component_name__ = "{{self.__class__.__name__}}.post"
    customer_id = fields.Integer(metadata={"description": "Kund / Customer (only when adding)"})
    name = fields.String(metadata={"description": "Namn / Name"})
    phone = fields.String(allow_none=True, metadata={"description": "Telefon / Phone"})
    email = fields.String(allow_none=True, metadata={"description": "E-post / E-mail"})
    send_service_protocol = fields.Boolean(metadata={"description": "Skicka serviceprotokoll / Send service protocol"})
    send_work_order = fields.Boolean(metadata={"description": "Skicka arbetsorder / Send work order"})
    is_main_contact = fields.Boolean(metadata={"description": "Huvudkontakt / Main contact"})


class AddressInSchema(Schema):
    __component_name__ = "{{self.__class__.__name__}}.post"
    customer_id = fields.Integer(metadata={"description": "Kund / Customer (only when adding)"})
    kind = fields.String(metadata={"description": "invoice, visiting or postal (only when adding)"})
    street = fields.String(allow_none=True, metadata={"description": "Gatuadress / Street address"})
    street2 = fields.String(allow_none=True, metadata={"description": "Adressrad 2 / Address line 2"})
    postcode = fields.String(allow_none=True, metadata={"description": "Postnummer / Postcode"})
    city = fields.String(allow_none=True, metadata={"description": "Ort / City"})


def _write_doc(verb: str, what: str, schema: str, with_pk: bool) -> str:
    path = """
          parameters:
          - in: path
            schema:
              type: integer
            name: pk""" if with_pk else ""
    return f"""{verb} {what}.
        ---
        {verb.lower()}:
          description: {verb} {what} (the same rules and messages as the web form).{path}
          requestBody:
            required: true
            content:
              application/json:
                schema:
                  $ref: '#/components/schemas/{schema}'
          responses:
            {201 if verb == "POST" else 200}:
              description: Saved
              content:
                application/json:
                  schema:
                    type: object
                    properties:
                      id:
                        type: integer
                      result:
                        $ref: '#/components/schemas/{{{{self.__class__.__name__}}}}.get'
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


DELETE_DOC = """Delete {what}.
        ---
        delete:
          description: Delete {what}.
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
            422:
              $ref: '#/components/responses/Error422'
            429:
              $ref: '#/components/responses/Error429'
        """


def documented(doc: str):
    def decorator(func):
        func.__doc__ = doc
        return func

    return decorator


class ContactApi(RegisterApi):
    resource_name = "contact"
    datamodel = SQLAInterface(Contact)
    openapi_spec_tag = "Contacts"
    base_filters = [["customer", CustomerScope, None]]
    list_columns = show_columns = ["id", "customer_id", "name", "phone", "email", "send_service_protocol",
                                   "send_work_order", "is_main_contact"]
    order_columns = ["id", "customer_id", "name", "email"]
    search_columns = ["customer_id", "name", "phone", "email", "is_main_contact"]
    add_model_schema = ContactInSchema()
    edit_model_schema = type("ContactChange", (ContactInSchema,), {})()
    descriptions = {"id": _l("Id"), "customer_id": _l("Customer"), "name": _l("Name"), "phone": _l("Phone"),
                    "email": _l("E-mail"), "send_service_protocol": _l("Send service protocol"),
                    "send_work_order": _l("Send work order"), "is_main_contact": _l("Main contact")}
    rights = {READ: READ_RIGHTS, "write": WRITE_RIGHTS}

    @staticmethod
    def _current(contact: Contact) -> dict:
        return {key: getattr(contact, key) for key in CONTACT_TEXT + CONTACT_FLAGS}

    @expose("/", methods=["POST"])
    @api_route("write")
    @documented(_write_doc("POST", "a contact", "{{self.__class__.__name__}}.post", with_pk=False))
    def post(self):
        body = self.json_body()
        customer = customer_for(_customer_id(body), g.actor, for_edit=True)
        values = _check(body, CONTACT_TEXT, CONTACT_FLAGS, extra=("customer_id",))
        contact = commands.save_contact(customer, values, by=g.actor)
        return self.item_response(201, contact)

    @expose("/<int:pk>", methods=["PUT"])
    @api_route("write")
    @documented(_write_doc("PUT", "a contact", "{{self.__class__.__name__}}.put", with_pk=True))
    def put(self, pk):
        body = self.json_body()
        contact = self.scoped_item(pk)
        values = _check(body, CONTACT_TEXT, CONTACT_FLAGS)
        commands.save_contact(contact.customer, {**self._current(contact), **values}, by=g.actor, contact=contact)
        return self.item_response(200, contact)

    @expose("/<int:pk>", methods=["DELETE"])
    @api_route("write")
    @documented(DELETE_DOC.format(what="a contact"))
    def delete(self, pk):
        commands.delete_contact(self.scoped_item(pk), by=g.actor)
        return self.response(200, message="OK")


class AddressApi(RegisterApi):
    resource_name = "address"
    datamodel = SQLAInterface(Address)
    openapi_spec_tag = "Addresses"
    base_filters = [["customer", CustomerScope, None]]
    list_columns = show_columns = ["id", "customer_id", "kind", "street", "street2", "postcode", "city"]
    order_columns = ["id", "customer_id", "kind", "city"]
    search_columns = ["customer_id", "kind", "street", "postcode", "city"]
    add_model_schema = AddressInSchema()
    edit_model_schema = type("AddressChange", (AddressInSchema,), {})()
    descriptions = {"id": _l("Id"), "customer_id": _l("Customer"), "kind": _l("Address type"),
                    **registry.ADDRESS_PART_LABELS}
    rights = {READ: READ_RIGHTS, "write": WRITE_RIGHTS}

    @expose("/", methods=["POST"])
    @api_route("write")
    @documented(_write_doc("POST", "an address (or replace the customer's address of that kind)",
                           "{{self.__class__.__name__}}.post", with_pk=False))
    def post(self):
        body = self.json_body()
        customer = customer_for(_customer_id(body), g.actor, for_edit=True)
        kind = body.get("kind")
        if not isinstance(kind, str):
            raise Invalid({"kind": NOT_A_VALUE})
        values = _check(body, ADDRESS_PARTS, (), extra=("customer_id", "kind"))
        address = commands.save_address(customer, kind, values, by=g.actor)
        return self.item_response(201, address)

    @expose("/<int:pk>", methods=["PUT"])
    @api_route("write")
    @documented(_write_doc("PUT", "an address", "{{self.__class__.__name__}}.put", with_pk=True))
    def put(self, pk):
        body = self.json_body()
        address = self.scoped_item(pk)
        values = _check(body, ADDRESS_PARTS, ())
        current = {part: getattr(address, part) for part in ADDRESS_PARTS}
        saved = commands.save_address(address.customer, address.kind, {**current, **values}, by=g.actor)
        return self.item_response(200, saved)

    @expose("/<int:pk>", methods=["DELETE"])
    @api_route("write")
    @documented(DELETE_DOC.format(what="an address"))
    def delete(self, pk):
        address = self.scoped_item(pk)
        commands.delete_address(address.customer, address.kind, by=g.actor)
        return self.response(200, message="OK")
