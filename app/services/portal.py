"""Customer users [kundanvändare] (F14): portal logins, invitations and their rights."""

import datetime
import hashlib
import secrets

from flask import current_app
from flask_appbuilder.security.sqla.models import User
from flask_babel import force_locale
from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, func, select, update
from werkzeug.security import generate_password_hash

from ..errors import Invalid
from ..extensions import db
from ..models.customer import Customer
from ..models.portal import CustomerUser, Invitation
from ..security.passwords import check_password
from ..security.roles import CUSTOMER_USER
from . import links
from .identity import parse_email
from .outbox import queue_email

INVITATION_VALID_FOR = datetime.timedelta(hours=72)


def _now() -> datetime.datetime:
    return datetime.datetime.now(datetime.UTC).replace(tzinfo=None)


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _password_hash(password: str) -> str:
    method = current_app.config.get("FAB_PASSWORD_HASH_METHOD", "scrypt")
    return generate_password_hash(password, method=method)


def customer_users(customer: Customer, session=None) -> list[CustomerUser]:
    session = session or db.session
    return list(session.execute(
        select(CustomerUser).where(CustomerUser.customer_id == customer.id).order_by(CustomerUser.id)
    ).scalars())


def _invite(user: User, customer: Customer, session) -> str:
    token = secrets.token_urlsafe(32)
    session.add(Invitation(user_id=user.id, token_hash=_hash(token), expires_at=_now() + INVITATION_VALID_FOR))
    link = links.absolute(links.invitation(token))
    language = customer.language or current_app.config.get("BABEL_DEFAULT_LOCALE", "sv")
    with force_locale(language):
        subject = str(_l("Your login to %(company)s's customer portal", company=current_app.config["APP_NAME"]))
        body = str(_l(
            "Hello %(name)s,\n\nA login to follow the orders of %(customer)s has been created for you. "
            "Choose your password here (the link works once and for 72 hours):\n\n%(link)s\n",
            name=user.first_name, customer=customer.name, link=link,
        ))
    queue_email(user.email, subject, body, session=session)
    return token


def create_customer_user(customer: Customer, raw: dict, session) -> tuple[CustomerUser, str]:
    """A portal login whose user name is an e-mail address, and its invitation e-mail (not committed).

    The user has no password until the invitation is used, and no portal rights beyond
    viewing its own customer until they are granted.
    """
    errors = {}
    try:
        email = parse_email(raw.get("email", "")).lower()
    except ValueError as exc:
        errors["email"] = exc.args[0]
        email = None
    first = (raw.get("first_name") or "").strip()[:64]
    last = (raw.get("last_name") or "").strip()[:64]
    if not first:
        errors["first_name"] = _l("Enter a first name.")
    if not last:
        errors["last_name"] = _l("Enter a last name.")
    if email and session.execute(
        select(User.id).where((func.lower(User.username) == email) | (func.lower(User.email) == email))
    ).first():
        errors["email"] = _l("There is already a login with this e-mail address.")
    if errors:
        raise Invalid(errors)
    sm = current_app.appbuilder.sm
    user = sm.user_model(
        username=email, email=email, first_name=first, last_name=last, active=True,
        password=_password_hash(secrets.token_urlsafe(32)),  # unusable until the invitation is accepted
        roles=[sm.find_role(CUSTOMER_USER)],
    )
    session.add(user)
    session.flush()
    link = CustomerUser(user_id=user.id, customer_id=customer.id, can_edit_details=False, can_see_documents=False)
    session.add(link)
    token = _invite(user, customer, session)
    return link, token


def remove_login(link: CustomerUser, session) -> None:
    """Delete a customer user's login and its tie to the customer (not committed)."""
    user = session.get(User, link.user_id)
    session.delete(link)
    if user is not None:
        user.roles = []
        session.delete(user)


class InvitationInvalid(ValueError):
    pass


def find_invitation(token: str, session=None) -> Invitation:
    session = session or db.session
    invitation = session.execute(select(Invitation).where(Invitation.token_hash == _hash(token or ""))).scalar()
    if invitation is None or invitation.used_at is not None or invitation.expires_at < _now():
        raise InvitationInvalid(_l("This link is no longer valid. Ask for a new invitation."))
    return invitation


def accept_invitation(token: str, password: str, confirm: str, session) -> User:
    """Set the password through a single-use invitation link (not committed)."""
    invitation = find_invitation(token, session)
    user = session.get(User, invitation.user_id)
    if password != confirm:
        raise Invalid({"confirm": _l("The passwords do not match.")})
    try:
        check_password(password, user.username)
    except ValueError as exc:
        raise Invalid({"password": exc.args[0]}) from None
    # Claim the link atomically: of two simultaneous uses, only one gets rowcount 1.
    claimed = session.execute(
        update(Invitation).where(Invitation.id == invitation.id, Invitation.used_at.is_(None)).values(used_at=_now())
    ).rowcount
    if claimed != 1:
        raise InvitationInvalid(_l("This link is no longer valid. Ask for a new invitation."))
    user.password = _password_hash(password)
    return user


def delete_expired_invitations(session=None, grace: datetime.timedelta = datetime.timedelta(days=7)) -> int:
    """Invitations that expired (or were used) more than `grace` ago: their links answer
    "no longer valid" either way, and the hashes are not kept for ever."""
    session = session or db.session
    before = _now() - grace
    deleted = session.execute(delete(Invitation).where(
        (Invitation.expires_at < before) | (Invitation.used_at < before))).rowcount
    session.commit()
    return deleted
