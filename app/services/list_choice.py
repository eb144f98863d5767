"""Each user's choice of list columns and default sort (F23), and "the list as the user sees it".

The choice is stored per user and list (`list_preference`); `resolve_list` applies it to
a list URL's arguments, giving what the list page, the export and the bulk actions share.
"""

import json
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from ..models.preferences import ListPreference
from . import custom_fields as cf
from .list_columns import ColumnContext, catalogue, column_context, default_keys
from .search import SORT_COLUMNS, parse_search
from .settings import get_settings

CUSTOMER_LIST = "customers"
ALWAYS_SHOWN = ("name",)  # the list's link to the card


@dataclass
class ListChoice:
    columns: list  # Column objects, in order
    sort: str | None  # default sort key, None for the built-in default
    direction: str | None
    saved: bool = False


def user_choice(session, user, settings, fields, list_name: str = CUSTOMER_LIST) -> ListChoice:
    """The user's columns and default sort; the defaults when nothing (valid) is saved."""
    available = {c.key: c for c in catalogue(settings, fields)}
    preference = None
    if user is not None and getattr(user, "id", None) is not None:
        preference = session.execute(
            select(ListPreference).where(ListPreference.user_id == user.id, ListPreference.list_name == list_name)
        ).scalar()
    keys = default_keys(fields)
    sort = direction = None
    if preference is not None:
        try:
            saved = json.loads(preference.columns or "[]")
        except ValueError:
            saved = []
        saved = [k for k in saved if isinstance(k, str) and k in available]
        if saved:
            keys = saved
        sort = preference.sort if preference.sort in SORT_COLUMNS else None
        direction = preference.direction if preference.direction in ("asc", "desc") else None
    for key in ALWAYS_SHOWN:
        if key not in keys:
            keys.insert(0, key)
    return ListChoice([available[k] for k in keys if k in available], sort, direction, preference is not None)


class ChoiceInvalid(ValueError):
    def __init__(self, errors: dict):
        super().__init__(errors)
        self.errors = errors


def save_choice(session, user, keys: list[str], sort: str | None, direction: str | None, settings, fields,
                list_name: str = CUSTOMER_LIST) -> ListPreference:
    """Store the user's columns (in catalogue order) and default sort."""
    available = [c.key for c in catalogue(settings, fields)]
    chosen = set(keys) | set(ALWAYS_SHOWN)
    errors = {}
    if set(keys) - set(available):
        errors["columns"] = _l("Choose columns from the list.")
    if sort and sort not in SORT_COLUMNS:
        errors["sort"] = _l("Choose a sort order from the list.")
    if direction and direction not in ("asc", "desc"):
        errors["sort"] = _l("Choose a sort order from the list.")
    if errors:
        raise ChoiceInvalid(errors)
    preference = session.execute(
        select(ListPreference).where(ListPreference.user_id == user.id, ListPreference.list_name == list_name)
    ).scalar()
    if preference is None:
        preference = ListPreference(user_id=user.id, list_name=list_name)
        session.add(preference)
    preference.columns = json.dumps([k for k in available if k in chosen])
    preference.sort = sort or None
    preference.direction = direction or None
    session.commit()
    return preference


def reset_choice(session, user, list_name: str = CUSTOMER_LIST) -> None:
    preference = session.execute(
        select(ListPreference).where(ListPreference.user_id == user.id, ListPreference.list_name == list_name)
    ).scalar()
    if preference is not None:
        session.delete(preference)
        session.commit()


def sortable(columns) -> list:
    return [c for c in columns if c.sort]


@dataclass
class ListRequest:
    """Everything the list and the export need to show "the list as the user sees it"."""

    settings: dict
    fields: list
    available: list  # every column on offer
    choice: ListChoice
    search: object  # search.CustomerSearch
    context: ColumnContext

    @property
    def columns(self) -> list:
        return self.choice.columns


def resolve_list(session, args, user) -> ListRequest:
    """The user's columns and default sort applied to the list URL's `args`."""
    settings = get_settings()
    fields = cf.active_fields(session)
    choice = user_choice(session, user, settings, fields)
    search = parse_search(args, fields, choice.sort, choice.direction)
    return ListRequest(settings, fields, catalogue(settings, fields), choice, search,
                       column_context(settings, fields, user))
