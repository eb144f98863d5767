"""Every view, registered before the first request (FAB-NOTES §0 #20)."""

from flask_babel import lazy_gettext as _l

from ..security.roles import (
    MENU_ARTICLES,
    MENU_CUSTOMERS,
    MENU_DISCOUNT_LETTERS,
    MENU_ORDERS,
    MENU_REGISTER,
    MENU_WORK,
)
from .api_tokens import ApiTokenView
from .background import BackgroundJobsView
from .customer_children import AddressInlineView, ContactInlineView, CustomerArticleInlineView
from .customers import CustomerView
from .documents import DocumentView
from .gdpr import GdprView
from .import_export import ImportExportView
from .integrations import CompanyLookupView, IntegrationsView
from .merge import MergeView
from .notifications import NotificationView
from .orders import FacilityInlineView, OrderView
from .portal import InvitationView, PortalView
from .registers import ArticleView, CustomFieldView, DiscountLetterRowView, DiscountLetterView
from .settings import SettingsView


def register_views(appbuilder) -> None:
    appbuilder.add_view_no_menu(ImportExportView)  # upload register, export, list columns (F22–F24)
    for related in (ContactInlineView, AddressInlineView, CustomerArticleInlineView, FacilityInlineView):
        appbuilder.add_view_no_menu(related)
    appbuilder.add_view(
        CustomerView, MENU_CUSTOMERS, label=_l("Customers"), icon="fa-users",
        category=MENU_REGISTER, category_label=_l("Customer register"),
    )
    appbuilder.add_view(
        OrderView, MENU_ORDERS, label=_l("Orders"), icon="fa-wrench", category=MENU_WORK, category_label=_l("Work"),
    )
    appbuilder.add_view(
        DiscountLetterView, MENU_DISCOUNT_LETTERS, label=_l("Discount letters"), icon="fa-percent",
        category=MENU_REGISTER,
    )
    appbuilder.add_view_no_menu(DiscountLetterRowView)
    appbuilder.add_view_no_menu(DocumentView)
    appbuilder.add_view_no_menu(MergeView)
    appbuilder.add_view_no_menu(NotificationView)
    appbuilder.add_view_no_menu(PortalView)
    appbuilder.add_view_no_menu(InvitationView)
    appbuilder.add_view(
        ArticleView, MENU_ARTICLES, label=_l("Articles"), icon="fa-cube", category=MENU_REGISTER,
    )
    appbuilder.add_view(
        SettingsView, "Customer settings", label=_l("Customer settings"), icon="fa-cog",
        category="Settings", category_label=_l("Settings"),
    )
    appbuilder.add_view(
        CustomFieldView, "Custom fields", label=_l("Custom fields"), icon="fa-list", category="Settings",
    )
    appbuilder.add_view(
        IntegrationsView, "Integrations", label=_l("Integrations"), icon="fa-exchange", category="Settings",
    )
    appbuilder.add_view_no_menu(CompanyLookupView)
    appbuilder.add_view(
        GdprView, "Personal data", label=_l("Personal data (GDPR)"), icon="fa-user-secret", category="Settings",
    )
    appbuilder.add_view(
        BackgroundJobsView, "Background jobs", label=_l("Background jobs"), icon="fa-tasks", category="Settings",
    )
    appbuilder.add_view(
        ApiTokenView, "API tokens", label=_l("API tokens"), icon="fa-key", category="Settings",
    )
