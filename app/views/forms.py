"""WTForms for the customer card. Forms only render and carry CSRF; the rules are in
app/services, whose errors the views put back on the fields."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, HiddenField, SelectField, SelectMultipleField, StringField, TextAreaField

from ..models.customer import COMPANY, NO_VAT, NORMAL_VAT, PRIVATE

CUSTOMER_TYPE_CHOICES = [(COMPANY, _l("Company")), (PRIVATE, _l("Private"))]
VAT_TYPE_CHOICES = [("", _l("Default (by organisation number)")), (NO_VAT, _l("No VAT")), (NORMAL_VAT, _l("Normal VAT"))]
IDENTITY_LABELS = {COMPANY: _l("Organisation number"), PRIVATE: _l("Personnummer")}


class ServiceCheckedSelect(SelectField):
    """A select whose value the service validates, with its own clear message."""

    def pre_validate(self, form):
        pass


class ServiceCheckedMultiSelect(SelectMultipleField):
    def pre_validate(self, form):
        pass


def customer_form_class(settings, fields, letters, languages, is_new: bool):
    """A form class holding exactly the fields the current settings show."""

    class CustomerForm(FlaskForm):
        name = StringField(_l("Name"))
        customer_type = ServiceCheckedSelect(_l("Customer type"), choices=CUSTOMER_TYPE_CHOICES, default=COMPANY)
        identity_number = StringField(_l("Organisation number"))
        comment = TextAreaField(_l("Comment (internal)"))
        invoice_street = StringField(_l("Street address"))
        invoice_street2 = StringField(_l("Address line 2"))
        invoice_postcode = StringField(_l("Postcode"))
        invoice_city = StringField(_l("City"))
        discount_letter_ids = ServiceCheckedMultiSelect(_l("Discount letters"), choices=[(str(d.id), d.name) for d in letters])
        facilities_disabled = BooleanField(_l("Facilities are disabled for this customer"))
        facility_required = BooleanField(_l("A facility is mandatory on orders for this customer"))
        cost_centre_required = BooleanField(_l("A cost centre is mandatory on orders for this customer"))
        always_invoice = BooleanField(_l("Always send to the accounting system as an invoice"))
        version = HiddenField()  # the version the form was opened on (edit conflicts)

    if is_new:
        description = _l("Leave empty to get the next number.") if settings.auto_customer_number else ""
        CustomerForm.customer_number = StringField(_l("Customer number"), description=description)
    if settings.show_vat_type:
        CustomerForm.vat_type = ServiceCheckedSelect(_l("VAT type"), choices=VAT_TYPE_CHOICES)
    if settings.show_language:
        CustomerForm.language = ServiceCheckedSelect(_l("Language"), choices=[("", "")] + list(languages.items()))
    if settings.show_cost_centre:
        CustomerForm.cost_centre = StringField(_l("Cost centre"))
    if settings.use_rot_rut:
        CustomerForm.tax_reduction_personnummer = StringField(_l("Personnummer (private person)"))
        CustomerForm.property_designation = StringField(_l("Property designation"))
        CustomerForm.housing_coop_org_number = StringField(_l("Housing cooperative's organisation number"))
        CustomerForm.apartment_number = StringField(_l("Apartment number"))
    for definition in fields:
        setattr(CustomerForm, f"cf_{definition.id}", custom_field(definition))
    return CustomerForm


def custom_field(definition):
    label = definition.label
    if definition.field_type == "boolean":
        return BooleanField(label)
    if definition.field_type == "choice":
        return ServiceCheckedSelect(label, choices=[("", "")] + [(c, c) for c in definition.choice_list])
    if definition.field_type == "date":
        return StringField(label, render_kw={"type": "date"})
    if definition.field_type == "number":
        return StringField(label, render_kw={"inputmode": "decimal"})
    return StringField(label)


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

