"""The catalogue of customer rights (F27) as FAB permission names on one view menu.

Every customer view, form and API uses `class_permission_name = CUSTOMER` and the same
`CUSTOMER_PERMISSIONS` set (FAB-NOTES §2.1: views sharing a view menu must declare the
same permissions, or FAB deletes the "missing" ones at start-up).
"""

from flask_babel import lazy_gettext as _l

CUSTOMER = "Customer"
DISCOUNT_LETTER = "DiscountLetter"

VIEW = "can_view"
VIEW_ASSIGNED = "can_view_assigned"
EDIT = "can_edit"
EDIT_ASSIGNED = "can_edit_assigned"
CREATE = "can_create"
DELETE = "can_delete"
UPLOAD = "can_upload"
CREATE_CUSTOMER_USER = "can_create_customer_user"
CHANGE_CUSTOMER_USER_RIGHTS = "can_change_customer_user_rights"
DELETE_CUSTOMER_USER = "can_delete_customer_user"
ASSIGN = "can_assign"
DELETE_UPLOADED_FILES = "can_delete_uploaded_files"
# Not one of F27's twelve: renumbering is for administrators only (F1), so only Admin holds it.
CHANGE_CUSTOMER_NUMBER = "can_change_customer_number"
# Issue 15, in F27's style; held by Admin only unless a role is given them: merging two
# customers into one, and the GDPR extract and erasure of one person's data.
MERGE_CUSTOMERS = "can_merge_customers"
HANDLE_PERSONAL_DATA = "can_handle_personal_data"

RIGHT_LABELS = {
    VIEW: _l("View"),
    VIEW_ASSIGNED: _l("View (only) assigned"),
    EDIT: _l("Edit"),
    EDIT_ASSIGNED: _l("Edit (only) assigned"),
    CREATE: _l("Create"),
    DELETE: _l("Delete"),
    UPLOAD: _l("Upload"),
    CREATE_CUSTOMER_USER: _l("Create customer user"),
    CHANGE_CUSTOMER_USER_RIGHTS: _l("Change customer users' rights"),
    DELETE_CUSTOMER_USER: _l("Delete customer user"),
    ASSIGN: _l("Assign"),
    DELETE_UPLOADED_FILES: _l("Delete uploaded files"),
    CHANGE_CUSTOMER_NUMBER: _l("Change customer number"),
    MERGE_CUSTOMERS: _l("Merge customers"),
    HANDLE_PERSONAL_DATA: _l("Extract and erase personal data (GDPR)"),
}
CUSTOMER_PERMISSIONS = list(RIGHT_LABELS)
PORTAL = "Portal"
PORTAL_USE = "can_use"

# Orders (issue 12): the same kinds of rights on their own view menu, so a role can see
# every order, or only the orders assigned to its users, independently of customers.
ORDER = "Order"
ORDER_PERMISSIONS = [VIEW, VIEW_ASSIGNED, CREATE, EDIT, EDIT_ASSIGNED, DELETE]

# Personal API tokens (REST API): administrators create and revoke them per user.
API_TOKENS = "ApiTokens"
MANAGE_API_TOKENS = "can_manage"
