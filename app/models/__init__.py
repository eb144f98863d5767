"""Every model module, imported so Model.metadata is complete (Alembic, tests)."""

from .article import Article, CustomerArticle
from .background import BackgroundTask, BackgroundWorker, ExportJob
from .custom_fields import CustomFieldDefinition, CustomFieldValue
from .customer import Address, Contact, Customer, CustomerAlias, customer_discount_letter
from .discount import DiscountLetter, DiscountLetterRow
from .documents import Document, DocumentFolder
from .history import CustomerHistory
from .import_job import ImportJob
from .integrations import AccountingConflict, AccountingLink, CompanyLookupCache, IntegrationConnection
from .notifications import Notification
from .outbox import OutboxMessage
from .portal import CustomerUser, Invitation
from .preferences import ListPreference
from .settings import NumberSequence, Setting

__all__ = [
    "AccountingConflict",
    "AccountingLink",
    "CompanyLookupCache",
    "IntegrationConnection",
    "Address",
    "Article",
    "BackgroundTask",
    "BackgroundWorker",
    "Contact",
    "Customer",
    "CustomerAlias",
    "CustomerArticle",
    "CustomerHistory",
    "CustomerUser",
    "CustomFieldDefinition",
    "CustomFieldValue",
    "DiscountLetter",
    "DiscountLetterRow",
    "ExportJob",
    "ImportJob",
    "ListPreference",
    "Document",
    "DocumentFolder",
    "Invitation",
    "Notification",
    "OutboxMessage",
    "NumberSequence",
    "Setting",
    "customer_discount_letter",
]
