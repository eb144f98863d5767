"""FAB's ModelView machinery pointed at our commands and rules.

FAB generates the CRUD of a model from three seams, and we use each of them:
- the datamodel (`SQLAInterface`) does the writes: `CommandInterface` hands add, edit and
  delete to the aggregate's command, with the acting user;
- the form checks the input: `ServiceForm.check` runs the service's rule and puts its
  messages on the fields (so a refused form keeps what was typed), and `populate_obj`
  hands the values to the command instead of setting attributes;
- `base_filters` scope every lookup (`CustomerScope`).
A form class that depends on settings or custom fields is built per request by a
`FormFactory`, which FAB asks for a form through `refresh()` like one of its own.
"""

from flask import request
from flask_appbuilder.forms import DynamicForm
from flask_appbuilder.models.sqla.interface import SQLAInterface
from werkzeug.datastructures import MultiDict

from ..errors import NotAllowed
from ..security.access import current_actor


class CommandInterface(SQLAInterface):
    """A datamodel whose add/edit/delete are commands: `create(item, values, by)`,
    `update(item, values, by)`, `delete(item, by)`."""

    def __init__(self, model, *, create=None, update=None, delete=None):
        super().__init__(model)
        self._create, self._update, self._remove = create, update, delete

    def add(self, item, commit: bool = True) -> None:
        _call(self._create, item, getattr(item, "submitted", {}))

    def edit(self, item, commit: bool = True) -> None:
        _call(self._update, item, getattr(item, "submitted", {}))

    def delete(self, item, commit: bool = True) -> None:
        _call(self._remove, item)


def _call(command, item, *values):
    """Run the command. Routes check rights and scope first (FAB turns any error raised here
    into a flashed message), so a refusal here is a race and its message is what the user sees."""
    if command is None:
        raise NotAllowed()
    command(item, *values, by=current_actor())


class ServiceForm(DynamicForm):
    """A FAB form checked by a service rule; its values go to the command, not onto the object."""

    skip = ("csrf_token",)

    def values(self) -> dict:
        return {name: field.data for name, field in self._fields.items() if name not in self.skip}

    def check(self, values: dict) -> dict:
        """{field: message} from the service's rule; override."""
        return {}

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        errors = self.check(self.values())
        put_errors(self, errors)
        return valid and not errors

    def populate_obj(self, obj) -> None:
        obj.submitted = self.values()


def put_errors(form, errors: dict) -> None:
    """The service's messages on their fields; the others above the form."""
    for name, message in errors.items():
        if name in form:
            form[name].errors = list(form[name].errors or []) + [message]
        else:
            form.form_errors.append(message)


class FormFactory:
    """Stands where FAB expects a form class; builds the real one per request (`build`)."""

    @classmethod
    def build(cls):
        raise NotImplementedError

    @classmethod
    def refresh(cls, obj=None):
        form_class = cls.build()
        if isinstance(obj, MultiDict) or obj is None:
            return form_class()
        return form_class(obj=obj)


def filter_arg(name: str):
    """The value of FAB's related-view filter `_flt_0_<name>` (the parent row's id), untrusted."""
    value = request.args.get(f"_flt_0_{name}") or request.form.get(f"_flt_0_{name}")
    if value is None or not str(value).isdigit() or len(str(value)) > 18:
        return None
    return int(value)
