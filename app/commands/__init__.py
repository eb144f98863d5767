"""Use cases: the only writers of the register.

Each command takes the acting user (`by=`: a FAB user or a `SystemActor`), checks the F27
right and the row scope itself, validates with the rules in `app/services`, and runs in
one `transaction()`. Web views, the REST API, the importer, the CLI and background jobs
call these and nothing else to write; a refusal is `NotAllowed`/`NotFound`, bad input is
`Invalid`, each turned into 403/404/a message by the entry point (`app.errors`).
"""

from .assignment import assign_technician
from .contacts import (
    add_customer_article,
    delete_address,
    delete_contact,
    remove_customer_article,
    save_address,
    save_contact,
)
from .customer_users import accept_invitation, create_customer_user, delete_customer_user, set_rights
from .customers import (
    change_customer_number,
    create_customer,
    customer_for,
    delete_customer,
    set_active,
    update_customer,
)
from .imports import import_register

__all__ = [
    "accept_invitation", "add_customer_article", "assign_technician", "change_customer_number",
    "create_customer", "create_customer_user", "customer_for", "delete_address", "delete_contact",
    "delete_customer", "delete_customer_user", "import_register", "remove_customer_article", "save_address",
    "save_contact", "set_active", "set_rights", "update_customer",
]
