"""Module, view and article settings (F25, F26, F12's "Use ROT/RUT").

Settings live as key/value rows; the catalogue below gives each one its type, default
and label. A setting that is off hides its fields everywhere: views, card and forms ask
`get_settings()` rather than reading rows themselves.
"""

from dataclasses import dataclass

from flask import g, has_app_context
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from ..extensions import db
from ..models.settings import Setting


@dataclass(frozen=True)
class SettingDef:
    key: str
    kind: str  # "bool" or "int"
    default: bool | int
    label: object
    group: str  # "module", "view" or "article"


SETTING_DEFS = (
    SettingDef("customer_number_min_length", "int", 4, _l("Minimum length of customer number"), "module"),
    SettingDef("customer_number_max_length", "int", 10, _l("Maximum length of customer number"), "module"),
    SettingDef("auto_customer_number", "bool", True, _l("Generate the next customer number automatically"), "module"),
    SettingDef("number_in_display_name", "bool", False, _l("Include the customer number in the display name"), "module"),
    SettingDef("facility_name_in_lists", "bool", False, _l("Show the facility name instead of the customer in list views"), "module"),
    SettingDef("show_cost_centre", "bool", False, _l("Show the cost centre field (also on orders)"), "module"),
    SettingDef("show_customer_order_number", "bool", False, _l("Show the customer's order number (also on orders)"), "module"),
    SettingDef("require_customer_order_number", "bool", False, _l("Require the customer's order number on orders"), "module"),
    SettingDef("show_language", "bool", False, _l("Show language"), "module"),
    SettingDef("show_vat_type", "bool", False, _l("Show VAT type"), "module"),
    SettingDef("show_service_articles", "bool", False, _l("Show service articles"), "view"),
    SettingDef("show_work_order_articles", "bool", False, _l("Show work-order articles"), "view"),
    SettingDef("use_rot_rut", "bool", False, _l("Use ROT/RUT"), "article"),
)
SETTINGS_BY_KEY = {d.key: d for d in SETTING_DEFS}

MIN_NUMBER_LENGTH, MAX_NUMBER_LENGTH = 1, 32


class Settings(dict):
    """The current settings; attribute access for templates and services."""

    def __getattr__(self, key):
        try:
            return self[key]
        except KeyError:
            raise AttributeError(key) from None


def _decode(definition: SettingDef, raw: str | None):
    if raw is None:
        return definition.default
    if definition.kind == "bool":
        return raw == "1"
    try:
        return int(raw)
    except ValueError:
        return definition.default


def get_settings(session=None) -> Settings:
    """All settings, read once per request."""
    cached = g.get("_kundregister_settings") if has_app_context() else None
    if cached is not None and session is None:
        return cached
    session = session or db.session
    stored = dict(session.execute(select(Setting.key, Setting.value)).all())
    settings = Settings({d.key: _decode(d, stored.get(d.key)) for d in SETTING_DEFS})
    if has_app_context():
        g._kundregister_settings = settings
    return settings


class SettingsInvalid(ValueError):
    def __init__(self, errors: dict):
        super().__init__(errors)
        self.errors = errors


def save_settings(values: dict, session=None) -> Settings:
    """Validate and store every setting in `values` in one transaction."""
    session = session or db.session
    errors = {}
    min_len = values.get("customer_number_min_length")
    max_len = values.get("customer_number_max_length")
    for key in ("customer_number_min_length", "customer_number_max_length"):
        value = values.get(key)
        if value is not None and not (MIN_NUMBER_LENGTH <= value <= MAX_NUMBER_LENGTH):
            errors[key] = _l("Enter a length between %(low)s and %(high)s.", low=MIN_NUMBER_LENGTH, high=MAX_NUMBER_LENGTH)
    if min_len is not None and max_len is not None and min_len > max_len and not errors:
        errors["customer_number_max_length"] = _l("The maximum length cannot be less than the minimum length.")
    unknown = set(values) - set(SETTINGS_BY_KEY)
    if unknown:
        errors.update({k: _l("Unknown setting.") for k in unknown})
    if errors:
        raise SettingsInvalid(errors)
    for key, value in values.items():
        definition = SETTINGS_BY_KEY[key]
        encoded = ("1" if value else "0") if definition.kind == "bool" else str(int(value))
        session.merge(Setting(key=key, value=encoded))
    session.commit()
    if has_app_context():
        g.pop("_kundregister_settings", None)
    return get_settings(session)
