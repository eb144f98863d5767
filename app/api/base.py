"""What every resource of the REST API shares: who is calling, may they, and one error shape.

- **Authentication** is `Authorization: Bearer …` only: FAB's JWT (from
  `POST /api/v1/security/login`) or a personal API token (`kr_…`). The session cookie is
  ignored, so a page on another site cannot make a logged-in browser write (no CSRF).
- **Rights** are the F27 rights, "any of" like the web's routes (View *or* View only
  assigned, …); the rows are cut by `CustomerScope` (FAB's `base_filters`), so a row outside
  the scope is a 404, never a 403.
- **Errors** are one JSON shape: `{"code": …, "message": …, "errors": {field: [messages]}}`,
  the message translated by `Accept-Language` (Swedish by default), the field messages those
  of the web form (they come from the same service rules, raised by the same commands).
"""

from __future__ import annotations

import functools
import logging

import prison
from flask import current_app, g, jsonify, request
from flask_appbuilder.api import BaseApi, ModelRestApi, expose, rison
from flask_appbuilder.api.schemas import get_item_schema, get_list_schema
from flask_appbuilder.utils.limit import Limit
from flask_babel import force_locale
from flask_babel import lazy_gettext as _l
from flask_jwt_extended import get_current_user, verify_jwt_in_request
from flask_jwt_extended.exceptions import JWTExtendedException
from jwt.exceptions import PyJWTError
from marshmallow import INCLUDE, Schema, fields
from marshmallow_sqlalchemy import SQLAlchemyAutoSchema
from sqlalchemy import Boolean, Column, DateTime, Integer
from werkzeug.exceptions import BadRequest

from ..errors import EditConflict, Invalid, NotAllowed, NotFound
from ..security.access import holds
from ..security.api_tokens import PREFIX, bearer_token, token_hash
from ..security.rights import CUSTOMER, CUSTOMER_PERMISSIONS, PORTAL, PORTAL_USE

log = logging.getLogger(__name__)

MESSAGES = {
    "bad_request": _l("The request is not correct."),
    "unauthorized": _l("Log in (Authorization: Bearer) to use the API."),
    "forbidden": _l("You do not have the right to do this."),
    "not_found": _l("Not found."),
    "invalid": _l("Some values are not valid; nothing was saved."),
    "edit_conflict": EditConflict.message,
    "precondition_required": _l("Send the version you are changing (If-Match) so that nobody's change is overwritten."),
    "idempotency_key_reused": _l("This Idempotency-Key was already used for a different request."),
    "rate_limited": _l("Too many requests. Wait a moment and try again."),
    "server_error": _l("Something went wrong; nothing was saved. Try again later."),
}


def api_locale() -> str:
    """The language of the answer: Accept-Language among the offered languages, else Swedish."""
    offered = list(current_app.config["LANGUAGES"])
    return request.accept_languages.best_match(offered) or current_app.config["BABEL_DEFAULT_LOCALE"]


def error_body(code: str, message=None, errors: dict | None = None) -> dict:
    field_errors = {}
    for name, value in (errors or {}).items():
        values = value if isinstance(value, list | tuple) else [value]
        field_errors[str(name)] = [str(v) for v in values]
    return {"code": code, "message": str(message or MESSAGES[code]), "errors": field_errors}


def authenticate():
    """The user of the request's Bearer token (personal token or JWT), else None."""
    raw = bearer_token()
    if raw is None:
        return None
    if raw.startswith(PREFIX):
        return current_app.appbuilder.sm.validate_api_key(raw)
    try:
        verify_jwt_in_request()
    except (JWTExtendedException, PyJWTError):
        return None
    user = get_current_user()
    if user is None or not user.is_active:
        return None
    g.user = user
    return user


def rate_limit_key() -> str:
    """Requests are counted per token (hashed; never the token itself), else per address."""
    raw = bearer_token()
    if raw:
        return "api-token:" + token_hash(raw)
    return "api-addr:" + (request.remote_addr or "")


API_LIMITS = [Limit(lambda: current_app.config["API_RATE_LIMIT"], key_func=rate_limit_key)]

READ = "read"


def api_route(kind: str):
    """Authenticate, check the right for `kind` (a key of the resource's `rights`), answer in the
    caller's language and turn the domain errors into the JSON error shape."""

    def decorator(func):
        @functools.wraps(func)
        def wrapped(self, *args, **kwargs):
            with force_locale(api_locale()):
                try:
                    actor = authenticate()
                    if actor is None:
                        return self.error(401, "unauthorized")
                    g.actor = actor
                    if not self.may(actor, kind):
                        return self.error(403, "forbidden")
                    return func(self, *args, **kwargs)
                except Invalid as exc:
                    return self.error(422, "invalid", errors=exc.errors)
                except NotAllowed:
                    return self.error(403, "forbidden")
                except NotFound:
                    return self.error(404, "not_found")
                except EditConflict:
                    return self.error(412, "edit_conflict")
                except BadRequest:
                    return self.error(400, "bad_request")
                except Exception:  # noqa: BLE001 - one JSON shape for every failure
                    log.exception("API %s %s failed", request.method, request.path)
                    return self.error(500, "server_error")

        return wrapped

    return decorator


def checked_q(func):
    """FAB's rison parser crashes (500) on some malformed `q` (an unclosed parenthesis): 400 instead."""

    @functools.wraps(func)
    def wrapped(self, *args, **kwargs):
        value = request.args.get("q")
        if value:
            try:
                prison.loads(value)
            except prison.decoder.ParserException:
                pass  # FAB answers these itself (or reads the argument as JSON)
            except Exception:  # noqa: BLE001
                raise BadRequest() from None
        return func(self, *args, **kwargs)

    return wrapped


def _has_nul(value) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_has_nul(k) or _has_nul(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_has_nul(v) for v in value)
    return False


class ErrorSchema(Schema):
    __component_name__ = "Error"
    code = fields.String(required=True, metadata={"description": "A machine-readable code, e.g. invalid, "
                                                                  "not_found, edit_conflict."})
    message = fields.String(required=True, metadata={"description": "A translated message (Accept-Language; "
                                                                     "Swedish by default)."})
    errors = fields.Dict(keys=fields.String(), values=fields.List(fields.String()), required=True,
                         metadata={"description": "Per field, the messages the web form shows."})


def _error_response(description: str) -> dict:
    return {"description": description,
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}


ERROR_RESPONSES = {
    "Error400": _error_response("Bad request (code bad_request)"),
    "Error401": _error_response("No valid Bearer token (code unauthorized)"),
    "Error403": _error_response("The user lacks the right (code forbidden)"),
    "Error404": _error_response("Not found, or outside the user's customers (code not_found)"),
    "Error412": _error_response("The row changed since the version sent in If-Match (code edit_conflict)"),
    "Error422": _error_response("Invalid values, per field (code invalid)"),
    "Error428": _error_response("If-Match missing on a change (code precondition_required)"),
    "Error429": _error_response("Too many requests; see Retry-After (code rate_limited)"),
    "Error500": _error_response("Server error (code server_error)"),
}


def _both_languages(label) -> str:
    """A field description in Swedish and English (the OpenAPI document is one for everyone)."""
    with force_locale("sv"):
        swedish = str(label)
    with force_locale("en"):
        english = str(label)
    return swedish if swedish == english else f"{swedish} / {english}"


class UtcDateTime(fields.DateTime):
    """A stored (naive, UTC) time as RFC 3339: `2026-12-01T06:49:30Z`."""

    def _serialize(self, value, attr, obj, **kwargs):
        return None if value is None else value.replace(microsecond=0).strftime("%Y-%m-%dT%H:%M:%SZ")


def output_schema(model, columns: list[str], extra: dict | None = None) -> SQLAlchemyAutoSchema:
    """A row as the API returns it: the model's attributes, foreign keys as plain ids, and `extra`
    fields (further properties, e.g. custom fields `cf_<id>`, are allowed)."""
    extra = extra or {}
    meta = type("Meta", (), {"model": model, "include_fk": True, "fields": tuple(columns) + tuple(extra),
                             "load_instance": False, "unknown": INCLUDE})
    # Times are stored in UTC without a zone; the API says so (RFC 3339, as the OpenAPI format requires).
    times = {name: UtcDateTime(dump_only=True) for name in columns
             if isinstance(getattr(model.__table__.c, name, None), Column)
             and isinstance(model.__table__.c[name].type, DateTime)}
    return type(f"{model.__name__}Out", (SQLAlchemyAutoSchema,), {"Meta": meta, **times, **extra})()


class RegisterApi(ModelRestApi):
    """A ModelRestApi under the F27 rights of the `Customer` view menu, answering errors in one shape.

    `rights` maps an operation kind to the rights that allow it (any of), as (right, view menu).
    """

    class_permission_name = CUSTOMER
    base_permissions = CUSTOMER_PERMISSIONS  # the same set as every "Customer" view (FAB-NOTES §2.1)
    allow_browser_login = False
    responses = {**BaseApi.responses, **ERROR_RESPONSES}
    openapi_spec_component_schemas = (ErrorSchema,)
    limits = API_LIMITS
    # field -> label, shown in both languages as the field's OpenAPI description
    descriptions: dict = {}
    rights: dict = {}
    # FAB's own endpoints we do not offer (their guards are FAB's one-permission checks)
    exclude_route_methods = {"info"}

    def show_extra_fields(self) -> dict:
        """Fields a row shows besides its columns (`present` fills them)."""
        return {}

    def operation_helper(self, path=None, operations=None, methods=None, func=None, **kwargs):
        """Every operation takes the JWT or a personal token (FAB marks only its own protected methods)."""
        super().operation_helper(path=path, operations=operations, methods=methods, func=func, **kwargs)
        for method in methods or ():
            operations.setdefault(method.lower(), {})["security"] = [{"jwt": []}, {"api_key": []}]

    def may(self, actor, kind: str) -> bool:
        return any(holds(actor, right, view_menu=menu) for right, menu in self.rights.get(kind, ()))

    def error(self, status: int, code: str, message=None, errors=None):
        response = jsonify(error_body(code, message, errors))
        response.status_code = status
        return response

    # FAB's own error answers (bad rison, unknown filter column, …) in our shape
    def response_400(self, message=None):
        return self.error(400, "bad_request", errors={"q": [message]} if isinstance(message, str) else message)

    def response_401(self):
        return self.error(401, "unauthorized")

    def response_403(self):
        return self.error(403, "forbidden")

    def response_404(self):
        return self.error(404, "not_found")

    def response_422(self, message=None):
        return self.error(422, "invalid", errors=message if isinstance(message, dict) else None)

    def response_500(self, message=None):
        return self.error(500, "server_error")

    def _init_model_schemas(self) -> None:
        model = self.datamodel.obj
        self.list_model_schema = output_schema(model, self.list_columns)
        self.show_model_schema = output_schema(model, self.show_columns, self.show_extra_fields())
        super()._init_model_schemas()
        for schema in (self.list_model_schema, self.show_model_schema, self.add_model_schema, self.edit_model_schema):
            for name, field in schema.fields.items():
                if name in self.descriptions:
                    field.metadata = {**field.metadata, "description": _both_languages(self.descriptions[name])}

    # -- helpers for the write endpoints --------------------------------------------------------
    @staticmethod
    def json_body() -> dict:
        body = request.get_json(silent=True)
        if not isinstance(body, dict) or _has_nul(body):  # no database stores a NUL character in text
            raise BadRequest()
        return body

    def scoped_item(self, pk):
        """The row if the caller may see it (the base filters), else NotFound."""
        item = None
        if isinstance(pk, int) and -2**31 < pk < 2**31:  # the ids are 32-bit integers
            item = self.datamodel.get(pk, self._base_filters)
        if item is None:
            raise NotFound()
        return item

    def present(self, item, data: dict) -> dict:
        """One row as the API shows it (a resource adds fields or hides some from some callers)."""
        return data

    def item_response(self, status: int, item, headers: dict | None = None):
        result = self.present(item, self.show_model_schema.dump(item))
        response = self.response(status, id=item.id, result=result)
        for key, value in (headers or {}).items():
            response.headers[key] = value
        return response


    # -- reading: FAB's list and item, behind our guard ------------------------------------------
    @expose("/", methods=["GET"])
    @api_route(READ)
    @checked_q
    @rison(get_list_schema)
    def get_list(self, **kwargs):
        """List the rows the caller may see.
        ---
        get:
          description: >-
            The rows the caller may see (other customers' rows are never listed). Filter, sort and
            page with FAB's rison argument `q`, e.g. `(filters:!((col:name,opr:ct,value:AB)),page:0,page_size:25)`.
          parameters:
          - in: query
            name: q
            content:
              application/json:
                schema:
                  $ref: '#/components/schemas/get_list_schema'
          responses:
            200:
              description: The rows
              content:
                application/json:
                  schema:
                    type: object
                    properties:
                      ids:
                        type: array
                        items:
                          type: integer
                      count:
                        description: How many rows match
                        type: integer
                      result:
                        type: array
                        items:
                          $ref: '#/components/schemas/{{self.__class__.__name__}}.get_list'
            400:
              $ref: '#/components/responses/Error400'
            401:
              $ref: '#/components/responses/Error401'
            403:
              $ref: '#/components/responses/Error403'
            429:
              $ref: '#/components/responses/Error429'
        """
        args = kwargs["rison"]
        for unsupported in ("columns", "keys"):  # FAB builds schemas for these per request; we return fixed rows
            args.pop(unsupported, None)
        problem = self.check_list_args(args)
        if problem:
            return self.error(400, "bad_request", errors={"q": [problem]})
        return self.get_list_headless(**kwargs)

    def check_list_args(self, args: dict) -> str | None:
        """What FAB hands to the database unchecked: a filter value of the wrong type or out of range
        (PostgreSQL refuses it: a 500), a negative page. Returns the problem, or None."""
        page, size = args.get("page"), args.get("page_size")
        if page is not None and page < 0:
            return "page must be 0 or more"
        if size is not None and not 0 < size <= current_app.config.get("FAB_API_MAX_PAGE_SIZE", 100):
            return "page_size must be between 1 and FAB_API_MAX_PAGE_SIZE"
        columns = self.datamodel.obj.__table__.c
        for flt in args.get("filters") or ():
            column, value = columns.get(flt.get("col")), flt.get("value")
            if column is None or value is None:
                continue
            if isinstance(column.type, Integer):
                if isinstance(value, bool) or not isinstance(value, int) or not -2**31 <= value < 2**31:
                    return f"{flt['col']}: a whole number"
            elif isinstance(column.type, Boolean):
                if not isinstance(value, bool):
                    return f"{flt['col']}: true or false"
            elif isinstance(value, bool | dict | list) or (isinstance(value, str) and "\x00" in value):
                return f"{flt['col']}: a text"
            elif isinstance(value, int | float):
                flt["value"] = str(value)  # a text column compared with a number: the number's text
        return None

    @expose("/<int:pk>", methods=["GET"])
    @api_route(READ)
    @checked_q
    @rison(get_item_schema)
    def get(self, pk, **kwargs):
        """One row.
        ---
        get:
          description: >-
            One row; 404 when it does not exist or the caller may not see it.
          parameters:
          - in: path
            schema:
              type: integer
            name: pk
          responses:
            200:
              description: The row
              headers:
                ETag:
                  description: The row's version, for If-Match on a change (customers only)
                  schema:
                    type: string
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
            429:
              $ref: '#/components/responses/Error429'
        """
        return self.item_response(200, self.scoped_item(pk))


PORTAL_RIGHT = (PORTAL_USE, PORTAL)
