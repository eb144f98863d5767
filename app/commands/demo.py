"""Example data for a first look: a realistic Swedish customer register (`flask --app app demo load`).

Customers, contacts, addresses and customer articles are written through the same commands
as the card's, so every rule of F1–F13 applies to the demo data as to any other input.
The data are deterministic for a given seed; loading is skipped when customers exist.
"""

import datetime
import random
import re
import unicodedata
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import select
from stdnum import luhn

from ..extensions import db
from ..models.article import SERVICE_ARTICLE, WORK_ORDER_ARTICLE, Article
from ..models.custom_fields import CustomFieldDefinition
from ..models.customer import COMPANY, PRIVATE, Customer
from ..models.discount import DiscountLetter, DiscountLetterRow
from ..security.access import SystemActor
from ..services import custom_fields as cf
from ..services.customer_fields import offered_languages
from ..services.settings import get_settings
from .contacts import add_customer_article, save_address, save_contact
from .customers import create_customer, set_active
from .transaction import transaction

DEMO = SystemActor("demo")

# --- Reference data ---------------------------------------------------------------------

# City, telephone area code, a few real-looking postcodes.
CITIES = (
    ("Stockholm", "08", ("11455", "11359", "11622", "11751", "11120", "11842", "11226")),
    ("Göteborg", "031", ("41104", "41263", "41451", "41705", "41319")),
    ("Malmö", "040", ("21119", "21142", "21420", "21774", "21215")),
    ("Uppsala", "018", ("75310", "75228", "75431", "75320")),
    ("Linköping", "013", ("58223", "58330", "58437")),
    ("Örebro", "019", ("70210", "70361", "70227")),
    ("Umeå", "090", ("90326", "90422", "90736")),
    ("Luleå", "0920", ("97231", "97342", "97433")),
    ("Karlstad", "054", ("65224", "65340", "65225")),
    ("Jönköping", "036", ("55318", "55454", "55320")),
    ("Sundsvall", "060", ("85231", "85353", "85238")),
    ("Gävle", "026", ("80310", "80251", "80320")),
    ("Västerås", "021", ("72211", "72346", "72215")),
    ("Helsingborg", "042", ("25221", "25437", "25225")),
    ("Växjö", "0470", ("35231", "35246", "35236")),
    ("Norrköping", "011", ("60224", "60232", "60362")),
    ("Borås", "033", ("50330", "50334", "50456")),
    ("Eskilstuna", "016", ("63220", "63346")),
    ("Halmstad", "035", ("30243", "30250")),
    ("Lund", "046", ("22221", "22350")),
    ("Östersund", "063", ("83134", "83140")),
    ("Kalmar", "0480", ("39231", "39234")),
    ("Falun", "023", ("79171", "79131")),
    ("Skövde", "0500", ("54130", "54133")),
)
# Bigger towns appear more often.
CITY_WEIGHTS = (14, 9, 7, 5, 4, 4, 3, 3, 3, 3, 3, 3, 3, 3, 2, 3, 2, 2, 2, 2, 2, 2, 2, 2)

RESIDENTIAL_STREETS = (
    "Storgatan", "Kungsgatan", "Drottninggatan", "Kyrkogatan", "Skolgatan", "Parkvägen",
    "Björkvägen", "Tallvägen", "Granvägen", "Ekvägen", "Lönnvägen", "Södra vägen",
    "Norra Strandgatan", "Ringvägen", "Skogsvägen", "Villavägen", "Trädgårdsgatan",
    "Järnvägsgatan", "Sjövägen", "Ängsvägen", "Hantverkargatan", "Västra Långgatan",
    "Östra Ågatan", "Stationsvägen", "Solvägen", "Bäckvägen", "Åsvägen", "Lärkvägen",
    "Kvarngatan", "Kungsvägen", "Prästgårdsgatan", "Rönnvägen", "Fabriksgatan",
    "Vasagatan", "Linnégatan", "Slottsgatan", "Bergsgatan", "Nygatan", "Älvvägen",
)
BUSINESS_STREETS = (
    "Industrivägen", "Verkstadsgatan", "Hamngatan", "Förrådsvägen", "Lagervägen",
    "Montörgatan", "Smedjegatan", "Företagsvägen", "Transportgatan", "Terminalvägen",
    "Mekanikervägen", "Storgatan", "Kungsgatan", "Drottninggatan", "Järnvägsgatan",
    "Hantverkargatan", "Elektronikvägen", "Gjutarevägen", "Åkerivägen", "Bryggaregatan",
)

MALE_NAMES = (
    "Erik", "Lars", "Karl", "Anders", "Johan", "Per", "Nils", "Mikael", "Jan", "Hans",
    "Peter", "Olof", "Lennart", "Thomas", "Gunnar", "Sven", "Björn", "Göran", "Bengt",
    "Mats", "Magnus", "Stefan", "Jonas", "Fredrik", "Mattias", "Daniel", "Oscar", "Håkan",
    "Jörgen", "Måns", "Åke", "Sören", "Ali", "Mohammed", "Emil", "Viktor", "Axel", "Hugo",
    "Elias", "Karl-Johan", "Ulf", "Leif", "Kjell", "Rasmus",
)
FEMALE_NAMES = (
    "Anna", "Eva", "Maria", "Karin", "Kristina", "Lena", "Sara", "Kerstin", "Emma",
    "Ingrid", "Malin", "Birgitta", "Marie", "Elin", "Sofia", "Ida", "Linnéa", "Åsa",
    "Märta", "Ingegärd", "Britt-Marie", "Anna-Karin", "Ulla", "Gunilla", "Helena", "Jenny",
    "Louise", "Maja", "Agnes", "Fatima", "Amina", "Johanna", "Cecilia", "Annika", "Ebba",
    "Wilma", "Elsa", "Signe", "Astrid", "Gunnel", "Siv", "Yvonne",
)
SURNAMES = (
    "Andersson", "Johansson", "Karlsson", "Nilsson", "Eriksson", "Larsson", "Olsson",
    "Persson", "Svensson", "Gustafsson", "Pettersson", "Jonsson", "Jansson", "Hansson",
    "Bengtsson", "Jönsson", "Lindberg", "Jakobsson", "Magnusson", "Lindström", "Olofsson",
    "Lindqvist", "Lindgren", "Berg", "Axelsson", "Bergström", "Lundberg", "Lind",
    "Lundgren", "Lundqvist", "Mattsson", "Berglund", "Fredriksson", "Sandberg",
    "Henriksson", "Forsberg", "Sjöberg", "Wallin", "Engström", "Eklund", "Danielsson",
    "Håkansson", "Lundin", "Björk", "Gunnarsson", "Holm", "Bergman", "Samuelsson",
    "Fransson", "Wikström", "Isaksson", "Nyström", "Holmberg", "Arvidsson", "Löfgren",
    "Söderberg", "Nyberg", "Blomqvist", "Claesson", "Nordström", "Mårtensson",
    "Lundström", "Åberg", "Öberg", "Ek", "Strömberg", "Hedlund", "Ali", "Hassan",
    "Nguyen", "Korhonen", "Nieminen", "Kovač",
)
BRF_NAMES = (
    "Solrosen", "Kastanjen", "Eken", "Näktergalen", "Humlan", "Sjöutsikten", "Tallbacken",
    "Lärkan", "Björkhagen", "Vitsippan", "Blåklinten", "Gjuteriet", "Bryggan", "Havsörnen",
    "Ekorren", "Mälarblick", "Stenhuggaren", "Fyren", "Lindängen", "Kvarnen", "Rönnbäret",
    "Äppellunden", "Smedjan", "Ängsgården", "Örnen", "Tegelbruket", "Kronan", "Hägern",
    "Sjöboden", "Valnöten", "Vintergatan", "Klövern", "Kastellet", "Gläntan", "Pilgrimen",
    "Tornet", "Fjärilen", "Svalan", "Hamnkaptenen", "Sädesärlan",
)
SAMFALLIGHETER = ("Ekbacken", "Solhöjden", "Granbacken", "Åkerlyckan", "Ängsbacken", "Sjöängen")

# Company kinds: name patterns, the leading digits of their organisation numbers and the
# "Bransch" choice. {sur}/{sur2}: surnames, {gen}: a surname in the genitive, {town}: the city.
COMPANY_KINDS = (
    ("brf", 24, ("Brf {brf}",), ("7164", "7696", "7697"), "Bostadsrättsförening"),
    ("property", 18, (
        "{sur} Fastigheter AB", "Fastighets AB {sur}", "{town} Fastighetsförvaltning AB",
        "Hyresbostäder i {town} AB", "{sur} & {sur2} Fastigheter AB",
    ), ("556", "559"), "Fastighet"),
    ("samfallighet", 3, ("Samfällighetsföreningen {samf}",), ("7175",), "Fastighet"),
    ("industry", 20, (
        "{town} Bygg & VVS AB", "{gen} Mekaniska Verkstad AB", "{sur} Industri AB",
        "{town} Plåt & Ventilation AB", "Kyl & Värme i {town} AB", "{sur} & {sur2} Entreprenad AB",
        "{town} Tryckeri AB", "{gen} Snickeri AB",
    ), ("556", "559"), "Industri"),
    ("trade", 12, (
        "{gen} Livs AB", "{town} Bil & Däck AB", "{gen} Järnhandel AB",
        "{town} Blommor & Trädgård AB", "{sur} Handelshus AB", "{gen} Café & Konditori AB",
    ), ("556", "559"), "Handel"),
    ("partnership", 12, (
        "{gen} Elektriska HB", "{sur} & Söner HB", "{gen} Måleri HB", "{sur} & {sur2} Rör HB",
    ), ("969",), None),
    ("public", 6, (
        "{town} Kommunfastigheter AB", "{town} Energi AB", "Stiftelsen {town} Studentbostäder",
        "{town} Vatten AB",
    ), ("556",), "Offentlig sektor"),
)

HOUSING_KINDS = ("brf", "property", "samfallighet", "public")
COMMENTS = (
    "Ring alltid innan besök.",
    "Fakturan ska märkas med objektnummer och beställarens namn.",
    "Betalar ofta sent, skicka påminnelse efter tio dagar.",
    "Vill ha service under våren, helst april–maj.",
    "ID06 krävs för alla tekniker på arbetsplatsen.",
    "Parkering endast på besöksplatserna framför entrén.",
    "Larm i lokalen, koden lämnas av kunden vid bokning.",
    "Hämta nyckel i receptionen, fråga efter driftansvarig.",
)
HOUSING_COMMENTS = (
    "Portkod {code}. Nyckel finns hos fastighetsskötaren.",
    "Aggregatet står i fläktrummet på vinden, ingång via trapphus B.",
    "Kontaktas via styrelsens e-post, inte per telefon.",
    "Samordna varje besök med fastighetsskötaren.",
    "Nyckelbricka nr {code} i nyckelskåpet.",
    "Aviseringslapp i trapphusen senast en vecka före besök.",
)
PRIVATE_COMMENTS = (
    "Ring alltid innan besök.",
    "Hund på tomten – ring på vid grinden.",
    "Portkod {code}.",
    "Kunden vill ha fakturan per post.",
    "Vill ha service under våren, helst april–maj.",
    "Nyckel lämnas i brevlådan vid bortavaro.",
)

DISCOUNT_LETTERS = (
    ("Avtalskund 10 %", ((None, "10"),)),
    ("Bostadsrättsförening", (("Service", "15"), ("Arbete", "8"))),
    ("Storkund", ((None, "5"), ("Material", "12"), ("Reservdelar", "10"))),
    ("Serviceavtal", (("Service", "20"),)),
)

# number, name, group, unit, price, VAT %, time article, ROT/RUT type
ARTICLES = (
    ("1001", "Arbetstid tekniker", "Arbete", "tim", "695.00", "25", True, "rot"),
    ("1002", "Arbetstid tekniker, jour", "Arbete", "tim", "1095.00", "25", True, "rot"),
    ("1010", "Fönsterputs", "Arbete", "tim", "480.00", "25", True, "rut"),
    ("2001", "Service värmepump", "Service", "st", "1890.00", "25", False, "none"),
    ("2002", "Filterbyte ventilationsaggregat", "Service", "st", "450.00", "25", False, "none"),
    ("2003", "OVK-besiktning", "Service", "st", "3500.00", "25", False, "none"),
    ("3001", "Förbrukningsmaterial", "Material", "st", "95.00", "25", False, "none"),
    ("3010", "Laddbox 11 kW inkl. installation", "Material", "st", "12900.00", "25", False, "green"),
    ("3011", "Solcellspanel 410 W inkl. montering", "Material", "st", "4250.00", "25", False, "green"),
    ("3020", "Drift- och skötselpärm, tryckt", "Material", "st", "250.00", "6", False, "none"),
    ("4001", "Luftfilter F7 592×592", "Reservdelar", "st", "320.00", "25", False, "none"),
    ("5001", "Körersättning", "Resor", "km", "8.50", "25", False, "none"),
    ("5002", "Framkörningsavgift", "Resor", "st", "495.00", "25", False, "none"),
)
SERVICE_ARTICLE_NUMBERS = ("2001", "2002", "2003", "4001")
WORK_ORDER_ARTICLE_NUMBERS = (("5002", "1"), ("5001", "20"), ("5001", "35"), ("3001", "1"), ("1001", "1"))

BRANSCH_CHOICES = ("Fastighet", "Industri", "Offentlig sektor", "Handel", "Bostadsrättsförening")


@dataclass(frozen=True)
class FieldSpec:
    key: str
    label: str
    field_type: str
    choices: str | None = None
    show_in_list: bool = False
    hidden_for_customer_users: bool = False


FIELD_SPECS = (
    FieldSpec("contract", "Avtalsnummer", "text", show_in_list=True),
    FieldSpec("bransch", "Bransch", "choice", "\n".join(BRANSCH_CHOICES), show_in_list=True),
    FieldSpec("renewal", "Avtal förnyas", "date"),
    FieldSpec("key", "Nyckel finns", "boolean", hidden_for_customer_users=True),
)

MAIL_DOMAINS = ("exempel.se", "exempel.nu", "example.com", "example.net")
LEGAL_FORM = re.compile(r"\b(AB|HB)\b")
MOBILE_PREFIXES = ("070", "072", "073", "076", "079")
# Contracts renew relative to a fixed day, so the data do not depend on when they are loaded.
RENEWAL_BASE = datetime.date(2026, 1, 1)


# --- Small generators -------------------------------------------------------------------


def ascii_slug(text: str, keep: str = "") -> str:
    """Lower-case ASCII letters and digits of `text` (å→a, ö→o, é→e …), plus `keep`."""
    decomposed = unicodedata.normalize("NFKD", text.lower())
    plain = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return re.sub(rf"[^a-z0-9{re.escape(keep)}]", "", plain)


def genitive(name: str) -> str:
    return name if name[-1] in "sxz" else f"{name}s"


def orgnr(rng: random.Random, prefix: str) -> str:
    first9 = prefix + "".join(str(rng.randrange(10)) for _ in range(9 - len(prefix)))
    digits = first9 + luhn.calc_check_digit(first9)
    return f"{digits[:6]}-{digits[6:]}"


def personnummer(rng: random.Random, female: bool, coordination: bool = False) -> str:
    """`YYYYMMDD-NNNN`; the third serial digit is even for women, odd for men."""
    birth = datetime.date(1935, 1, 1) + datetime.timedelta(days=rng.randrange(25202))  # to 2003-12-31
    day = birth.day + 60 if coordination else birth.day
    yymmdd = f"{birth.year % 100:02d}{birth.month:02d}{day:02d}"
    serial = f"{rng.randrange(100):02d}{rng.randrange(0, 10, 2) + (0 if female else 1)}"
    check = luhn.calc_check_digit(yymmdd + serial)
    return f"{birth.year:04d}{birth.month:02d}{day:02d}-{serial}{check}"


def street_address(rng: random.Random, streets: tuple[str, ...], high: int = 60) -> str:
    number = str(rng.randint(1, high))
    if rng.random() < 0.15:
        number += rng.choice("ABCD")
    return f"{rng.choice(streets)} {number}"


def phone(rng: random.Random, area_code: str) -> str:
    if rng.random() < 0.8:
        return f"{rng.choice(MOBILE_PREFIXES)}-{rng.randint(100, 999)} {rng.randint(10, 99)} {rng.randint(10, 99)}"
    pairs = f"{rng.randint(10, 99)} {rng.randint(10, 99)}"
    if len(area_code) == 2:
        return f"{area_code}-{rng.randint(100, 999)} {pairs}"
    if len(area_code) == 3 and rng.random() < 0.5:
        return f"{area_code}-{rng.randint(100, 999)} {pairs}"
    return f"{area_code}-{rng.randint(10, 99)} {pairs}"


def person(rng: random.Random, surname: str | None = None) -> tuple[str, str, bool]:
    female = rng.random() < 0.5
    first = rng.choice(FEMALE_NAMES if female else MALE_NAMES)
    return first, surname or rng.choice(SURNAMES), female


def email_local(rng: random.Random, first: str, last: str) -> str:
    first_a, last_a = ascii_slug(first, "-"), ascii_slug(last, "-")
    style = rng.random()
    if style < 0.6:
        return f"{first_a}.{last_a}"
    if style < 0.75:
        return f"{first_a[0]}.{last_a}"
    if style < 0.9:
        return f"{first_a}{last_a}{rng.randint(50, 99)}"
    return first_a


# --- Register data ----------------------------------------------------------------------


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

    inactive = rng.sample(created, round(len(created) * 0.08))
    if inactive:
        set_active(inactive, False, by=DEMO)
    return len(created)
