import datetime

import pytest

from app.services.identity import (
    mask_personnummer,
    parse_email,
    parse_identity,
    parse_postcode,
)

TODAY = datetime.date(2026, 11, 27)


@pytest.mark.parametrize(
    "typed, canonical",
    [
        ("556036-0793", "556036-0793"),
        ("5560360793", "556036-0793"),
        (" 556036 0793 ", "556036-0793"),
        ("16556036-0793", "556036-0793"),  # the "16" prefix of some registries
        ("19811228-9874", "19811228-9874"),  # a sole trader's personnummer, twelve digits
    ],
)
def test_organisation_numbers_are_stored_canonical(typed, canonical):
    assert parse_identity("company", typed) == canonical


@pytest.mark.parametrize("typed", ["556036-0792", "55603607", "abcdef-ghij", "556036-07933"])
def test_invalid_organisation_numbers_are_refused(typed):
    with pytest.raises(ValueError):
        parse_identity("company", typed)


@pytest.mark.parametrize(
    "typed, canonical",
    [
        ("19811228-9874", "19811228-9874"),
        ("811228-9874", "19811228-9874"),
        ("8112289874", "19811228-9874"),
        ("198112289874", "19811228-9874"),
        ("701063-2391", "19701063-2391"),  # samordningsnummer: day + 60
        ("121212+1212", "19121212-1212"),  # "+": 100 years or older
        ("121212-1212", "20121212-1212"),
    ],
)
def test_personnummer_forms_are_stored_canonical(typed, canonical):
    from app.services.identity import parse_personnummer

    assert parse_personnummer(typed, today=TODAY) == canonical
    assert parse_identity("private", typed) == canonical


@pytest.mark.parametrize(
    "typed",
    [
        "19811228-9873",  # wrong check digit
        "19811328-9874",  # month 13
        "19810230-1234",  # 30 February
        "20991231-1234",  # in the future
        "811228",
        "",
    ],
)
def test_invalid_personnummer_is_refused(typed):
    with pytest.raises(ValueError):
        parse_identity("private", typed)


def test_personnummer_is_not_an_organisation_number_of_a_legal_entity_for_private():
    with pytest.raises(ValueError):
        parse_identity("private", "556036-0793")


def test_unknown_customer_type_is_refused():
    with pytest.raises(ValueError):
        parse_identity("alien", "556036-0793")


def test_masking_hides_the_last_four_digits():
    assert mask_personnummer("19811228-9874") == "19811228-XXXX"


@pytest.mark.parametrize("typed, stored", [("114 55", "11455"), ("11455", "11455"), ("SE-114 55", "11455")])
def test_postcodes(typed, stored):
    assert parse_postcode(typed) == stored


@pytest.mark.parametrize("typed", ["1145", "114555", "ABCDE", "01234"])
def test_bad_postcodes(typed):
    with pytest.raises(ValueError):
        parse_postcode(typed)


def test_email():
    assert parse_email(" anna@exempel.se ") == "anna@exempel.se"
    for bad in ("anna", "anna@", "anna@exempel", "an na@exempel.se"):
        with pytest.raises(ValueError):
            parse_email(bad)
