"""Customer documents in folders (F17). The bytes live in object storage (app/uploads)
under `storage_key`, a random id; the name the user sees is only `name` here."""

from datetime import datetime

from flask_appbuilder import Model
from flask_appbuilder.security.sqla.models import User
from sqlalchemy import BigInteger, DateTime, ForeignKey, Integer, String, func
from sqlalchemy.orm import Mapped, mapped_column, relationship


class DocumentFolder(Model):
    __tablename__ = "document_folder"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    customer_id: Mapped[int] = mapped_column(
        ForeignKey("customer.id", ondelete="CASCADE"), nullable=False, index=True
    )
    # None: a folder at the top level of the customer's documents.
    parent_id: Mapped[int | None] = mapped_column(
        ForeignKey("document_folder.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(255), nullable=False)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("ab_user.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(DateTime, nullable=False, server_default=func.now())

    parent: Mapped["DocumentFolder | None"] = relationship(remote_side=[id])

    def __repr__(self) -> str:
        return self.name


class Document(Model):
    __tablename__ = "document"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    customer_id: Mapped[int] = mapped_column(
        ForeignKey("customer.id", ondelete="CASCADE"), nullable=False, index=True
    )
    # None: at the top level of the customer's documents.
    folder_id: Mapped[int | None] = mapped_column(
        ForeignKey("document_folder.id", ondelete="CASCADE"), index=True
    )
    storage_key: Mapped[str] = mapped_column(String(64), nullable=False, unique=True)
    name: Mapped[str] = mapped_column(String(255), nullable=False)
    size: Mapped[int] = mapped_column(BigInteger, nullable=False)
    content_type: Mapped[str] = mapped_column(String(100), nullable=False)
    sha256: Mapped[str] = mapped_column(String(64), nullable=False)
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("ab_user.id", ondelete="SET NULL"))
    uploaded_at: Mapped[datetime] = mapped_column(DateTime, nullable=False, server_default=func.now())

    folder: Mapped[DocumentFolder | None] = relationship()
    uploaded_by: Mapped[User | None] = relationship(User, foreign_keys=[uploaded_by_id])

    def __repr__(self) -> str:
        return self.name
