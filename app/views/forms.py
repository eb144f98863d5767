"""WTForms for the customer card. Forms only render and carry CSRF; the rules are in
app/services, whose errors the views put back on the fields."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, HiddenField, SelectField, SelectMultipleField, StringField, TextAreaField

from ..services import customer_fields as registry


class ServiceCheckedSelect(SelectField):
    """A select whose value the service validates, with its own clear message."""

    def pre_validate(self, form):
        pass


class ServiceCheckedMultiSelect(SelectMultipleField):
    def pre_validate(self, form):
        pass


def _form_field(entry, letters):
    """The WTForms field of one registry field; the rules stay in the service."""
    if entry.kind == "bool":
        return BooleanField(entry.label)
    if entry.kind == "choice":
        return ServiceCheckedSelect(entry.label, choices=[(v, label) for v, label in entry.choices()])
    if entry.kind == "letters":
        return ServiceCheckedMultiSelect(entry.label, choices=[(str(d.id), d.name) for d in letters])
    if entry.kind == "textarea":
        return TextAreaField(entry.label, description=entry.description or "")
    if entry.kind == "date":
        return StringField(entry.label, render_kw={"type": "date"})
    if entry.kind == "number":
        return StringField(entry.label, render_kw={"inputmode": "decimal"})
    return StringField(entry.label, description=entry.description or "")


def customer_form_class(settings, definitions, letters, is_new: bool):
    """A form class holding exactly the registry's form fields the current settings show."""

    class CustomerForm(FlaskForm):
        version = HiddenField()  # the version the form was opened on (edit conflicts)

    if is_new:
        description = _l("Leave empty to get the next number.") if settings.auto_customer_number else ""
        CustomerForm.customer_number = StringField(_l("Customer number"), description=description)
    for entry in registry.form_fields(settings, definitions):
        setattr(CustomerForm, entry.key, _form_field(entry, letters))
    return CustomerForm


def form_sections(form, settings, definitions) -> list[tuple[str, object, list]]:
    """The form's fields by section, in registry order: [(section key, title, [field])]."""
    sections: dict[str, list] = {}
    for entry in registry.form_fields(settings, definitions):
        if entry.key in form:
            sections.setdefault(entry.section, []).append(form[entry.key])
    return [(key, registry.SECTIONS.get(key, ""), sections[key]) for key in registry.SECTIONS if key in sections]


class ContactForm(FlaskForm):
    name = StringField(_l("Name"))
    phone = StringField(_l("Phone"))
    email = StringField(_l("E-mail"))
    send_service_protocol = BooleanField(_l("Send service protocol"))
    send_work_order = BooleanField(_l("Send work order"))
    is_main_contact = BooleanField(_l("Main contact"))


class AddressForm(FlaskForm):
    street = StringField(_l("Street address"))
    street2 = StringField(_l("Address line 2"))
    postcode = StringField(_l("Postcode"))
    city = StringField(_l("City"))


class CustomerArticleForm(FlaskForm):
    article_id = ServiceCheckedSelect(_l("Article"), choices=[])
    quantity = StringField(_l("Quantity"), default="1")


class ConfirmForm(FlaskForm):
    """An empty form: a POST button with a CSRF token."""

