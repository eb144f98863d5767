"""The API's description (OpenAPI, Swagger UI under the CSP) and its per-token rate limit."""

import re

from tests.api.conftest import bearer, personal_token
from tests.conftest import init_database, make_app


def test_the_openapi_document_describes_the_fixed_resources(app, client):
    spec = client.get("/api/v1/_openapi", headers=bearer(personal_token(app, "reader")))
    assert spec.status_code == 200
    paths = spec.json["paths"]
    for path, methods in {"/api/v1/customer/": {"get", "post"}, "/api/v1/customer/{pk}": {"get", "put", "delete"},
                          "/api/v1/contact/": {"get", "post"}, "/api/v1/address/{pk}": {"get", "put", "delete"},
                          "/api/v1/customer/assign": {"post"}, "/api/v1/customer/{pk}/renumber": {"post"},
                          "/api/v1/security/login": {"post"}}.items():
        assert set(paths[path]) == methods, path
        for operation in paths[path].values():
            if not path.endswith("login"):
                assert operation["security"] == [{"jwt": []}, {"api_key": []}]
    schemas = spec.json["components"]["schemas"]
    assert schemas["CustomerApi.get"]["properties"]["name"]["description"] == "Namn / Name"
    assert schemas["CustomerApi.post"]["properties"]["invoice_postcode"]["description"] == \
        "Faktureringsadress: Postnummer / Invoice address: Postcode"
    assert set(schemas["Error"]["properties"]) == {"code", "message", "errors"}
    put = paths["/api/v1/customer/{pk}"]["put"]
    assert {"412", "428", "422"} <= set(put["responses"])
    assert put["responses"]["412"] == {"$ref": "#/components/responses/Error412"}


def test_swagger_ui_runs_under_the_content_security_policy(client, auth):
    assert client.get("/swagger/v1").status_code in (302, 401, 403)
    auth.login("tech")
    page = client.get("/swagger/v1")
    assert page.status_code == 200
    policy = page.headers["Content-Security-Policy"]
    nonce = re.search(r"'nonce-([^']+)'", policy).group(1)
    assert "unsafe-inline" not in policy.split("script-src")[1].split(";")[0]
    text = page.get_data(as_text=True)
    inline = re.findall(r"<script(?![^>]*\bsrc=)([^>]*)>", text)
    assert inline and all(f'nonce="{nonce}"' in attrs for attrs in inline)
    assert "/api/v1/_openapi" in text and "swagger-ui-bundle.js" in text


def test_the_rate_limit_counts_per_token_and_says_when_to_retry(database_url, tmp_path):
    app = make_app(database_url, RATELIMIT_ENABLED=True, API_RATE_LIMIT="3 per minute",
                   UPLOAD_FOLDER=str(tmp_path / "uploads"))
    app.user_ids = init_database(app)
    client = app.test_client()
    first, second = personal_token(app, "reader"), personal_token(app, "manager")
    answers = [client.get("/api/v1/customer/", headers=bearer(first)).status_code for _ in range(4)]
    assert answers == [200, 200, 200, 429]
    limited = client.get("/api/v1/customer/", headers=bearer(first))
    assert limited.status_code == 429
    assert limited.json["code"] == "rate_limited"
    assert 0 < int(limited.headers["Retry-After"]) <= 60
    assert client.get("/api/v1/customer/", headers=bearer(second)).status_code == 200
