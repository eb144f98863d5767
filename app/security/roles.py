"""Built-in roles, defined in code and synced by `flask init-security` (idempotent)."""

from .rights import (
    CHANGE_CUSTOMER_NUMBER,
    CREATE,
    CUSTOMER,
    CUSTOMER_PERMISSIONS,
    DISCOUNT_LETTER,
    EDIT_ASSIGNED,
    HANDLE_PERSONAL_DATA,
    MERGE_CUSTOMERS,
    ORDER,
    ORDER_PERMISSIONS,
    PORTAL,
    PORTAL_USE,
    UPLOAD,
    VIEW,
    VIEW_ASSIGNED,
)

ADMIN, MANAGER, TECHNICIAN, CUSTOMER_USER, READ_ONLY = "Admin", "Manager", "Technician", "CustomerUser", "ReadOnly"
BUILT_IN_ROLES = (ADMIN, MANAGER, TECHNICIAN, CUSTOMER_USER, READ_ONLY)

MENU_REGISTER = "Register"
MENU_CUSTOMERS = "Customers"
MENU_DISCOUNT_LETTERS = "Discount letters"
MENU_ARTICLES = "Articles"
MENU_WORK = "Work"
MENU_ORDERS = "Orders"

_CUSTOMER_MENUS = [("menu_access", MENU_REGISTER), ("menu_access", MENU_CUSTOMERS)]
_ORDER_MENUS = [("menu_access", MENU_WORK), ("menu_access", MENU_ORDERS)]

ROLE_PERMISSIONS = {
    MANAGER: [(p, CUSTOMER) for p in CUSTOMER_PERMISSIONS
              if p not in (CHANGE_CUSTOMER_NUMBER, MERGE_CUSTOMERS, HANDLE_PERSONAL_DATA)]
    + [("can_view", DISCOUNT_LETTER), ("can_create", DISCOUNT_LETTER), ("can_delete", DISCOUNT_LETTER)]
    + [("can_list", "ArticleView"), ("can_show", "ArticleView")]
    + _CUSTOMER_MENUS
    + [("menu_access", MENU_DISCOUNT_LETTERS), ("menu_access", MENU_ARTICLES)]
    + [(p, ORDER) for p in ORDER_PERMISSIONS] + _ORDER_MENUS,
    # a technician works on the orders assigned to it, and files new ones for its customers
    TECHNICIAN: [(VIEW_ASSIGNED, CUSTOMER), (EDIT_ASSIGNED, CUSTOMER), (UPLOAD, CUSTOMER)] + _CUSTOMER_MENUS
    + [(VIEW_ASSIGNED, ORDER), (EDIT_ASSIGNED, ORDER), (CREATE, ORDER)] + _ORDER_MENUS,
    READ_ONLY: [(VIEW, CUSTOMER), ("can_view", DISCOUNT_LETTER)]
    + _CUSTOMER_MENUS + [(VIEW, ORDER)] + _ORDER_MENUS
    + [("menu_access", MENU_DISCOUNT_LETTERS)],
    CUSTOMER_USER: [(PORTAL_USE, PORTAL)],
}
# Everyone who logs in may change their own password and see their own user info.
SELF_SERVICE = [
    ("can_userinfo", "UserDBModelView"),
    ("resetmypassword", "UserDBModelView"),
    ("can_this_form_get", "ResetMyPasswordView"),
    ("can_this_form_post", "ResetMyPasswordView"),
    # The REST API's description (OpenAPI) and its Swagger UI: what each role may call is checked per route.
    ("can_get", "OpenApi"),
    ("can_show", "SwaggerView"),
]


def sync_roles(sm, prune: bool = True) -> None:
    """Create or update the built-in roles; Admin gets every permission there is."""
    for role_name, pairs in ROLE_PERMISSIONS.items():
        role = sm.add_role(role_name)
        wanted = [sm.add_permission_view_menu(p, vm) for p, vm in pairs + SELF_SERVICE]
        for pvm in wanted:
            sm.add_permission_role(role, pvm)
        if prune:
            for pvm in list(role.permissions):
                if pvm not in wanted:
                    sm.del_permission_role(role, pvm)
    admin = sm.add_role(ADMIN)
    for pvm in sm.session.query(sm.permissionview_model).all():
        sm.add_permission_role(admin, pvm)
