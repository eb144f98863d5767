"""Every model module, imported so Model.metadata is complete (Alembic, tests)."""

from .api import ApiToken, IdempotentRequest
from .article import Article, CustomerArticle
from .background import BackgroundTask, BackgroundWorker, ExportJob
from .custom_fields import CustomFieldDefinition, CustomFieldValue
from .customer import Address, Contact, Customer, CustomerAlias, CustomerSearchText, customer_discount_letter
from .discount import DiscountLetter, DiscountLetterRow
from .documents import Document, DocumentFolder
from .history import CustomerHistory
from .import_job import ImportJob
from .integrations import AccountingConflict, AccountingLink, CompanyLookupCache, IntegrationConnection
from .notifications import Notification
from .order import Facility, Order, OrderRow
from .outbox import OutboxMessage
from .portal import CustomerUser, Invitation
from .preferences import ListPreference
from .sessions import UserSessionGeneration
from .settings import NumberSequence, Setting

__all__ = [
    "UserSessionGeneration",
    "ApiToken",
    "IdempotentRequest",
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
    "CustomerSearchText",
    "CustomerUser",
    "CustomFieldDefinition",
    "CustomFieldValue",
    "DiscountLetter",
    "DiscountLetterRow",
    "ExportJob",
    "Facility",
    "ImportJob",
    "ListPreference",
    "Document",
    "DocumentFolder",
    "Invitation",
    "Notification",
    "Order",
    "OrderRow",
    "OutboxMessage",
    "NumberSequence",
    "Setting",
    "customer_discount_letter",
]
