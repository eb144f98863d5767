"""Pure functions between our customer and the accounting systems' JSON (README, "Accounting
integrations"). No database, no HTTP: a `CustomerSnapshot` goes in, a dict comes out, and back.

The snapshot is the seam: the write path fills one from a Customer (`accounting_sync.snapshot_from_customer`)
inside the customer's transaction and stores `snapshot.to_dict()` in the outbox row, so what is
delivered is exactly what was saved, in order.
"""

import dataclasses
import hashlib
import json
import re
from dataclasses import dataclass, field

COMPANY, PRIVATE = "company", "private"


@dataclass(frozen=True)
class AddressSnapshot:
    street: str = ""
    street2: str = ""
    postcode: str = ""  # five digits, no space
    city: str = ""

    def is_empty(self) -> bool:
        return not any((self.street, self.street2, self.postcode, self.city))


@dataclass(frozen=True)
class CustomerSnapshot:
    """What the accounting systems get to know about a customer."""

    customer_number: str
    name: str
    customer_type: str = COMPANY  # "company" | "private"
    identity_number: str = ""  # canonical: NNNNNN-NNNN, or YYYYMMDD-NNNN for a personnummer
    prices_include_vat: bool = False  # F4 as `vat.shows_prices_including_vat` decides it
    active: bool = True
    invoice_address: AddressSnapshot = field(default_factory=AddressSnapshot)
    visiting_address: AddressSnapshot = field(default_factory=AddressSnapshot)
    postal_address: AddressSnapshot = field(default_factory=AddressSnapshot)
    email: str = ""  # the main contact's
    phone: str = ""  # the main contact's
    your_reference: str = ""  # the main contact's name
    our_reference: str = ""  # the assigned user's name (Visma option F29)

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> "CustomerSnapshot":
        values = dict(data)
        for key in ("invoice_address", "visiting_address", "postal_address"):
            values[key] = AddressSnapshot(**(values.get(key) or {}))
        names = {f.name for f in dataclasses.fields(cls)}
        return cls(**{k: v for k, v in values.items() if k in names})


def _digits(value: str | None) -> str:
    return re.sub(r"\D", "", value or "")


def _postcode_out(postcode: str) -> str:
    return f"{postcode[:3]} {postcode[3:]}" if len(postcode) == 5 else postcode


def _text(value) -> str:
    return (value or "").strip() if isinstance(value, str) else ("" if value is None else str(value))


def fingerprint(body: dict, keys: tuple[str, ...]) -> str:
    """A stable hash of the mapped fields, to tell our own echo from a change made remotely."""
    def norm(key, value):
        if isinstance(value, bool):
            return value
        text = _text(value)
        return _digits(text) if key.endswith(("ZipCode", "PostalCode", "OrganisationNumber",
                                               "CorporateIdentityNumber")) else text
    projected = {k: norm(k, body.get(k)) for k in keys}
    return hashlib.sha256(json.dumps(projected, sort_keys=True).encode()).hexdigest()


# -- Fortnox (API v3, /3/customers) --------------------------------------------------------------
FORTNOX_KEYS = (
    "CustomerNumber", "Name", "Type", "OrganisationNumber", "Address1", "Address2", "ZipCode", "City",
    "VisitingAddress", "VisitingZipCode", "VisitingCity", "DeliveryAddress1", "DeliveryAddress2",
    "DeliveryZipCode", "DeliveryCity", "Email", "Phone1", "YourReference", "ShowPriceVATIncluded", "Active",
)


def to_fortnox(s: CustomerSnapshot) -> dict:
    """The `Customer` object for POST/PUT /3/customers.

    - `Type` PRIVATE with the personnummer (YYYYMMDD-NNNN) in `OrganisationNumber`, else COMPANY.
    - invoice address → Address1/Address2/ZipCode/City; visiting → Visiting*; postal → Delivery*
      (Fortnox has no separate postal block; its delivery block is where post other than invoices goes).
      Fortnox's VisitingAddress has a single street line, so street2 of the visiting address is
      appended after a comma.
    - e-mail and phone (Phone1) and YourReference (name) from the main contact.
    - F4's VAT choice → `ShowPriceVATIncluded`; `VATType` is SEVAT (a Swedish customer) on create.
    """
    inv, vis, post = s.invoice_address, s.visiting_address, s.postal_address
    return {
        "CustomerNumber": s.customer_number,
        "Name": s.name,
        "Type": "PRIVATE" if s.customer_type == PRIVATE else "COMPANY",
        "OrganisationNumber": s.identity_number,
        "Address1": inv.street, "Address2": inv.street2, "ZipCode": _postcode_out(inv.postcode), "City": inv.city,
        "VisitingAddress": ", ".join(x for x in (vis.street, vis.street2) if x),
        "VisitingZipCode": _postcode_out(vis.postcode), "VisitingCity": vis.city,
        "DeliveryAddress1": post.street, "DeliveryAddress2": post.street2,
        "DeliveryZipCode": _postcode_out(post.postcode), "DeliveryCity": post.city,
        "Email": s.email, "Phone1": s.phone, "YourReference": s.your_reference,
        "ShowPriceVATIncluded": s.prices_include_vat,
        "Active": s.active,
    }


def from_fortnox(c: dict) -> CustomerSnapshot:
    """A Fortnox `Customer` back into a snapshot (our_reference is not held by Fortnox)."""
    private = c.get("Type") == "PRIVATE"
    visiting_street, _, visiting_street2 = _text(c.get("VisitingAddress")).partition(", ")
    return CustomerSnapshot(
        customer_number=_text(c.get("CustomerNumber")),
        name=_text(c.get("Name")),
        customer_type=PRIVATE if private else COMPANY,
        identity_number=_text(c.get("OrganisationNumber")),
        prices_include_vat=bool(c.get("ShowPriceVATIncluded")),
        active=c.get("Active", True) is not False,
        invoice_address=AddressSnapshot(_text(c.get("Address1")), _text(c.get("Address2")),
                                        _digits(c.get("ZipCode")), _text(c.get("City"))),
        visiting_address=AddressSnapshot(visiting_street, visiting_street2, _digits(c.get("VisitingZipCode")),
                                         _text(c.get("VisitingCity"))),
        postal_address=AddressSnapshot(_text(c.get("DeliveryAddress1")), _text(c.get("DeliveryAddress2")),
                                       _digits(c.get("DeliveryZipCode")), _text(c.get("DeliveryCity"))),
        email=_text(c.get("Email")),
        phone=_text(c.get("Phone1")),
        your_reference=_text(c.get("YourReference")),
    )


# -- Visma eAccounting (API v2, /v2/customers) ----------------------------------------------------
VISMA_KEYS = (
    "CustomerNumber", "Name", "IsPrivatePerson", "CorporateIdentityNumber", "InvoiceAddress1", "InvoiceAddress2",
    "InvoicePostalCode", "InvoiceCity", "DeliveryAddress1", "DeliveryAddress2", "DeliveryPostalCode",
    "DeliveryCity", "EmailAddress", "Telephone", "ContactPersonName", "IsActive",
)


def to_visma(s: CustomerSnapshot, terms_of_payment_id: str) -> dict:
    """The customer object for POST/PUT /v2/customers.

    - `IsPrivatePerson` and the organisation number or personnummer in `CorporateIdentityNumber`.
    - invoice address → Invoice*; postal → Delivery* (eAccounting has no visiting address).
    - e-mail → EmailAddress, phone → Telephone, the main contact's name → ContactPersonName.
    - "our reference" is not a customer field in eAccounting: it goes on the sales documents
      (see accounting_sync.send_order), taken from `our_reference`.
    - `TermsOfPaymentId` is required by eAccounting; we use the company's first terms of payment.
    """
    inv, post = s.invoice_address, s.postal_address
    return {
        "CustomerNumber": s.customer_number,
        "Name": s.name,
        "IsPrivatePerson": s.customer_type == PRIVATE,
        "CorporateIdentityNumber": s.identity_number,
        "InvoiceAddress1": inv.street, "InvoiceAddress2": inv.street2,
        "InvoicePostalCode": _postcode_out(inv.postcode), "InvoiceCity": inv.city,
        "DeliveryAddress1": post.street, "DeliveryAddress2": post.street2,
        "DeliveryPostalCode": _postcode_out(post.postcode), "DeliveryCity": post.city,
        "EmailAddress": s.email, "Telephone": s.phone, "ContactPersonName": s.your_reference,
        "IsActive": s.active,
        "TermsOfPaymentId": terms_of_payment_id,
    }


def from_visma(c: dict) -> CustomerSnapshot:
    return CustomerSnapshot(
        customer_number=_text(c.get("CustomerNumber")),
        name=_text(c.get("Name")),
        customer_type=PRIVATE if c.get("IsPrivatePerson") else COMPANY,
        identity_number=_text(c.get("CorporateIdentityNumber")),
        active=c.get("IsActive", True) is not False,
        invoice_address=AddressSnapshot(_text(c.get("InvoiceAddress1")), _text(c.get("InvoiceAddress2")),
                                        _digits(c.get("InvoicePostalCode")), _text(c.get("InvoiceCity"))),
        postal_address=AddressSnapshot(_text(c.get("DeliveryAddress1")), _text(c.get("DeliveryAddress2")),
                                       _digits(c.get("DeliveryPostalCode")), _text(c.get("DeliveryCity"))),
        email=_text(c.get("EmailAddress")),
        phone=_text(c.get("Telephone")),
        your_reference=_text(c.get("ContactPersonName")),
    )


@dataclass(frozen=True)
class OrderRow:
    description: str
    quantity: float
    price: float  # per unit, without VAT
    article_number: str = ""


@dataclass(frozen=True)
class OrderSnapshot:
    """An order set Ready for invoicing, as the accounting systems get it."""

    order_number: str
    customer_number: str
    rows: tuple[OrderRow, ...]
    always_invoice: bool = False  # F13: send as an invoice instead of an order
    your_reference: str = ""
    our_reference: str = ""  # the assigned technician's name
    your_order_number: str = ""


def fortnox_order(o: OrderSnapshot) -> dict:
    rows = [{"ArticleNumber": r.article_number or None, "Description": r.description,
             "OrderedQuantity": r.quantity, "DeliveredQuantity": r.quantity, "Price": r.price} for r in o.rows]
    for row in rows:
        if row["ArticleNumber"] is None:
            del row["ArticleNumber"]
    return {"CustomerNumber": o.customer_number, "YourReference": o.your_reference,
            "OurReference": o.our_reference, "YourOrderNumber": o.your_order_number or o.order_number,
            "OrderRows": rows}


def fortnox_invoice(o: OrderSnapshot) -> dict:
    rows = [{"Description": r.description, "DeliveredQuantity": r.quantity, "Price": r.price,
             **({"ArticleNumber": r.article_number} if r.article_number else {})} for r in o.rows]
    return {"CustomerNumber": o.customer_number, "YourReference": o.your_reference,
            "OurReference": o.our_reference, "YourOrderNumber": o.your_order_number or o.order_number,
            "InvoiceRows": rows}


def visma_document(o: OrderSnapshot, customer_id: str, our_reference: str | None) -> dict:
    """Body for /v2/orders or /v2/customerinvoicedrafts; OurReference only when the option is on."""
    rows = [{"Text": r.description, "Quantity": r.quantity, "UnitPrice": r.price, "LineNumber": i,
             **({"ArticleNumber": r.article_number} if r.article_number else {})}
            for i, r in enumerate(o.rows)]
    body = {"CustomerId": customer_id, "YourReference": o.your_reference, "Rows": rows}
    if our_reference:
        body["OurReference"] = our_reference
    return body
