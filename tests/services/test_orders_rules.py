"""The order rules without a database: Swedish amounts worked out by hand (F4, F5, F15)."""

import datetime
from decimal import Decimal
from types import SimpleNamespace

import pytest

from app.services.orders import letter_discount, money, moved_work_date, order_totals, parse_decimal, totals

OFF = SimpleNamespace(show_vat_type=False)
ON = SimpleNamespace(show_vat_type=True)


def row(quantity, price, vat="25", discount="0", time=False):
    return SimpleNamespace(quantity=Decimal(quantity), unit_price=Decimal(price), vat_rate=Decimal(vat),
                           discount_percent=Decimal(discount), is_time_row=time)


def order(rows, customer_type="company", identity_number=None, vat_type=None):
    customer = SimpleNamespace(customer_type=customer_type, identity_number=identity_number, vat_type=vat_type)
    return SimpleNamespace(rows=rows, customer=customer)


def test_a_company_with_organisation_number_sees_prices_without_vat():
    # 3 × 99,90 kr less 10 %: 269,73 kr; VAT 25 % of that is 67,4325, shown 67,43 kr
    result = order_totals(order([row("3", "99.90", discount="10")], identity_number="556036-0793"), OFF)
    assert result.includes_vat is False
    assert result.rows[0].unit_price == Decimal("89.91")
    assert result.rows[0].amount == Decimal("269.73")
    assert result.net == Decimal("269.73")
    assert result.vat_by_rate == {Decimal("25"): Decimal("67.43")}
    assert result.gross == Decimal("337.16")
    assert result.shown == Decimal("269.73")


def test_a_private_customer_sees_prices_with_vat_only_on_articles_that_carry_it():
    # 2 × 125 kr at 25 %: 250 + 62,50; 1 × 100 kr without VAT (0 %): 100
    result = order_totals(order([row("2", "125"), row("1", "100", vat="0")], customer_type="private"), OFF)
    assert result.includes_vat is True
    assert [(r.unit_price, r.amount) for r in result.rows] == [(Decimal("156.25"), Decimal("312.50")),
                                                                (Decimal("100.00"), Decimal("100.00"))]
    assert result.net == Decimal("350.00")
    assert result.vat == Decimal("62.50")
    assert result.shown == Decimal("412.50")


def test_vat_is_worked_out_per_rate_on_the_sum_of_its_rows():
    # three rows of 0,10 kr at 25 %: per row 0,025 would round to 0,03 each (0,09);
    # on the sum (0,30 kr) it is 0,075 → 0,08 kr. Food at 12 %: 33,33 kr → 3,9996 → 4,00 kr
    rows = [row("1", "0.10"), row("1", "0.10"), row("1", "0.10"), row("1", "33.33", vat="12")]
    result = totals(rows, includes_vat=False)
    assert result.vat_by_rate == {Decimal("12"): Decimal("4.00"), Decimal("25"): Decimal("0.08")}
    assert result.net == Decimal("33.63")
    assert result.gross == Decimal("37.71")


def test_ore_are_rounded_half_up_never_to_even():
    # 0,5 h × 10,01 kr = 5,005 kr → 5,01 (half up; banker's rounding would give 5,00)
    result = totals([row("0.5", "10.01")], includes_vat=False)
    assert result.net == Decimal("5.01")
    # 1 × 0,10 kr with 25 % VAT: 0,125 → 0,13 kr per unit
    assert totals([row("1", "0.10")], includes_vat=True).rows[0].unit_price == Decimal("0.13")
    assert money(Decimal("2.675")) == Decimal("2.68")  # a float 2.675 would round down


def test_vat_type_overrides_the_default_when_the_setting_is_on():
    company = order([row("1", "100")], identity_number="556036-0793", vat_type="NormalVAT")
    assert order_totals(company, OFF).shown == Decimal("100.00")
    assert order_totals(company, ON).shown == Decimal("125.00")
    private = order([row("1", "100")], customer_type="private", vat_type="NoVAT")
    assert order_totals(private, ON).shown == Decimal("100.00")


def letters(*letters):
    return SimpleNamespace(discount_letters=[
        SimpleNamespace(rows=[SimpleNamespace(article_group=g, percent=Decimal(p)) for g, p in rows])
        for rows in letters])


def test_discount_letters_give_the_discount_of_the_articles_group():
    customer = letters([("Material", "10"), ("", "5")], [("material", "12.5"), ("Arbete", "3")])
    assert letter_discount(customer, "Material") == Decimal("12.5")  # the larger of the two letters' rows
    assert letter_discount(customer, "Arbete") == Decimal("3")  # the group's row beats "all articles"
    assert letter_discount(customer, "Resor") == Decimal("5")  # only the row for all articles
    assert letter_discount(customer, None) == Decimal("5")
    assert letter_discount(letters(), "Material") == Decimal("0")


def test_entering_hours_on_a_time_row_moves_the_work_date():
    today = datetime.date(2026, 12, 1)
    time_row, other = row("0", "650", time=True), row("0", "100")
    assert moved_work_date(time_row, Decimal("0"), Decimal("2.5"), today) == today
    assert moved_work_date(time_row, Decimal("2.5"), Decimal("3"), today) == today  # edited later: moves again
    assert moved_work_date(time_row, Decimal("2.5"), Decimal("2.5"), today) is None
    assert moved_work_date(time_row, Decimal("2.5"), Decimal("0"), today) is None
    assert moved_work_date(other, Decimal("0"), Decimal("2"), today) is None


@pytest.mark.parametrize(("text", "value"), [("1 234,50", "1234.50"), ("2,5", "2.50"), ("0.125", "0.13")])
def test_numbers_are_read_the_swedish_way(text, value):
    assert parse_decimal(text, low=Decimal("0"), high=Decimal("10000")) == Decimal(value)


@pytest.mark.parametrize("text", ["", "abc", "NaN", "1e400", "-1"])
def test_bad_numbers_are_refused(bare_context, text):
    with pytest.raises(ValueError):
        parse_decimal(text, low=Decimal("0"), high=Decimal("10000"))
