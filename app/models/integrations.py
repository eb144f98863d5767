"""Connections to accounting systems (F28, F29), their sync bookkeeping, and the company
lookup cache (F3)."""

from datetime import datetime

from flask_appbuilder import Model
from sqlalchemy import JSON, Boolean, DateTime, Integer, String, Text, UniqueConstraint, func
from sqlalchemy.orm import Mapped, mapped_column

FORTNOX = "fortnox"
VISMA = "visma"
ACCOUNTING_PROVIDERS = (FORTNOX, VISMA)


class IntegrationConnection(Model):
    """One connected accounting system. Tokens are stored only encrypted (app.integrations.crypto)."""

    __tablename__ = "integration_connection"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    provider: Mapped[str] = mapped_column(String(20), unique=True, nullable=False)
    access_token_encrypted: Mapped[str | None] = mapped_column(Text)
    refresh_token_encrypted: Mapped[str | None] = mapped_column(Text)
    access_token_expires_at: Mapped[datetime | None] = mapped_column(DateTime)
    scope: Mapped[str | None] = mapped_column(String(500))
    # Fortnox: "service" when authorised as a service account (not tied to one Fortnox user).
    account_type: Mapped[str | None] = mapped_column(String(20))
    # Options: {"sync_customers": bool, "assigned_as_our_reference": bool, ...}
    settings: Mapped[dict] = mapped_column(JSON, nullable=False, default=dict)
    connected_at: Mapped[datetime | None] = mapped_column(DateTime)
    connected_by: Mapped[str | None] = mapped_column(String(100))
    last_sync_at: Mapped[datetime | None] = mapped_column(DateTime)
    # Where the next pull of remote changes starts (the provider's clock, as it reported it).
    pull_cursor: Mapped[datetime | None] = mapped_column(DateTime)
    last_error: Mapped[str | None] = mapped_column(Text)
    last_error_at: Mapped[datetime | None] = mapped_column(DateTime)
    created_at: Mapped[datetime] = mapped_column(DateTime, nullable=False, server_default=func.now())

    @property
    def connected(self) -> bool:
        return bool(self.refresh_token_encrypted)

    def option(self, key: str, default=False):
        return (self.settings or {}).get(key, default)


class AccountingLink(Model):
    """Our customer number ↔ the provider's record, and what was last agreed on.

    `synced_hash` is the hash of the mapped customer as it was last pushed or applied, so a
    pull can tell our own echo (same hash) from a change made in the accounting system.
    """

    __tablename__ = "accounting_link"
    __table_args__ = (UniqueConstraint("provider", "customer_number", name="uq_accounting_link_customer"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    provider: Mapped[str] = mapped_column(String(20), nullable=False)
    customer_number: Mapped[str] = mapped_column(String(32), nullable=False)
    remote_id: Mapped[str] = mapped_column(String(64), nullable=False)
    synced_hash: Mapped[str | None] = mapped_column(String(64))
    synced_at: Mapped[datetime | None] = mapped_column(DateTime)


class AccountingConflict(Model):
    """A customer changed on both sides since the last sync; ours was kept (see accounting_sync)."""

    __tablename__ = "accounting_conflict"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    provider: Mapped[str] = mapped_column(String(20), nullable=False, index=True)
    customer_number: Mapped[str] = mapped_column(String(32), nullable=False)
    ours: Mapped[dict] = mapped_column(JSON, nullable=False)
    theirs: Mapped[dict] = mapped_column(JSON, nullable=False)
    detected_at: Mapped[datetime] = mapped_column(DateTime, nullable=False, server_default=func.now())
    resolved: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)


class CompanyLookupCache(Model):
    """Company registry answers, kept a day per organisation number (F3)."""

    __tablename__ = "company_lookup_cache"

    identity_number: Mapped[str] = mapped_column(String(13), primary_key=True)
    provider: Mapped[str] = mapped_column(String(20), nullable=False)
    name: Mapped[str] = mapped_column(String(200), nullable=False)
    street: Mapped[str | None] = mapped_column(String(200))
    postcode: Mapped[str | None] = mapped_column(String(10))
    city: Mapped[str | None] = mapped_column(String(100))
    fetched_at: Mapped[datetime] = mapped_column(DateTime, nullable=False)
