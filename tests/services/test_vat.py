from decimal import Decimal
from types import SimpleNamespace

from app.services.vat import displayed_price, shows_prices_including_vat


def customer(customer_type="company", identity_number=None, vat_type=None):
    return SimpleNamespace(customer_type=customer_type, identity_number=identity_number, vat_type=vat_type)


OFF = SimpleNamespace(show_vat_type=False)
ON = SimpleNamespace(show_vat_type=True)


def test_organisation_number_means_prices_without_vat():
    assert shows_prices_including_vat(customer(identity_number="556036-0793"), OFF) is False


def test_no_organisation_number_means_prices_with_vat():
    assert shows_prices_including_vat(customer(), OFF) is True
    assert shows_prices_including_vat(customer("private", "19811228-9874"), OFF) is True


def test_vat_type_overrides_only_when_the_setting_is_on():
    with_org = customer(identity_number="556036-0793", vat_type="NormalVAT")
    assert shows_prices_including_vat(with_org, OFF) is False
    assert shows_prices_including_vat(with_org, ON) is True
    assert shows_prices_including_vat(customer("private", vat_type="NoVAT"), ON) is False


def test_vat_is_added_only_to_articles_that_carry_it():
    private = customer("private")
    assert displayed_price(private, OFF, Decimal("100"), Decimal("25")) == Decimal("125.00")
    assert displayed_price(private, OFF, Decimal("100"), Decimal("0")) == Decimal("100.00")
    assert displayed_price(customer(identity_number="556036-0793"), OFF, Decimal("100"), Decimal("25")) == Decimal("100.00")
