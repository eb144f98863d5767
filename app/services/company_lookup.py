"""F3: name and address for an organisation number, from the configured registry provider,
cached per number for a day in `company_lookup_cache`.

The cache is a database table rather than Redis: every worker and machine shares it without
extra infrastructure (Redis is optional here), it survives restarts, and both databases run
the same code in tests. A failed lookup is never cached.
"""

import datetime

from flask import current_app
from flask_babel import lazy_gettext as _l

from ..extensions import db
from ..integrations.company_lookup import CompanyInfo, CompanyLookupProvider, provider_from_config
from ..models.integrations import CompanyLookupCache
from .identity import parse_orgnr

CACHE_FOR = datetime.timedelta(days=1)


def _now() -> datetime.datetime:
    return datetime.datetime.now(datetime.UTC).replace(tzinfo=None)


def canonical_number(raw: str) -> str:
    """An organisation number (or a sole trader's 12-digit personnummer), canonical; ValueError otherwise."""
    if not any(ch.isdigit() for ch in raw or ""):
        raise ValueError(_l("Enter an organisation number (NNNNNN-NNNN) to look up."))
    return parse_orgnr(raw)


def lookup_company(raw: str, provider: CompanyLookupProvider | None = None) -> CompanyInfo:
    """The registered company for `raw`; raises ValueError (bad number) or IntegrationError."""
    number = canonical_number(raw)
    cached = db.session.get(CompanyLookupCache, number)
    if cached is not None and cached.fetched_at > _now() - CACHE_FOR:
        return CompanyInfo(number, cached.name, cached.street or "", cached.postcode or "", cached.city or "")
    provider = provider or provider_from_config(current_app.config)
    info = provider.lookup(number)
    row = cached or CompanyLookupCache(identity_number=number)
    row.provider = provider.key
    row.name, row.street, row.postcode, row.city = info.name[:200], info.street[:200], info.postcode[:10], info.city[:100]
    row.fetched_at = _now()
    db.session.add(row)
    db.session.commit()
    return info
