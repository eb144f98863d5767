"""Read-only resources: a customer's articles and history, the discount letters and the custom
field definitions (what `cf_<id>` means on a customer). Changed on the web only, for now."""

from __future__ import annotations

from flask_appbuilder.models.sqla.filters import FilterEqual
from flask_appbuilder.models.sqla.interface import SQLAInterface
from flask_babel import lazy_gettext as _l

from ..models.article import CustomerArticle
from ..models.custom_fields import CustomFieldDefinition
from ..models.discount import DiscountLetter
from ..models.history import CustomerHistory
from ..security.rights import CUSTOMER, DISCOUNT_LETTER, VIEW, VIEW_ASSIGNED
from ..services.history_view import mask_personal_numbers
from ..services.scope import CustomerScope
from .base import READ, RegisterApi

STAFF_READ = ((VIEW, CUSTOMER), (VIEW_ASSIGNED, CUSTOMER))
READ_ONLY = {"get_list", "get"}


class CustomerArticleApi(RegisterApi):
    resource_name = "customer_article"
    datamodel = SQLAInterface(CustomerArticle)
    openapi_spec_tag = "Customer articles"
    include_route_methods = READ_ONLY
    base_filters = [["customer", CustomerScope, None]]
    list_columns = show_columns = ["id", "customer_id", "article_id", "kind", "quantity"]
    order_columns = ["id", "customer_id", "article_id", "kind"]
    search_columns = ["customer_id", "article_id", "kind"]
    descriptions = {"customer_id": _l("Customer"), "article_id": _l("Article"), "kind": _l("Article list"),
                    "quantity": _l("Quantity")}
    rights = {READ: STAFF_READ}


class CustomerHistoryApi(RegisterApi):
    """Who changed what on a customer and its children (F18); personnummer are masked, as on the card."""

    resource_name = "customer_history"
    datamodel = SQLAInterface(CustomerHistory)
    openapi_spec_tag = "Customer history"
    include_route_methods = READ_ONLY
    base_filters = [["customer_id", CustomerScope, None]]
    list_columns = show_columns = ["id", "customer_id", "record_type", "record_id", "action", "field", "old_value",
                                   "new_value", "changed_by", "changed_at"]
    order_columns = ["id", "changed_at"]
    search_columns = ["customer_id", "record_type", "action", "field", "changed_by"]
    base_order = ("id", "desc")
    descriptions = {"customer_id": _l("Customer"), "changed_by": _l("Changed by"), "changed_at": _l("Changed")}
    rights = {READ: STAFF_READ}

    @staticmethod
    def _mask(row: dict) -> dict:
        for key in ("old_value", "new_value"):
            if row.get(key):
                row[key] = mask_personal_numbers(row[key])
        return row

    def present(self, item, data: dict) -> dict:
        return self._mask(data)

    def pre_get_list(self, data: dict) -> None:
        data["result"] = [self._mask(row) for row in data["result"]]


class DiscountLetterApi(RegisterApi):
    resource_name = "discount_letter"
    datamodel = SQLAInterface(DiscountLetter)
    openapi_spec_tag = "Discount letters"
    include_route_methods = READ_ONLY
    list_columns = show_columns = ["id", "name"]
    order_columns = ["id", "name"]
    search_columns = ["name"]
    descriptions = {"name": _l("Name")}
    rights = {READ: (("can_view", DISCOUNT_LETTER),)}


class CustomFieldApi(RegisterApi):
    resource_name = "custom_field"
    datamodel = SQLAInterface(CustomFieldDefinition)
    openapi_spec_tag = "Custom fields"
    include_route_methods = READ_ONLY
    base_filters = [["removed", FilterEqual, False]]
    list_columns = show_columns = ["id", "label", "field_type", "choices", "required", "position",
                                   "hidden_for_customer_users"]
    order_columns = ["id", "label", "position"]
    search_columns = ["label", "field_type"]
    descriptions = {"label": _l("Name"), "field_type": _l("Type")}
    rights = {READ: STAFF_READ}
