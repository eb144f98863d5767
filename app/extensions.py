"""Shared extensions. AppBuilder is made per app in create_app (FAB-NOTES §0 #2)."""

from flask_appbuilder import Model
from flask_appbuilder.models.sqla.base import SQLA
from flask_migrate import Migrate
from flask_wtf.csrf import CSRFProtect

# FAB 5's SQLA does not bind to FAB's Model metadata by itself (FAB-NOTES §0 #3).
db = SQLA(metadata=Model.metadata)
migrate = Migrate()
# Every POST (forms, actions, logout) carries a CSRF token; FAB exempts its JWT APIs.
csrf = CSRFProtect()
