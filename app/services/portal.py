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

from ..extensions import db
from ..models.customer import Customer
from ..models.portal import CustomerUser, Invitation
from ..security.roles import CUSTOMER_USER
from . import links
from .customers import CustomerInvalid
from .identity import parse_email
from .outbox import queue_email
from .passwords import check_password

INVITATION_VALID_FOR = datetime.timedelta(hours=72)


def _now() -> datetime.datetime:
    return datetime.datetime.now(datetime.UTC).replace(tzinfo=None)


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _password_hash(password: str) -> str:
    method = current_app.config.get("FAB_PASSWORD_HASH_METHOD", "scrypt")
    return generate_password_hash(password, method=method)


def portal_link(user) -> CustomerUser | None:
    """The customer-user record of `user`, or None for staff."""
    if user is None or getattr(user, "is_anonymous", False):
        return None
    return db.session.execute(select(CustomerUser).where(CustomerUser.user_id == user.id)).scalar()


def customer_users(customer: Customer) -> list[CustomerUser]:
    return list(db.session.execute(
        select(CustomerUser).where(CustomerUser.customer_id == customer.id).order_by(CustomerUser.id)
    ).scalars())


def _invite(user: User, customer: Customer, session) -> str:
    token = secrets.token_urlsafe(32)
    session.add(Invitation(user_id=user.id, token_hash=_hash(token), expires_at=_now() + INVITATION_VALID_FOR))
    link = links.absolute(f"/invite/{token}")
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


def create_customer_user(customer: Customer, raw: dict, session=None) -> tuple[CustomerUser, str]:
    """A portal login whose user name is an e-mail address, and its invitation e-mail.

    One transaction: the user, its link to the customer, the invitation and the queued
    e-mail are all written or none is. The user has no password until the invitation is
    used, and no portal rights beyond viewing its own customer until they are granted.
    """
    session = session or db.session
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
        raise CustomerInvalid(errors)
    sm = current_app.appbuilder.sm
    try:
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
        session.commit()
    except Exception:
        session.rollback()
        raise
    return link, token


def set_rights(link: CustomerUser, can_edit_details: bool, can_see_documents: bool, session=None) -> None:
    session = session or db.session
    link.can_edit_details = bool(can_edit_details)
    link.can_see_documents = bool(can_see_documents)
    session.commit()


def delete_customer_user(link: CustomerUser, session=None) -> None:
    session = session or db.session
    user = session.get(User, link.user_id)
    session.delete(link)
    if user is not None:
        user.roles = []
        session.delete(user)
    session.commit()


class InvitationInvalid(ValueError):
    pass


def find_invitation(token: str, session=None) -> Invitation:
    session = session or db.session
    invitation = session.execute(select(Invitation).where(Invitation.token_hash == _hash(token or ""))).scalar()
    if invitation is None or invitation.used_at is not None or invitation.expires_at < _now():
        raise InvitationInvalid(_l("This link is no longer valid. Ask for a new invitation."))
    return invitation


def accept_invitation(token: str, password: str, confirm: str, session=None) -> User:
    """Set the password through a single-use invitation link."""
    session = session or db.session
    invitation = find_invitation(token, session)
    user = session.get(User, invitation.user_id)
    if password != confirm:
        raise CustomerInvalid({"confirm": _l("The passwords do not match.")})
    try:
        check_password(password, user.username)
    except ValueError as exc:
        raise CustomerInvalid({"password": exc.args[0]}) from None
    # Claim the link atomically: of two simultaneous uses, only one gets rowcount 1.
    claimed = session.execute(
        update(Invitation).where(Invitation.id == invitation.id, Invitation.used_at.is_(None)).values(used_at=_now())
    ).rowcount
    if claimed != 1:
        session.rollback()
        raise InvitationInvalid(_l("This link is no longer valid. Ask for a new invitation."))
    user.password = _password_hash(password)
    session.commit()
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
