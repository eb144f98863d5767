"""Odd input never gives a 5xx (issue 17 item 9), on SQLite and PostgreSQL: NUL bytes, ids beyond
the integer range, `\\` and wrong types in list filters, absurd page numbers, in every GET URL,
every list and every form an administrator can reach."""

import re
from html.parser import HTMLParser
from urllib.parse import urlencode, urlsplit

import pytest

from app.extensions import db
from tests.conftest import ctx, new_customer

HUGE = "99999999999999999999"
ODD = ["\x00", "a\x00b", HUGE, "-" + HUGE, "\\", "x\\", "abc", "1e999"]
SKIP_ENDPOINTS = {"static", "appbuilder.static", "AuthDBView.logout", "PostLogoutAuthDBView.logout"}


class Forms(HTMLParser):
    """The POST forms of a page: action and fields (name → default value)."""

    def __init__(self):
        super().__init__()
        self.forms, self._current, self._select = [], None, None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form":
            self._current = {"action": attrs.get("action") or "", "method": (attrs.get("method") or "get").lower(),
                             "fields": {}}
            self.forms.append(self._current)
        elif self._current is not None and attrs.get("name"):
            fields = self._current["fields"]
            if tag == "input" and attrs.get("type") in ("checkbox", "radio"):
                if "checked" in attrs:
                    fields[attrs["name"]] = attrs.get("value", "y")
                else:
                    fields.setdefault(attrs["name"], None)
            elif tag in ("input", "textarea"):
                fields[attrs["name"]] = attrs.get("value", "")
            elif tag == "select":
                self._select = attrs["name"]
                fields[self._select] = ""
        if tag == "option" and self._select and self._current is not None:
            if "selected" in attrs or not self._current["fields"].get(self._select):
                self._current["fields"][self._select] = attrs.get("value", "")

    def handle_endtag(self, tag):
        if tag == "form":
            self._current = None
        elif tag == "select":
            self._select = None


def post_forms(html):
    parser = Forms()
    parser.feed(html)
    return [f for f in parser.forms if f["method"] == "post"]


def get_urls(app, ids):
    """Every GET rule, its arguments filled with real ids, and again with an id beyond any range."""
    urls = set()
    for rule in app.url_map.iter_rules():
        if "GET" not in rule.methods or rule.endpoint in SKIP_ENDPOINTS or "download" in rule.endpoint:
            continue
        if rule.endpoint.endswith(("api.info", "openapi")) or rule.rule.startswith("/api/"):
            continue
        for values in ({a: ids.get(a, ids["pk"]) for a in rule.arguments},
                       {a: HUGE for a in rule.arguments}):
            path = rule.rule
            for name, value in values.items():
                path = re.sub(rf"<(?:[^:<>]+:)?{name}>", str(value), path)
            if "<" not in path:
                urls.add(path)
    return sorted(urls)


def assert_no_5xx(client, method, url, **kwargs):
    try:
        response = client.open(url, method=method, **kwargs)
    except Exception as exc:  # noqa: BLE001 - TESTING propagates what would be a 500
        raise AssertionError(f"{method} {url} {kwargs.get('data')!r}: {exc!r}") from exc
    assert response.status_code < 500, (method, url, kwargs.get("data"), response.status_code)
    return response


@pytest.fixture
def fuzz_app(app):
    customer_id = new_customer(app, name="Fuzz AB", email="fuzz@exempel.se")
    with ctx(app):
        from app.models import Address, Contact

        contact = Contact(customer_id=customer_id, name="Kontakt")
        address = Address(customer_id=customer_id, kind="invoice", street="Gatan 1", postcode="11122",
                          city="Stockholm")
        db.session.add_all([contact, address])
        db.session.commit()
        app.fuzz_ids = {"pk": customer_id, "customer_id": customer_id, "contact_id": contact.id,
                        "record_id": 1, "job_id": 1, "folder_id": 1, "document_id": 1, "link_id": 1}
    return app


def test_get_urls_and_odd_query_arguments(fuzz_app, as_admin):
    for url in get_urls(fuzz_app, fuzz_app.fuzz_ids):
        assert_no_5xx(as_admin, "GET", url)
        for value in ("\x00", HUGE, "\\"):
            assert_no_5xx(as_admin, "GET", url + "?" + urlencode({"q": value, "page": value, "id": value}))


def test_fab_list_filters_and_pages(fuzz_app, as_admin):
    from flask_appbuilder import ModelView

    for view in fuzz_app.appbuilder.baseviews:
        if not isinstance(view, ModelView) or "can_list" not in (view.base_permissions or []):
            continue
        with fuzz_app.test_request_context():
            try:
                from flask import url_for

                url = url_for(f"{view.endpoint}.list")
            except Exception:  # noqa: BLE001 - a view without its own list route
                continue
        name = type(view).__name__
        for column in view.search_columns or []:
            for index in (0, 1, 3, 8):  # starts with, ends with, equal, in (or the column's own)
                for value in ("\x00", HUGE, "x\\", "abc", "2026-13-45"):
                    assert_no_5xx(as_admin, "GET", url + "?" + urlencode({f"_flt_{index}_{column}": value}))
        for value in (HUGE + "0", "1" * 21):
            assert_no_5xx(as_admin, "GET", url + "?" + urlencode({f"page_{name}": value}))


def test_every_search_form_field_with_odd_values(fuzz_app, as_admin):
    """The GET forms (the customer list's search and filters, FAB's search widgets)."""
    checked = 0
    for page_url in [u for u in get_urls(fuzz_app, fuzz_app.fuzz_ids) if HUGE not in u]:
        response = as_admin.get(page_url)
        if response.status_code != 200 or response.mimetype != "text/html":
            continue
        parser = Forms()
        parser.feed(response.get_data(as_text=True))
        for form in [f for f in parser.forms if f["method"] == "get" and f["fields"]]:
            action = form["action"] or page_url
            defaults = {k: v for k, v in form["fields"].items() if v}
            for field in form["fields"]:
                for value in ODD:
                    assert_no_5xx(as_admin, "GET", action + "?" + urlencode({**defaults, field: value}))
                checked += 1
    assert checked >= 5


def test_every_form_field_with_odd_values(fuzz_app, as_admin):
    pages = [u for u in get_urls(fuzz_app, fuzz_app.fuzz_ids) if HUGE not in u]
    seen = set()
    for page_url in pages:
        response = as_admin.get(page_url)
        if response.status_code != 200 or response.mimetype != "text/html":
            continue
        for form in post_forms(response.get_data(as_text=True)):
            action = form["action"] or page_url
            if urlsplit(action).path in ("/logout/", "/login/") or "delete" in action:
                continue
            key = (urlsplit(action).path, tuple(sorted(form["fields"])))
            if key in seen:
                continue
            seen.add(key)
            defaults = {k: v for k, v in form["fields"].items() if v is not None}
            for field in form["fields"]:
                if field == "csrf_token":
                    continue
                for value in ODD:
                    assert_no_5xx(as_admin, "POST", action, data={**defaults, field: value})
    assert len(seen) >= 5  # the customer, contact, address, settings and list-column forms at least
