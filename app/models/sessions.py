"""Per-user session generation (issue 17 item 5): a login's cookie carries the generation it was
issued at; logout, a password change, deactivation and a role change raise it, which ends every
session of that user on the next request."""

from flask_appbuilder import Model
from sqlalchemy import ForeignKey, Integer
from sqlalchemy.orm import Mapped, mapped_column


class UserSessionGeneration(Model):
    __tablename__ = "user_session_generation"

    user_id: Mapped[int] = mapped_column(ForeignKey("ab_user.id", ondelete="CASCADE"), primary_key=True)
    generation: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
