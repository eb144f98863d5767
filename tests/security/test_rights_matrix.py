"""The rights matrix (F27): every route the app registers, for every built-in role and
for a custom role per single right, with a customer of the user's own (assigned to them)
and someone else's. The expected outcome is derived from the table RULES below; a route
that the table does not name fails the test, so new routes must be classified here."""

import io
import re

from app import commands as svc
from app.commands import documents as document_commands
from app.extensions import db
from app.models import Article, Contact, Customer
from app.security import rights as r
from app.security.access import SYSTEM
from tests.conftest import PASSWORD, ctx, new_customer

ANY_VIEW = (r.VIEW, r.VIEW_ASSIGNED)
ANY_EDIT = (r.EDIT, r.EDIT_ASSIGNED)

# endpoint -> rule. Rules:
#   ("public",)                      anyone
#   ("login",)                       any logged-in user
#   ("list", perms)                  any of perms on Customer; no row
#   ("row", perms, full, scope)      any of perms, then the row must be in the user's scope:
#                                    scope "view" = the VIEW|VIEW_ASSIGNED rule; "edit" = that and the
#                                    EDIT|EDIT_ASSIGNED rule (a role with Edit but no View changes nothing);
#                                    `full` is the right that reaches every row
#   ("admin",)                       FAB administration: Admin only
#   ("portal",)                      customer users only
#   ("olist", perms)                 any of perms on Order; no row
#   ("orow", perms, scope)           any of perms on Order, then the order must be in the user's order
#                                    scope: all orders with View, the ones assigned to the user with
#                                    "View only assigned" ("edit": and Edit / "Edit only assigned")
#   ("skip", why)                    not called here, tested elsewhere
RULES = {
    "HomeView.index": ("public",),  # only redirects to the register (or the portal)
    "CustomerView.list": ("list", ANY_VIEW),
    "CustomerView.add": ("list", (r.CREATE,)),
    "CustomerView.download": ("gone",),  # FAB's unscoped file download, switched off (app/web.py)
    "CustomerView.show": ("row", ANY_VIEW, "view"),
    "CustomerView.history": ("row", ANY_VIEW, "view"),
    "CustomerView.edit": ("row", ANY_EDIT, "edit"),
    "CustomerView.delete": ("row", (r.DELETE,), "view"),
    "CustomerView.action": ("row", (r.ASSIGN,), "view"),  # the assign action on the card
    "CustomerView.action_post": ("list", (r.ASSIGN,)),  # the assign action on the list's rows
    "CustomerView.confirm_action": ("list", (r.ASSIGN,)),
    "CustomerView.customer_user_add": ("row", (r.CREATE_CUSTOMER_USER,), "view"),
    "CustomerView.customer_user_rights": ("row", (r.CHANGE_CUSTOMER_USER_RIGHTS,), "view"),
    "CustomerView.customer_user_delete": ("row", (r.DELETE_CUSTOMER_USER,), "view"),
    **{f"{view}.{method}": spec for view in ("ContactInlineView", "AddressInlineView", "CustomerArticleInlineView",
                                             "FacilityInlineView")
       for method, spec in (("add", ("row", ANY_EDIT, "edit")), ("edit", ("row", ANY_EDIT, "edit")),
                            ("delete", ("row", ANY_EDIT, "edit")), ("list", ("row", ANY_VIEW, "view")),
                            ("show", ("row", ANY_VIEW, "view")), ("action", ("gone",)), ("action_post", ("gone",)),
                            ("download", ("gone",)))},
    "CustomerArticleInlineView.edit": ("gone",),  # a customer article is added or removed, not edited
    "OrderView.list": ("olist", ANY_VIEW),
    "OrderView.add": ("olist", (r.CREATE,)),
    "OrderView.show": ("orow", ANY_VIEW, "view"),
    "OrderView.edit": ("orow", ANY_EDIT, "edit"),
    "OrderView.delete": ("orow", (r.DELETE,), "view"),
    "OrderView.status": ("orow", ANY_EDIT, "edit"),
    "OrderView.row_add": ("orow", ANY_EDIT, "edit"),
    "OrderView.row_edit": ("orow", ANY_EDIT, "edit"),
    "OrderView.row_delete": ("orow", ANY_EDIT, "edit"),
    "OrderView.load_articles": ("orow", ANY_EDIT, "edit"),
    "OrderView.download": ("gone",),
    "OrderView.action": ("gone",),
    "OrderView.action_post": ("gone",),
    "DocumentView.index": ("row", ANY_VIEW, "view"),
    "DocumentView.download": ("row", ANY_VIEW, "view"),
    "DocumentView.preview": ("row", ANY_VIEW, "view"),
    "DocumentView.upload": ("row", (r.UPLOAD,), "view"),
    "DocumentView.folder_create": ("row", (r.UPLOAD,), "view"),
    "DocumentView.folder_rename": ("row", (r.UPLOAD,), "view"),
    "DocumentView.rename": ("row", (r.UPLOAD,), "view"),
    "DocumentView.move": ("row", (r.UPLOAD,), "view"),
    "DocumentView.folder_delete": ("row", (r.UPLOAD, r.DELETE_UPLOADED_FILES), "view"),
    "DocumentView.delete": ("row", (r.DELETE_UPLOADED_FILES,), "view"),
    "ImportExportView.upload": ("list", (r.CREATE, r.EDIT)),
    "ImportExportView.template": ("list", (r.CREATE, r.EDIT)),
    "ImportExportView.job": ("skip", "an import job is its owner's only: tests/views/test_import_export.py"),
    "ImportExportView.run": ("skip", "the mode's own right and the owner: tests/views/test_import_export.py"),
    "ImportExportView.status": ("skip", "an import job is its owner's only: tests/views/test_import_export.py"),
    "ImportExportView.failed_rows": ("skip", "an import job is its owner's only: tests/views/test_import_export.py"),
    "ImportExportView.export": ("list", ANY_VIEW),
    "ImportExportView.export_job": ("skip", "an export job is its owner's only: tests/views/test_background_views.py"),
    "ImportExportView.export_status": ("skip", "an export job is its owner's only: "
                                               "tests/views/test_background_views.py"),
    "ImportExportView.export_file": ("skip", "an export job is its owner's only: tests/views/test_background_views.py"),
    "ImportExportView.columns": ("list", ANY_VIEW),
    "NotificationView.list": ("login",),
    "NotificationView.mark_read": ("login",),
    "PortalView.index": ("portal",),
    "PortalView.contact": ("skip", "portal rights: tests/views/test_portal_views.py"),
    "PortalView.address": ("skip", "portal rights: tests/views/test_portal_views.py"),
    "PortalView.documents": ("skip", "portal rights: tests/views/test_portal_views.py"),
    "PortalView.document_download": ("skip", "portal rights: tests/views/test_portal_views.py"),
    "InvitationView.accept": ("public",),
    "SettingsView.edit": ("admin",),
    "MergeView.index": ("list", (r.MERGE_CUSTOMERS,)),
    "GdprView.index": ("list", (r.HANDLE_PERSONAL_DATA,)),
    "GdprView.extract": ("list", (r.HANDLE_PERSONAL_DATA,)),
    "GdprView.erase": ("list", (r.HANDLE_PERSONAL_DATA,)),
    "CompanyLookupView.lookup": ("list", (r.CREATE, r.EDIT, r.EDIT_ASSIGNED)),
    "BackgroundJobsView.index": ("admin",),
    "BackgroundJobsView.retry": ("admin",),
    "static": ("skip", "static files"),
    "appbuilder.static": ("skip", "static files"),
    "LocaleView.index": ("skip", "language switch: tests/views/test_customer_views.py"),
    "UtilView.back": ("skip", "FAB's redirect helper"),
    "PostLogoutAuthDBView.login": ("public",),
    "PostLogoutAuthDBView.logout": ("skip", "POST-only logout: tests/security/test_hardening.py"),
    "RateLimitedSecurityApi.login": ("skip", "API login throttling: tests/security/test_hardening.py"),
    "RateLimitedSecurityApi.refresh": ("skip", "JWT refresh needs a refresh token"),
    "MenuApi.get_menu_data": ("perm", [("can_get", "MenuApi")]),
    "ResetMyPasswordView.this_form_get": ("perm", [("can_this_form_get", "ResetMyPasswordView")]),
    "ResetMyPasswordView.this_form_post": ("perm", [("can_this_form_post", "ResetMyPasswordView")]),
    "OpenApi.get": ("perm", [("can_get", "OpenApi")]),
    "SwaggerView.show": ("perm", [("can_show", "SwaggerView")]),
    "ApiTokenView.index": ("admin",),
    "ApiTokenView.create": ("admin",),
    "ApiTokenView.revoke": ("admin",),
}
# The REST API (app/api), called with a personal token: endpoint -> (the rule as for a web route, what a
# customer user gets on the seeded rows, which are not its customer's). A write of a contact or an
# address names its customer in the body, so it is a row route too.
API_RULES = {
    "CustomerApi.get_list": (("list", ANY_VIEW), "ok"),
    "CustomerApi.get": (("row", ANY_VIEW, "view"), 404),
    "CustomerApi.post": (("list", (r.CREATE,)), 403),
    "CustomerApi.put": (("row", ANY_EDIT, "edit"), 403),
    "CustomerApi.delete": (("row", (r.DELETE,), "view"), 403),
    "CustomerApi.assign": (("list", (r.ASSIGN,)), 403),
    "CustomerApi.activate": (("list", ANY_EDIT), 403),
    "CustomerApi.inactivate": (("list", ANY_EDIT), 403),
    "CustomerApi.renumber": (("row", (r.CHANGE_CUSTOMER_NUMBER,), "edit"), 403),
    **{f"{api}.{method}": spec for api in ("ContactApi", "AddressApi") for method, spec in (
        ("get_list", (("list", ANY_VIEW), "ok")), ("get", (("row", ANY_VIEW, "view"), 404)),
        ("post", (("row", ANY_EDIT, "edit"), 404)), ("put", (("row", ANY_EDIT, "edit"), 404)),
        ("delete", (("row", ANY_EDIT, "edit"), 404)))},
    "CustomerArticleApi.get_list": (("list", ANY_VIEW), 403),
    "CustomerArticleApi.get": (("row", ANY_VIEW, "view"), 403),
    "CustomerHistoryApi.get_list": (("list", ANY_VIEW), 403),
    "CustomerHistoryApi.get": (("row", ANY_VIEW, "view"), 403),
    "CustomFieldApi.get_list": (("list", ANY_VIEW), 403),
    "CustomFieldApi.get": (("list", ANY_VIEW), 403),
    "DiscountLetterApi.get_list": (("perm", [("can_view", r.DISCOUNT_LETTER)]), 403),
    "DiscountLetterApi.get": (("perm", [("can_view", r.DISCOUNT_LETTER)]), 403),
}
# FAB's own administration views and our registers: Admin only (Manager reads articles and
# manages discount letters, below).
ADMIN_PREFIXES = ("UserDBModelView.", "RoleModelView.", "AppRoleModelView.", "PermissionModelView.",
                  "ViewMenuModelView.", "PermissionViewModelView.", "RegisterUserModelView.", "GroupModelView.",
                  "UserGroupModelView.",
                  "ApiKeyModelView.", "UserStatsChartView.", "ResetPasswordView.", "UserInfoEditView.",
                  "CustomFieldView.", "ArticleView.", "DiscountLetterView.", "DiscountLetterRowView.",
                  "IntegrationsView.")
SPECIAL_ADMIN = {
    # the read part of registers a Manager also has
    "ArticleView.list": ("perm", [("can_list", "ArticleView")]),
    "ArticleView.show": ("perm", [("can_list", "ArticleView"), ("can_show", "ArticleView")]),
    "DiscountLetterView.list": ("perm", [("can_view", r.DISCOUNT_LETTER)]),
    "DiscountLetterView.show": ("perm", [("can_view", r.DISCOUNT_LETTER)]),
    "DiscountLetterRowView.list": ("perm", [("can_view", r.DISCOUNT_LETTER)]),
    "DiscountLetterRowView.show": ("perm", [("can_view", r.DISCOUNT_LETTER)]),
    "DiscountLetterView.add": ("perm", [("can_create", r.DISCOUNT_LETTER)]),
    "DiscountLetterView.edit": ("perm", [("can_create", r.DISCOUNT_LETTER)]),
    "DiscountLetterView.delete": ("perm", [("can_delete", r.DISCOUNT_LETTER)]),
    "DiscountLetterRowView.add": ("perm", [("can_create", r.DISCOUNT_LETTER)]),
    "DiscountLetterRowView.edit": ("perm", [("can_create", r.DISCOUNT_LETTER)]),
    "DiscountLetterRowView.delete": ("perm", [("can_delete", r.DISCOUNT_LETTER)]),
    "UserDBModelView.userinfo": ("perm", [("can_userinfo", "UserDBModelView")]),
    "UserDBModelView.resetmypassword": ("perm", [("resetmypassword", "UserDBModelView")]),
}


def rule_for(endpoint: str):
    if endpoint.endswith(".download") and endpoint.startswith(ADMIN_PREFIXES):
        return ("gone",)  # FAB's unscoped file download is switched off everywhere (app/web.py)
    if endpoint in RULES:
        return RULES[endpoint]
    if endpoint in API_RULES:
        return ("api",)
    if endpoint in SPECIAL_ADMIN:
        return SPECIAL_ADMIN[endpoint]
    if endpoint.startswith(ADMIN_PREFIXES):
        return ("admin",)
    return None


def routes(app):
    for rule in app.url_map.iter_rules():
        methods = sorted(rule.methods - {"HEAD", "OPTIONS"})
        yield rule, methods


def test_every_route_is_classified(bare_app):
    """The routes are the app's, whatever its database: no database needed."""
    unclassified = sorted({rule.endpoint for rule, _ in routes(bare_app) if rule_for(rule.endpoint) is None})
    assert unclassified == []


# -- the people --------------------------------------------------------------

SINGLE_RIGHTS = list(r.CUSTOMER_PERMISSIONS)
SINGLE_ORDER_RIGHTS = list(r.ORDER_PERMISSIONS)


def make_users(app):
    """Built-in roles plus one custom role per single customer right."""
    with ctx(app):
        sm = app.appbuilder.sm
        people = {"Admin": "admin", "Manager": "manager", "Technician": "tech", "ReadOnly": "reader"}
        for permission in SINGLE_RIGHTS:
            role = sm.add_role(f"Only {permission}")
            sm.add_permission_role(role, sm.find_permission_view_menu(permission, r.CUSTOMER))
            user = sm.add_user(f"only_{permission}", "Only", permission, f"{permission}@exempel.se", [role],
                               password=PASSWORD)
            people[role.name] = user.username
        for permission in SINGLE_ORDER_RIGHTS:
            role = sm.add_role(f"Only order {permission}")
            sm.add_permission_role(role, sm.find_permission_view_menu(permission, r.ORDER))
            user = sm.add_user(f"only_order_{permission}", "Only", permission, f"order.{permission}@exempel.se",
                               [role], password=PASSWORD)
            people[role.name] = user.username
        return people


def holds(app, username) -> set:
    with ctx(app):
        user = app.appbuilder.sm.find_user(username=username)
        return {(p.permission.name, p.view_menu.name) for role in user.roles for p in role.permissions} | (
            {("*", "*")} if any(role.name == "Admin" for role in user.roles) else set())


def seed_rows(app, username) -> dict:
    """Two customers with a child of every kind: one assigned to `username`, one not."""
    with ctx(app):
        user = app.appbuilder.sm.find_user(username=username)
        article = db.session.query(Article).first()
        if article is None:
            article = Article(article_number="A1", name="Resa", unit="st", price=100, vat_rate=25)
            db.session.add(article)
            db.session.commit()
        article_id, user_id = article.id, user.id
    rows = {}
    for which in ("own", "foreign"):
        customer_id = new_customer(app, name=f"{which} {username}")
        with ctx(app):
            customer = db.session.get(Customer, customer_id)
            customer.assigned_to_id = user_id if which == "own" else None
            db.session.commit()
            contact = svc.save_contact(customer, {"name": "Kontakt"}, by=SYSTEM)
            svc.save_address(customer, "visiting", {"street": "Gatan 1", "postcode": "11455", "city": "Sthlm"}, by=SYSTEM)
            from app.services.settings import save_settings

            save_settings({"show_service_articles": True})
            row = svc.add_customer_article(customer, {"kind": "service", "article_id": article_id, "quantity": "1"}, by=SYSTEM)
            link, token = svc.create_customer_user(
                customer, {"email": f"{which}.{username.split('@')[0]}@kund.se", "first_name": "K", "last_name": "U"}, by=SYSTEM)
            rows[which] = {"customer_id": customer_id, "contact_id": contact.id, "row_id": row.id,
                           "address_id": customer.address("visiting").id, "article_id": article_id,
                           "link_id": link.id, "kind": "visiting", "token": token}
            rows[which].update(seed_documents(customer))
            rows[which].update(seed_order(customer, user_id if which == "own" else None))
    return rows


def seed_order(customer, assigned_to_id) -> dict:
    """An order of the customer with one row and a facility; "own" orders are assigned to the user."""
    from app.commands import orders as order_commands
    from app.models import Order

    order = order_commands.create_order({"customer_id": customer.id, "kind": "work_order"}, by=SYSTEM)
    line = order_commands.add_row(order, {"text": "Resa", "quantity": "1", "unit_price": "100"}, by=SYSTEM)
    facility = order_commands.save_facility(customer, {"name": "Pannrum"}, by=SYSTEM)
    db.session.get(Order, order.id).assigned_to_id = assigned_to_id  # also a customer user (not assignable)
    db.session.commit()
    return {"order_id": order.id, "line_id": line.id, "facility_id": facility.id}


def seed_documents(customer) -> dict:

    folder = document_commands.create_folder(customer, "Mapp", by=SYSTEM)
    from tests.uploads.samples import pdf

    [document] = document_commands.upload_documents(customer, folder.id, [("avtal.pdf", io.BytesIO(pdf()))], by=SYSTEM)
    return {"folder_id": folder.id, "document_id": document.id}


# Which seeded row a route's `pk` is, and the query a related view's add/list needs.
ROW_KEYS = {"CustomerView": "customer_id", "ContactInlineView": "contact_id", "AddressInlineView": "address_id",
            "CustomerArticleInlineView": "row_id", "FacilityInlineView": "facility_id", "OrderView": "order_id"}
CHILD_VIEWS = ("ContactInlineView", "AddressInlineView", "CustomerArticleInlineView", "FacilityInlineView")


def is_row_route(rule) -> bool:
    return "customer_id" in rule.arguments or (rule.endpoint.split(".")[0] in ROW_KEYS and (
        "pk" in rule.arguments or rule.endpoint.endswith((".add", ".list"))))


def url_for_rule(rule, values: dict) -> str:
    view = rule.endpoint.split(".")[0]
    values = dict(values)
    if view in ROW_KEYS and ROW_KEYS[view] in values:
        values["pk"] = values[ROW_KEYS[view]]
    if rule.endpoint in ("CustomerView.action", "CustomerView.confirm_action"):
        values["name"] = "assign"
    defaults = {"pk": "999999", "name": "x", "group_by": "x", "filename": "x", "job_id": "999999",
                "token": "bogus", "fmt": "csv", "locale": "sv"}
    url = rule.rule
    for arg in rule.arguments:
        value = values.get(arg, defaults.get(arg, "1"))
        url = re.sub(r"<(?:[^:<>]+:)?" + arg + ">", str(value), url)
    if view in CHILD_VIEWS and rule.endpoint.endswith((".add", ".list")) and "customer_id" in values:
        url += f"?_flt_0_customer={values['customer_id']}&kind=postal"
    return url


POST_DATA = {
    "CustomerView.action_post": {"action": "assign", "rowid": ["999999"]},
    "ContactInlineView.add": {"name": "Ny kontakt"},
    "ContactInlineView.edit": {"name": "Ändrad kontakt"},
    "AddressInlineView.add": {"street": "Ny väg 1", "city": "Solna"},
    "AddressInlineView.edit": {"street": "Ändrad väg 1", "city": "Solna"},
    "CustomerArticleInlineView.add": {"kind": "service", "quantity": "1"},
    "FacilityInlineView.add": {"name": "Ny anläggning"},
    "FacilityInlineView.edit": {"name": "Ändrad anläggning"},
    "OrderView.status": {"status": "started"},
    "OrderView.row_add": {"text": "Ny rad", "quantity": "1"},
    "OrderView.row_edit": {"quantity": "2"},
}


def expected(app, rule_spec, held: set, which: str, is_portal: bool) -> set:
    """The set of acceptable outcomes: 'ok', 403 or 404."""
    admin = ("*", "*") in held
    kind = rule_spec[0]

    def has(*perms):
        return admin or any((p, r.CUSTOMER) in held for p in perms)

    if kind in ("public", "login"):
        return {"ok", 404}
    if kind == "gone":
        return {404}
    if kind == "admin":
        # FAB itself withholds some routes even from Admin (e.g. adding permissions by hand)
        return {"ok", 404, 403} if admin else {403}
    if kind == "perm":
        return {"ok", 404} if admin or all(pair in held for pair in rule_spec[1]) else {403}
    if kind == "portal":
        return {"ok"} if is_portal else ({404} if admin else {403})
    if kind == "list":
        return {"ok"} if has(*rule_spec[1]) else {403}

    def has_order(*perms):
        return admin or any((p, r.ORDER) in held for p in perms)

    if kind == "olist":
        return {"ok"} if has_order(*rule_spec[1]) else {403}
    if kind == "orow":
        if not has_order(*rule_spec[1]):
            return {403}
        visible = has_order(r.VIEW) or (has_order(r.VIEW_ASSIGNED) and which == "own")
        if rule_spec[2] == "edit":
            visible = visible and (has_order(r.EDIT) or (has_order(r.EDIT_ASSIGNED) and which == "own"))
        return {"ok"} if visible else {404}
    if kind == "row":
        perms, scope = rule_spec[1], rule_spec[2]
        if not has(*perms):
            return {403}
        visible = has(r.VIEW) or (has(r.VIEW_ASSIGNED) and which == "own")
        if scope == "edit":  # changing needs the row in the edit scope and in the view scope
            visible = visible and (has(r.EDIT) or (has(r.EDIT_ASSIGNED) and which == "own"))
        return {"ok"} if visible else {404}
    raise AssertionError(rule_spec)


def outcome(response) -> object:
    if response.status_code in (403, 404):
        return response.status_code
    if response.status_code == 302 and "/login" in (response.location or ""):
        return "login"
    return "ok" if response.status_code < 500 else response.status_code


def check_user(app, username, is_portal=False):
    client = app.test_client()
    response = client.post("/login/", data={"username": username, "password": PASSWORD})
    assert response.status_code == 302 and "/login" not in response.location, username
    held = holds(app, username)
    rows = seed_rows(app, username)
    failures = []
    # destructive routes last, so the rows exist for the others
    ordered = sorted(routes(app), key=lambda item: (item[0].endpoint == "CustomerView.delete",
                                                    item[0].endpoint == "OrderView.delete",
                                                    "delete" in item[0].rule, item[0].rule))
    for rule, methods in ordered:
        spec = rule_for(rule.endpoint)
        if spec is None or spec[0] in ("skip", "api"):
            continue
        data = POST_DATA.get(rule.endpoint, {})
        values = {}
        if rule.endpoint == "CustomerArticleInlineView.add":
            data = {**data, "article_id": rows["own"]["article_id"]}
        if rule.endpoint.endswith((".action", ".action_post")) and rule.endpoint not in RULES:
            # a FAB list action: a real one where the view has any, else an unknown name (404)
            view = app.view_functions[rule.endpoint].__self__
            actions = list(view.actions)
            if not actions:
                spec = ("gone",)
            else:  # the action's own permission decides, as FAB declares it
                spec = ("perm", [(view.get_action_permission_name(actions[0]), view.class_permission_name)])
            values = {"name": actions[0] if actions else "x"}
            data = {"action": values["name"], "rowid": ["999999"]}
        for which in (("own", "foreign") if is_row_route(rule) else ("own",)):
            url = url_for_rule(rule, {**rows[which], **values})
            if "GET" in methods:
                response = client.get(url)
            else:
                response = client.post(url, data=data)
            got = outcome(response)
            want = expected(app, spec, held, which, is_portal)
            if got not in want:
                failures.append(f"{username} {methods} {url} ({which}): got {got}, expected {sorted(map(str, want))}")
    return failures


def test_the_matrix_for_built_in_and_single_right_roles(app):
    people = make_users(app)
    failures = []
    for username in people.values():
        failures += check_user(app, username)
    assert failures == []


API_ROW_KEYS = {"CustomerApi": "customer_id", "ContactApi": "contact_id", "AddressApi": "address_id",
                "CustomerArticleApi": "row_id", "CustomerHistoryApi": "history_id", "CustomFieldApi": "field_id",
                "DiscountLetterApi": "letter_id"}


def seed_registers(rows: dict) -> None:
    """A discount letter, a custom field, and each customer's first history entry, for the read-only resources."""
    from sqlalchemy import select

    from app.models import CustomerHistory, CustomFieldDefinition, DiscountLetter

    suffix = rows["own"]["customer_id"]  # called once per user
    letter = DiscountLetter(name=f"Matrisbrev {suffix}")
    field = CustomFieldDefinition(label=f"Matrisfält {suffix}", field_type="text")
    db.session.add_all([letter, field])
    db.session.commit()
    for row in rows.values():
        row["history_id"] = db.session.execute(select(CustomerHistory.id).where(
            CustomerHistory.customer_id == row["customer_id"]).order_by(CustomerHistory.id)).scalars().first()
        row.update(letter_id=letter.id, field_id=field.id)


def api_body(endpoint: str, row: dict, number: int) -> dict | None:
    return {
        "CustomerApi.post": {"name": "Matris AB"},
        "CustomerApi.put": {"name": "Ändrad AB"},
        "CustomerApi.assign": {"ids": [row["customer_id"]], "technician": None},
        "CustomerApi.activate": {"ids": [row["customer_id"]]},
        "CustomerApi.inactivate": {"ids": [row["customer_id"]]},
        "CustomerApi.renumber": {"customer_number": str(80000 + number)},
        "ContactApi.post": {"customer_id": row["customer_id"], "name": "Ny kontakt"},
        "ContactApi.put": {"name": "Ändrad kontakt"},
        "AddressApi.post": {"customer_id": row["customer_id"], "kind": "postal", "street": "Ny väg 1"},
        "AddressApi.put": {"street": "Ändrad väg 1"},
    }.get(endpoint)


def api_outcome(response) -> object:
    if response.status_code in (401, 403, 404) or response.status_code >= 500:
        return response.status_code
    assert response.status_code in (200, 201), (response.status_code, response.json)
    return "ok"


def check_api_user(app, username, is_portal=False):
    """Every API route with a personal token of `username`, on its own and on someone else's rows."""
    from app.commands.api_tokens import create_api_token

    client = app.test_client()
    with ctx(app):
        user_id = app.appbuilder.sm.find_user(username=username).id
        token = create_api_token(user_id, "matris", by=SYSTEM)[1]
    headers = {"Authorization": f"Bearer {token}", "If-Match": "*"}
    held = holds(app, username)
    rows = seed_rows(app, username)
    with ctx(app):
        seed_registers(rows)
    failures = []
    ordered = sorted((item for item in routes(app) if item[0].endpoint in API_RULES),
                     key=lambda item: (item[0].endpoint == "CustomerApi.delete", "DELETE" in item[1], item[0].rule))
    number = 0
    for rule, methods in ordered:
        (spec, portal_outcome), api = API_RULES[rule.endpoint], rule.endpoint.split(".")[0]
        is_row = "pk" in rule.arguments or spec[0] == "row"
        for which in (("own", "foreign") if is_row else ("own",)):
            row = rows[which]
            url = rule.rule.replace("<int:pk>", str(row[API_ROW_KEYS[api]]))
            [method] = methods
            number += 1
            response = client.open(url, method=method, json=api_body(rule.endpoint, row, number), headers=headers)
            got = api_outcome(response)
            want = {portal_outcome} if is_portal else expected(app, spec, held, which, is_portal)
            if got not in want:
                failures.append(f"{username} {method} {url} ({which}): got {got}, expected {sorted(map(str, want))}")
    return failures


def test_the_api_matrix_for_built_in_and_single_right_roles(app):
    people = make_users(app)
    failures = []
    for username in people.values():
        failures += check_api_user(app, username)
    assert failures == []


def test_the_api_matrix_for_a_customer_user(app):
    customer_id = new_customer(app, name="Portalkund AB")
    with ctx(app):
        link, token = svc.create_customer_user(
            db.session.get(Customer, customer_id), {"email": "portal@kund.se", "first_name": "P", "last_name": "K"}, by=SYSTEM)
        svc.set_rights(link, can_edit_details=True, can_see_documents=True, by=SYSTEM)
        svc.accept_invitation(token, PASSWORD, PASSWORD)
    assert check_api_user(app, "portal@kund.se", is_portal=True) == []


def test_the_matrix_for_a_customer_user(app):
    customer_id = new_customer(app, name="Portalkund AB")
    with ctx(app):
        _link, token = svc.create_customer_user(
            db.session.get(Customer, customer_id), {"email": "portal@kund.se", "first_name": "P", "last_name": "K"}, by=SYSTEM)
        svc.accept_invitation(token, PASSWORD, PASSWORD)
    assert check_user(app, "portal@kund.se", is_portal=True) == []


def test_anonymous_users_reach_only_public_routes(app):
    client = app.test_client()
    rows = seed_rows(app, "tech")
    for rule, methods in routes(app):
        spec = rule_for(rule.endpoint)
        if spec is None or spec[0] in ("skip", "public"):
            continue
        url = url_for_rule(rule, rows["own"])
        if spec[0] == "api":
            assert client.open(url, method=methods[0], json={}).status_code == 401, url
            continue
        response = client.get(url) if "GET" in methods else client.post(url)
        assert outcome(response) in ("login", 401, 403, 404) or response.status_code == 401, url


def test_a_contact_is_reachable_only_through_a_customer_in_scope(app, client, auth):
    mine = new_customer(app, name="Min kund")
    theirs = new_customer(app, name="Andras kund")
    with ctx(app):
        db.session.get(Customer, mine).assigned_to_id = app.user_ids["tech"]
        db.session.commit()
        contact_id = svc.save_contact(db.session.get(Customer, theirs), {"name": "Andras"}, by=SYSTEM).id
    auth.login("tech")
    assert client.get(f"/customers/contacts/{contact_id}/edit").status_code == 404
    assert client.post(f"/customers/contacts/{contact_id}/edit", data={"name": "Kapad"}).status_code == 404
    assert client.post(f"/customers/contacts/{contact_id}/delete").status_code == 404
    assert client.post(f"/customers/contacts/add?_flt_0_customer={theirs}", data={"name": "Ny"}).status_code == 404
    assert client.post(f"/customers/contacts/add?_flt_0_customer={mine}", data={"name": "Ny"}).status_code == 302
    with ctx(app):
        assert db.session.get(Contact, contact_id).name == "Andras"
        assert [c.name for c in db.session.get(Customer, theirs).contacts] == ["Andras"]
