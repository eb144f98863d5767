"""F3: the company lookup against the fake Bolagsverket, the cache, and the JSON endpoint."""

import json

import pytest

from app.integrations.company_lookup import BolagsverketProvider, FileDirectoryProvider
from app.integrations.errors import ProviderUnavailable, RemoteNotFound, RemoteRejected
from app.services.company_lookup import lookup_company
from tests.conftest import ctx


@pytest.fixture
def registered(fake_bolagsverket):
    fake_bolagsverket.add_company("556002-1361", "Rörfirman i Lund AB", "Box 12", "22100", "LUND")
    return fake_bolagsverket


def test_the_lookup_returns_name_and_address_and_is_cached_for_a_day(app, registered):
    with ctx(app):
        info = lookup_company("556002-1361")
        again = lookup_company("5560021361")
    assert (info.name, info.street, info.postcode, info.city) == ("Rörfirman i Lund AB", "Box 12", "22100", "LUND")
    assert again == info
    sent = registered.requests_to("POST", "/vardefulla-datamangder/v1/organisationer")
    assert len(sent) == 1 and sent[0]["json"] == {"identitetsbeteckning": "5560021361"}
    assert registered.token_requests == 1
    assert "scope" in registered.requests_to("POST", "/oauth2/token")[0]["form"]


def test_the_token_is_reused_until_it_expires(app, registered):
    registered.add_company("556036-0793", "Andra AB", "Gatan 1", "11122", "STOCKHOLM")
    with ctx(app):
        lookup_company("556002-1361")
        lookup_company("556036-0793")
    assert registered.token_requests == 1


def test_an_unknown_company_says_so(app, registered):
    with ctx(app), pytest.raises(RemoteNotFound) as error:
        lookup_company("556036-0793")
    assert "556036-0793" in error.value.message


def test_a_bad_number_is_refused_before_asking(app, registered):
    with ctx(app), pytest.raises(ValueError):
        lookup_company("556002-1362")
    assert not registered.requests_to("POST", "/vardefulla-datamangder/v1/organisationer")


def test_bolagsverket_refusing_a_number_gives_its_reason(app, registered):
    provider = BolagsverketProvider(app.config["COMPANY_LOOKUP_URL"], app.config["COMPANY_LOOKUP_TOKEN_URL"],
                                    "bv-client", "bv-secret")
    with pytest.raises(RemoteRejected) as error:
        provider.lookup("556002-1362")
    assert "kontrollsiffra" in error.value.message


@pytest.mark.parametrize("trouble", ["down", "source"])
def test_an_outage_is_a_clear_error_and_nothing_is_cached(app, registered, trouble):
    if trouble == "down":
        registered.go_down("refused")
    else:
        registered.source_unavailable = True
    with ctx(app), pytest.raises(ProviderUnavailable) as error:
        lookup_company("556002-1361")
    assert "Bolagsverket" in error.value.message
    registered.come_back()
    registered.source_unavailable = False
    with ctx(app):
        assert lookup_company("556002-1361").name == "Rörfirman i Lund AB"


def test_the_file_provider_shows_the_seam(tmp_path):
    path = tmp_path / "companies.json"
    path.write_text(json.dumps({"556002-1361": {"name": "Fil AB", "street": "Filgatan 1", "postcode": "123 45",
                                                "city": "Filby"}}))
    provider = FileDirectoryProvider(str(path))
    assert provider.lookup("556002-1361").postcode == "12345"
    with pytest.raises(RemoteNotFound):
        provider.lookup("556036-0793")


def test_the_endpoint_needs_the_create_or_edit_right(app, client, auth, registered):
    auth.login("manager")
    answer = client.get("/company-lookup/556002-1361")
    assert answer.status_code == 200 and answer.get_json()["name"] == "Rörfirman i Lund AB"
    auth.logout()
    auth.login("reader")
    assert client.get("/company-lookup/556002-1361").status_code == 403


def test_the_endpoint_explains_failures(app, client, auth, registered):
    auth.login("manager")
    bad = client.get("/company-lookup/556002-1362")
    assert bad.status_code == 400 and bad.get_json()["error"]
    unknown = client.get("/company-lookup/556036-0793")
    assert unknown.status_code == 404 and "556036-0793" in unknown.get_json()["error"]
    registered.go_down("503")
    down = client.get("/company-lookup/556036-0793")
    assert down.status_code == 502 and "Bolagsverket" in down.get_json()["error"]


def test_the_customer_form_offers_the_magnifier_and_saves_without_it(app, client, auth, registered):
    auth.login("manager")
    page = client.get("/customers/add").get_data(as_text=True)
    assert 'data-company-lookup="/company-lookup/"' in page and "company_lookup.js" in page
    registered.go_down("refused")  # the registry is unreachable: saving still works
    answer = client.post("/customers/add", data={"customer_type": "company", "name": "Utan uppslag AB",
                                                  "identity_number": "556002-1361"})
    assert answer.status_code == 302
