"""Customer users [kundanvändare] (F14): portal logins of a customer, and their invitations."""

from ..models.portal import CustomerUser
from ..security.access import SystemActor, require
from ..security.rights import CHANGE_CUSTOMER_USER_RIGHTS, CREATE_CUSTOMER_USER, DELETE_CUSTOMER_USER
from ..services import portal as rules
from .customers import customer_for
from .transaction import transaction

INVITATION = SystemActor("invitation")


def create_customer_user(customer, values: dict, *, by) -> tuple[CustomerUser, str]:
    """The login, its tie to the customer, the invitation and its e-mail: all written or none."""
    require(by, CREATE_CUSTOMER_USER)
    with transaction(by) as session:
        customer_for(customer.id, by, session=session)
        return rules.create_customer_user(customer, values, session)


def set_rights(link: CustomerUser, *, can_edit_details: bool, can_see_documents: bool, by) -> None:
    require(by, CHANGE_CUSTOMER_USER_RIGHTS)
    with transaction(by) as session:
        customer_for(link.customer_id, by, session=session)
        link.can_edit_details = bool(can_edit_details)
        link.can_see_documents = bool(can_see_documents)


def delete_customer_user(link: CustomerUser, *, by) -> None:
    require(by, DELETE_CUSTOMER_USER)
    with transaction(by) as session:
        customer_for(link.customer_id, by, session=session)
        rules.remove_login(link, session)


def accept_invitation(token: str, password: str, confirm: str):
    """The invited person sets a password through the single-use link (no one is logged in yet)."""
    with transaction(INVITATION) as session:
        return rules.accept_invitation(token, password, confirm, session)
