"""Every model module, imported so Model.metadata is complete (Alembic, tests)."""

from .article import Article, CustomerArticle
from .custom_fields import CustomFieldDefinition, CustomFieldValue
from .customer import Address, Contact, Customer, customer_discount_letter
from .discount import DiscountLetter, DiscountLetterRow
from .settings import NumberSequence, Setting

__all__ = [
    "Address",
    "Article",
    "Contact",
    "Customer",
    "CustomerArticle",
    "CustomFieldDefinition",
    "CustomFieldValue",
    "DiscountLetter",
    "DiscountLetterRow",
    "NumberSequence",
    "Setting",
    "customer_discount_letter",
]
