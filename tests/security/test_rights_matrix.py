"""The rights matrix (F27): every route the app registers, for every built-in role and
for a custom role per single right, with a customer of the user's own (assigned to them)
and someone else's. The expected outcome is derived from the table RULES below; a route
that the table does not name fails the test, so new routes must be classified here."""

import io
import re

from app import commands as svc
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
    **{f"{view}.{method}": spec for view in ("ContactInlineView", "AddressInlineView", "CustomerArticleInlineView")
       for method, spec in (("add", ("row", ANY_EDIT, "edit")), ("edit", ("row", ANY_EDIT, "edit")),
                            ("delete", ("row", ANY_EDIT, "edit")), ("list", ("row", ANY_VIEW, "view")),
                            ("show", ("row", ANY_VIEW, "view")), ("action", ("gone",)), ("action_post", ("gone",)),
                            ("download", ("gone",)))},
    "CustomerArticleInlineView.edit": ("gone",),  # a customer article is added or removed, not edited
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
    return rows


def seed_documents(customer) -> dict:
    from app.services import documents

    folder = documents.create_folder(customer, "Mapp")
    from tests.uploads.samples import pdf

    [document] = documents.upload_documents(customer, folder.id, [("avtal.pdf", io.BytesIO(pdf()))])
    return {"folder_id": folder.id, "document_id": document.id}


# Which seeded row a route's `pk` is, and the query a related view's add/list needs.
ROW_KEYS = {"CustomerView": "customer_id", "ContactInlineView": "contact_id", "AddressInlineView": "address_id",
            "CustomerArticleInlineView": "row_id"}
CHILD_VIEWS = ("ContactInlineView", "AddressInlineView", "CustomerArticleInlineView")


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
                                                    "delete" in item[0].rule, item[0].rule))
    for rule, methods in ordered:
        spec = rule_for(rule.endpoint)
        if spec is None or spec[0] == "skip":
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
