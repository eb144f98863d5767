"""Whether a customer's orders and printouts show prices including VAT (F4)."""

from decimal import ROUND_HALF_UP, Decimal

from ..models.customer import COMPANY, NO_VAT, NORMAL_VAT


def shows_prices_including_vat(customer, settings) -> bool:
    """F4: an organisation number means prices without VAT, none means with VAT.

    With the setting "Show VAT type" on, the customer's own VAT type overrides that
    default: NormalVAT always shows VAT, NoVAT never does.
    """
    if settings.show_vat_type and customer.vat_type in (NO_VAT, NORMAL_VAT):
        return customer.vat_type == NORMAL_VAT
    has_org_number = customer.customer_type == COMPANY and bool(customer.identity_number)
    return not has_org_number


def displayed_price(customer, settings, net_price: Decimal, vat_rate: Decimal) -> Decimal:
    """The price an order or printout shows; VAT is added only for articles that carry it."""
    price = Decimal(net_price)
    if shows_prices_including_vat(customer, settings) and vat_rate:
        price = price * (1 + Decimal(vat_rate) / 100)
    return price.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
