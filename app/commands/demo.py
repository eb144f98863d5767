"""Example data for a first look: a realistic Swedish customer register (`flask --app app demo load`).

Customers, contacts, addresses and customer articles are written through the same commands
as the card's, so every rule of F1–F13 applies to the demo data as to any other input.
The data are deterministic for a given seed; loading is skipped when customers exist.
"""

import datetime
import random
from decimal import Decimal

from sqlalchemy import select

from ..errors import Invalid
from ..extensions import db
from ..models.article import SERVICE_ARTICLE, WORK_ORDER_ARTICLE, Article
from ..models.custom_fields import CustomFieldDefinition
from ..models.customer import COMPANY, PRIVATE, Customer
from ..models.discount import DiscountLetter, DiscountLetterRow
from ..security.access import SystemActor
from ..services import custom_fields as cf
from ..services.customer_fields import offered_languages
from ..services.demo_data import (
    ARTICLES,
    BRANSCH_CHOICES,
    BRF_NAMES,
    BUSINESS_STREETS,
    CITIES,
    CITY_WEIGHTS,
    COMMENTS,
    COMPANY_KINDS,
    DISCOUNT_LETTERS,
    FACILITY_NAMES,
    FIELD_SPECS,
    HOUSING_COMMENTS,
    HOUSING_KINDS,
    LEGAL_FORM,
    MAIL_DOMAINS,
    ORDER_DESCRIPTIONS,
    ORDER_KIND_WEIGHTS,
    ORDER_STATUS_WEIGHTS,
    PRIVATE_COMMENTS,
    RENEWAL_BASE,
    RESIDENTIAL_STREETS,
    SAMFALLIGHETER,
    SERVICE_ARTICLE_NUMBERS,
    SURNAMES,
    WORK_ORDER_ARTICLE_NUMBERS,
    FieldSpec,
    ascii_slug,
    email_local,
    genitive,
    orgnr,
    person,
    personnummer,
    phone,
    street_address,
)
from ..services.settings import get_settings
from .contacts import add_customer_article, save_address, save_contact
from .customers import create_customer, set_active
from .orders import add_row, create_order, save_facility
from .transaction import transaction

DEMO = SystemActor("demo")


def _discount_letters(session) -> dict[str, DiscountLetter]:
    letters = {}
    for name, rows in DISCOUNT_LETTERS:
        letter = session.execute(select(DiscountLetter).where(DiscountLetter.name == name)).scalar()
        if letter is None:
            letter = DiscountLetter(
                name=name,
                rows=[DiscountLetterRow(article_group=group, percent=Decimal(pct)) for group, pct in rows],
            )
            session.add(letter)
        letters[name] = letter
    return letters


def _articles(session) -> dict[str, Article]:
    articles = {}
    for number, name, group, unit, price, vat, is_time, rot_rut in ARTICLES:
        article = session.execute(select(Article).where(Article.article_number == number)).scalar()
        if article is None:
            article = Article(
                article_number=number, name=name, article_group=group, unit=unit, price=Decimal(price),
                vat_rate=Decimal(vat), is_time_article=is_time, rot_rut_type=rot_rut,
            )
            session.add(article)
        articles[number] = article
    return articles


def _custom_fields(session) -> dict[str, CustomFieldDefinition]:
    """The demo's fields by key; an existing field of the same label is reused if it fits."""
    position = max([f.position for f in session.execute(select(CustomFieldDefinition)).scalars()], default=0)
    fields = {}
    for spec in FIELD_SPECS:
        field = session.execute(
            select(CustomFieldDefinition).where(CustomFieldDefinition.label == spec.label)
        ).scalar()
        if field is None:
            position += 10
            field = CustomFieldDefinition(
                label=spec.label, field_type=spec.field_type, choices=spec.choices, position=position,
                show_in_list=spec.show_in_list, hidden_for_customer_users=spec.hidden_for_customer_users,
            )
            session.add(field)
        fields[spec.key] = field
    return fields


def _usable(field: CustomFieldDefinition, spec: FieldSpec) -> bool:
    if field.removed or field.field_type != spec.field_type:
        return False
    return spec.field_type != "choice" or set(BRANSCH_CHOICES) <= set(field.choice_list)


def _filler(field: CustomFieldDefinition) -> str:
    """A value for a required field the demo does not know about."""
    return {
        "number": "1",
        "date": RENEWAL_BASE.isoformat(),
        "boolean": "0",
        "choice": (field.choice_list or [""])[0],
    }.get(field.field_type, "Demo")


# --- Customers --------------------------------------------------------------------------


class _Builder:
    """Draws one customer at a time; remembers names and numbers already used."""

    def __init__(self, rng: random.Random, fields: dict, other_required: list, letters: dict):
        self.rng = rng
        self.fields = fields
        self.other_required = other_required
        self.letters = letters
        self.names: set[str] = set()
        self.identities: set[str] = set()
        self.contract_serial = 100
        self.language = "sv" if "sv" in offered_languages() else None

    def unique_identity(self, make) -> str:
        while True:
            value = make()
            if value not in self.identities:
                self.identities.add(value)
                return value

    def city(self):
        return self.rng.choices(CITIES, weights=CITY_WEIGHTS)[0]

    def company_name(self, kind: tuple, town: str) -> str:
        rng = self.rng
        for attempt in range(200):
            sur, sur2 = rng.sample(SURNAMES, 2)
            name = rng.choice(kind[2]).format(
                sur=sur, sur2=sur2, gen=genitive(sur), town=town,
                brf=rng.choice(BRF_NAMES), samf=rng.choice(SAMFALLIGHETER),
            )
            if attempt > 50 and name in self.names:
                name = f"{name} nr {rng.randint(2, 9)}" if kind[0] == "brf" else f"{name} i {town}"
            if name not in self.names:
                self.names.add(name)
                return name
        raise RuntimeError("No free company name; lower --customers.")

    def custom_values(self, raw: dict, values: dict) -> None:
        for key, value in values.items():
            field = self.fields.get(key)
            if field is not None and value is not None:
                raw[f"cf_{field.id}"] = value
        for field in self.other_required:
            raw[f"cf_{field.id}"] = _filler(field)

    def contract(self, probability: float) -> tuple[str | None, str | None]:
        if self.rng.random() >= probability:
            return None, None
        self.contract_serial += self.rng.randint(1, 9)
        number = f"AVT-{self.rng.randint(2018, 2025)}-{self.contract_serial:04d}"
        renewal = RENEWAL_BASE + datetime.timedelta(days=self.rng.randrange(730))
        return number, renewal.isoformat()

    def comment(self, probability: float, choices: tuple[str, ...]) -> str | None:
        if self.rng.random() >= probability:
            return None
        return self.rng.choice(choices).format(code=self.rng.randint(1000, 9999))

    def company(self) -> tuple[dict, dict]:
        rng = self.rng
        kind = rng.choices(COMPANY_KINDS, weights=[k[1] for k in COMPANY_KINDS])[0]
        town, area_code, postcodes = self.city()
        name = self.company_name(kind, town)
        prefixes = ("8020",) if name.startswith("Stiftelsen") else kind[3]  # foundations: 802…
        identity = self.unique_identity(lambda: orgnr(rng, rng.choice(prefixes)))
        streets = RESIDENTIAL_STREETS if kind[0] in ("brf", "samfallighet") else BUSINESS_STREETS
        street = street_address(rng, streets)
        contract, renewal = self.contract(0.65 if kind[0] != "partnership" else 0.3)
        letter_names = []
        if kind[0] == "brf" and rng.random() < 0.7:
            letter_names.append("Bostadsrättsförening")
        if contract and rng.random() < 0.5:
            letter_names.append("Avtalskund 10 %")
        if kind[0] in ("property", "public") and rng.random() < 0.4:
            letter_names.append("Storkund")
        if kind[0] in ("industry", "trade") and rng.random() < 0.15:
            letter_names.append("Serviceavtal")
        raw = {
            "name": name,
            "customer_type": COMPANY,
            "identity_number": identity,
            "comment": self.comment(0.3, HOUSING_COMMENTS if kind[0] in HOUSING_KINDS else COMMENTS),
            "invoice_street": street,
            "invoice_postcode": rng.choice(postcodes),
            "invoice_city": town,
            "discount_letters": [self.letters[n].id for n in letter_names],
            "vat_type": "NormalVAT",
            "language": self.language,
            "always_invoice": rng.random() < 0.2,
            "cost_centre_required": kind[0] in ("public", "property") and rng.random() < 0.3,
            "facility_required": kind[0] in ("brf", "property") and rng.random() < 0.25,
            "facilities_disabled": kind[0] == "partnership" and rng.random() < 0.3,
        }
        if rng.random() < 0.12:
            raw["invoice_street2"] = rng.choice(("Ekonomiavdelningen", "Att: Leverantörsreskontra", "c/o Förvaltaren"))
        bransch = kind[4]
        if bransch is None and rng.random() < 0.5:  # trading partnerships: sometimes classified
            bransch = rng.choice(("Industri", "Handel"))
        key = "1" if kind[0] in HOUSING_KINDS and rng.random() < 0.45 else "0"
        self.custom_values(raw, {"contract": contract, "bransch": bransch, "renewal": renewal, "key": key})
        domain = f"{ascii_slug(LEGAL_FORM.sub('', name))}.{rng.choice(MAIL_DOMAINS[:2])}"
        return raw, {"kind": kind[0], "town": town, "area_code": area_code, "postcodes": postcodes,
                     "streets": streets, "domain": domain}

    def private(self, coordination: bool) -> tuple[dict, dict]:
        rng = self.rng
        first, last, female = person(rng)
        for _ in range(100):  # a few namesakes are realistic, many are not
            if f"{first} {last}" not in self.names:
                break
            first, last, female = person(rng)
        self.names.add(f"{first} {last}")
        identity = self.unique_identity(lambda: personnummer(rng, female, coordination))
        town, area_code, postcodes = self.city()
        contract, renewal = self.contract(0.15)
        raw = {
            "name": f"{first} {last}",
            "customer_type": PRIVATE,
            "identity_number": identity,
            "comment": self.comment(0.15, PRIVATE_COMMENTS),
            "invoice_street": street_address(rng, RESIDENTIAL_STREETS, 120),
            "invoice_postcode": rng.choice(postcodes),
            "invoice_city": town,
            "discount_letters": [self.letters["Avtalskund 10 %"].id] if contract and rng.random() < 0.4 else [],
            "vat_type": "NormalVAT",
            "language": self.language,
            "always_invoice": rng.random() < 0.1,
            "tax_reduction_personnummer": identity,
        }
        if rng.random() < 0.3:
            raw["invoice_street2"] = f"lgh {rng.randint(10, 16)}{rng.randint(1, 9):02d}"
        self.custom_values(raw, {"contract": contract, "renewal": renewal,
                                 "key": "1" if rng.random() < 0.1 else "0"})
        return raw, {"kind": "private", "town": town, "area_code": area_code, "postcodes": postcodes,
                     "person": (first, last, female)}

    def contacts(self, info: dict) -> list[dict]:
        rng = self.rng
        if info["kind"] == "private":
            first, last, _female = info["person"]
            people = [(first, last)]
            if rng.random() < 0.25:  # a partner, often with the same surname
                partner = person(rng, last if rng.random() < 0.6 else None)
                people.append(partner[:2])
        else:
            people = [person(rng)[:2] for _ in range(rng.choices((1, 2, 3), weights=(50, 35, 15))[0])]
        contacts = []
        for index, (first, last) in enumerate(people):
            email = None
            if rng.random() < 0.9:
                domain = info.get("domain") if rng.random() < 0.85 else None
                email = f"{email_local(rng, first, last)}@{domain or rng.choice(MAIL_DOMAINS)}"
            contacts.append({
                "name": f"{first} {last}",
                "phone": phone(rng, info["area_code"]) if rng.random() < 0.92 else "",
                "email": email or "",
                "send_service_protocol": bool(email) and rng.random() < (0.7 if index == 0 else 0.3),
                "send_work_order": bool(email) and rng.random() < (0.5 if index == 0 else 0.2),
                "is_main_contact": index == 0,
            })
        return contacts


def load_demo(count: int = 240, seed: int = 2026) -> int:
    """Load a realistic Swedish customer register; returns how many customers were created, 0 if customers already exist."""
    session = db.session
    if session.execute(select(Customer.id).limit(1)).first() is not None:
        return 0
    rng = random.Random(seed)

    with transaction(DEMO):
        letters = _discount_letters(session)
        articles = _articles(session)
        field_defs = _custom_fields(session)

    specs = {spec.key: spec for spec in FIELD_SPECS}
    fields = {key: f for key, f in field_defs.items() if _usable(f, specs[key])}
    ours = {f.id for f in fields.values()}
    other_required = [f for f in cf.active_fields(session) if f.required and f.id not in ours]
    settings = get_settings()
    builder = _Builder(rng, fields, other_required, letters)

    private_count = round(count * 0.3)
    private_slots = set(rng.sample(range(count), private_count))
    coordination_left = max(2, round(private_count * 0.03))
    first_number = 10 ** (settings.customer_number_min_length - 1)

    created: list[int] = []
    for index in range(count):
        if index in private_slots:
            raw, info = builder.private(coordination_left > 0 or rng.random() < 0.02)
            coordination_left -= 1
        else:
            raw, info = builder.company()
        if not settings.auto_customer_number:
            raw["customer_number"] = str(first_number + index)
        customer = create_customer(raw, by=DEMO)
        created.append(customer.id)

        for contact in builder.contacts(info):
            save_contact(customer, contact, by=DEMO)

        if info["kind"] != "private" and rng.random() < 0.45:
            save_address(customer, "visiting", by=DEMO, values={
                "street": street_address(rng, info["streets"]),
                "street2": rng.choice(("", "", "Entré B", "Plan 2", "Lastkaj 3")),
                "postcode": rng.choice(info["postcodes"]),
                "city": info["town"],
            })
        if info["kind"] != "private" and rng.random() < 0.08:
            save_address(customer, "postal", by=DEMO, values={
                "street": f"Box {rng.randint(100, 9999)}",
                "postcode": rng.choice(info["postcodes"]),
                "city": info["town"],
            })

        service_share = 0.1 if info["kind"] == "private" else 0.35
        if rng.random() < service_share:
            for number in rng.sample(SERVICE_ARTICLE_NUMBERS, rng.randint(1, 2)):
                add_customer_article(customer, {"kind": SERVICE_ARTICLE, "article_id": articles[number].id,
                                                "quantity": str(rng.randint(1, 2))}, by=DEMO)
        if info["kind"] != "private" and rng.random() < 0.2:
            number, quantity = rng.choice(WORK_ORDER_ARTICLE_NUMBERS)
            add_customer_article(customer, {"kind": WORK_ORDER_ARTICLE, "article_id": articles[number].id,
                                            "quantity": quantity}, by=DEMO)

    _orders(rng, created, articles, session)
    inactive = rng.sample(created, round(len(created) * 0.08))
    if inactive:
        set_active(inactive, False, by=DEMO)  # their orders stay (F19)
    return len(created)


def _weighted(rng: random.Random, pairs) -> str:
    return rng.choices([value for value, _w in pairs], weights=[w for _v, w in pairs])[0]


def _orders(rng: random.Random, customer_ids: list[int], articles: dict, session) -> int:
    """Facilities on a third of the companies and about 1.6 orders a customer, of every kind and
    status, written through the order commands (their rules, numbering and history apply)."""
    created = 0
    today = datetime.date(2026, 11, 30)
    for customer_id in customer_ids:
        customer = session.get(Customer, customer_id)
        facilities = []
        if customer.customer_type == COMPANY and not customer.facilities_disabled and \
                (customer.facility_required or rng.random() < 0.35):
            for name in rng.sample(FACILITY_NAMES, rng.randint(1, 3)):
                facilities.append(save_facility(customer, {"name": name, "city": None,
                                                           "customer_order_number": rng.choice(
                                                               ("", "", f"AO-{rng.randint(1000, 9999)}"))},
                                                by=DEMO))
        for _ in range(rng.choice((0, 1, 1, 1, 2, 2, 2, 3, 4))):
            kind = _weighted(rng, ORDER_KIND_WEIGHTS)
            status = _weighted(rng, ORDER_STATUS_WEIGHTS)
            if kind == "quote" and status in ("ready_for_invoicing", "invoiced"):
                status = rng.choice(("new", "cancelled"))
            values = {"customer_id": customer.id, "kind": kind, "status": status,
                      "description": rng.choice(ORDER_DESCRIPTIONS[kind]),
                      "facility_id": rng.choice(facilities).id if facilities else None,
                      "customer_order_number": f"PO-{rng.randint(10000, 99999)}",
                      "cost_centre": customer.cost_centre or (f"KS-{rng.randint(100, 999)}"
                                                              if customer.cost_centre_required else None)}
            if status not in ("new", "cancelled"):
                values["work_date"] = today - datetime.timedelta(days=rng.randint(0, 300))
            try:
                order = create_order(values, by=DEMO)
            except Invalid:  # a rule of this customer the demo did not foresee: leave it out
                continue
            if kind != "fault_report" or status != "new":
                for number in rng.sample(sorted(articles), rng.randint(1, 4)):
                    article = articles[number]
                    quantity = str(rng.choice((1, 1, 2, 3)) if not article.is_time_article
                                   else rng.choice(("1", "1,5", "2", "3,5", "6")))
                    add_row(order, {"article_id": article.id, "quantity": quantity}, by=DEMO, today=today)
            created += 1
    return created
