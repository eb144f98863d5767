"""Administrator registers: discount letters (F5), articles (F9) and custom fields (F7)."""

from flask_appbuilder import ModelView
from flask_appbuilder.models.sqla.interface import SQLAInterface
from flask_appbuilder.validators import Unique
from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, SelectField
from wtforms.validators import DataRequired, NumberRange, Optional

from ..extensions import db
from ..models.article import Article
from ..models.custom_fields import FIELD_TYPES, CustomFieldDefinition
from ..models.discount import DiscountLetter, DiscountLetterRow
from ..security.rights import DISCOUNT_LETTER
from ..services import custom_fields as cf

# Views that hold FAB's file download route but no files (FAB-NOTES §10.1).
NO_DOWNLOAD = {"download"}


def checkboxes(label_columns: dict, *names: str) -> dict:
    """Plain checkboxes: FAB makes every NOT NULL column required, so "unchecked" would fail."""
    return {name: BooleanField(label_columns[name]) for name in names}


class DiscountLetterRowView(ModelView):
    datamodel = SQLAInterface(DiscountLetterRow)
    class_permission_name = DISCOUNT_LETTER
    method_permission_name = {"list": "view", "show": "view", "add": "create", "edit": "create", "delete": "delete"}
    base_permissions = ["can_view", "can_create", "can_delete"]
    exclude_route_methods = NO_DOWNLOAD
    list_title = _l("Discount rows")
    add_title = _l("Add discount row")
    edit_title = _l("Edit discount row")
    show_title = _l("Discount row")
    list_columns = ["letter", "article_group", "percent"]
    show_columns = add_columns = edit_columns = ["letter", "article_group", "percent"]
    search_columns = ["article_group"]
    order_columns = ["article_group", "percent"]
    label_columns = {"letter": _l("Discount letter"), "article_group": _l("Article group (empty = all articles)"),
                     "percent": _l("Discount %")}
    validators_columns = {"percent": [DataRequired(), NumberRange(min=0, max=100)]}


class DiscountLetterView(ModelView):
    datamodel = SQLAInterface(DiscountLetter)
    class_permission_name = DISCOUNT_LETTER
    method_permission_name = DiscountLetterRowView.method_permission_name
    base_permissions = DiscountLetterRowView.base_permissions
    exclude_route_methods = NO_DOWNLOAD
    related_views = [DiscountLetterRowView]
    show_template = "appbuilder/general/model/show_cascade.html"
    edit_template = "appbuilder/general/model/edit_cascade.html"
    list_title = _l("Discount letters")
    add_title = _l("Add discount letter")
    edit_title = _l("Edit discount letter")
    show_title = _l("Discount letter")
    list_columns = show_columns = add_columns = edit_columns = ["name"]
    search_columns = order_columns = ["name"]
    label_columns = {"name": _l("Name")}
    validators_columns = {"name": [DataRequired(), Unique(SQLAInterface(DiscountLetter), "name")]}


class ArticleView(ModelView):
    datamodel = SQLAInterface(Article)
    exclude_route_methods = NO_DOWNLOAD
    list_title = _l("Articles")
    add_title = _l("Add article")
    edit_title = _l("Edit article")
    show_title = _l("Article")
    list_columns = ["article_number", "name", "article_group", "unit", "price", "vat_rate", "is_time_article",
                    "rot_rut_type"]
    show_columns = add_columns = edit_columns = list_columns
    search_columns = ["article_number", "name", "article_group"]
    order_columns = ["article_number", "name", "article_group", "price"]
    label_columns = {
        "article_number": _l("Article number"),
        "name": _l("Name"),
        "article_group": _l("Article group"),
        "unit": _l("Unit"),
        "price": _l("Price excl. VAT"),
        "vat_rate": _l("VAT %"),
        "is_time_article": _l("Time article"),
        "rot_rut_type": _l("ROT/RUT type"),
    }
    add_form_extra_fields = edit_form_extra_fields = {
        **checkboxes(label_columns, "is_time_article"),
        "rot_rut_type": SelectField(
            _l("ROT/RUT type"),
            choices=[("none", _l("None")), ("rot", "ROT"), ("rut", "RUT"), ("green", _l("Green deduction"))],
            validators=[DataRequired()],
        )
    }
    validators_columns = {
        "article_number": [DataRequired(), Unique(SQLAInterface(Article), "article_number")],
        "name": [DataRequired()],
        "price": [DataRequired(), NumberRange(min=0)],
        "vat_rate": [Optional(), NumberRange(min=0, max=100)],
    }


class CustomFieldView(ModelView):
    datamodel = SQLAInterface(CustomFieldDefinition)
    exclude_route_methods = NO_DOWNLOAD
    list_title = _l("Custom fields")
    add_title = _l("Add custom field")
    edit_title = _l("Edit custom field")
    show_title = _l("Custom field")
    base_order = ("position", "asc")
    list_columns = ["position", "label", "field_type", "required", "show_in_list", "hidden_for_customer_users",
                    "removed"]
    show_columns = add_columns = edit_columns = ["label", "field_type", "choices", "required", "position",
                                                 "show_in_list", "hidden_for_customer_users", "removed"]
    search_columns = ["label", "field_type", "removed"]
    order_columns = ["position", "label", "field_type"]
    label_columns = {
        "label": _l("Label"),
        "field_type": _l("Type"),
        "choices": _l("Suggested values (one per line)"),
        "required": _l("Required"),
        "position": _l("Order"),
        "show_in_list": _l("Show in list"),
        "hidden_for_customer_users": _l("Hidden for customer users"),
        "removed": _l("Removed"),
    }
    description_columns = {
        "removed": _l("A removed field is hidden everywhere but keeps its stored values."),
        "choices": _l("Only for the type Choice."),
    }
    formatters_columns = {"field_type": lambda value: cf.FIELD_TYPE_LABELS.get(value, value)}
    add_form_extra_fields = edit_form_extra_fields = {
        **checkboxes(label_columns, "required", "show_in_list", "hidden_for_customer_users", "removed"),
        "field_type": SelectField(
            _l("Type"), choices=[(t, cf.FIELD_TYPE_LABELS[t]) for t in FIELD_TYPES], validators=[DataRequired()]
        ),
    }
    validators_columns = {
        "label": [DataRequired(), Unique(SQLAInterface(CustomFieldDefinition), "label")],
    }

    def _check(self, item):
        errors = cf.check_definition(item.label, item.field_type, item.choices)
        if errors:
            raise cf.FieldDefinitionInvalid(errors)

    def pre_add(self, item):
        self._check(item)

    def pre_update(self, item):
        self._check(item)
        cf.check_type_change(db.session, item)

    def pre_delete(self, item):
        cf.check_deletable(db.session, item)

