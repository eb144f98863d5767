"""The demo register's reference data: Swedish towns, streets, names, companies, articles,
and the small generators that turn them into valid identity numbers, addresses and phone
numbers. Pure data and functions; `app/commands/demo.py` writes the register from them."""

import datetime
import random
import re
import unicodedata
from dataclasses import dataclass

from stdnum import luhn

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

# -- the customer's orders (issue 12) ------------------------------------------------------

FACILITY_NAMES = ("Pannrum", "Fläktrum", "Undercentral", "Tvättstuga", "Garage", "Kontor plan 2", "Lager",
                  "Butik", "Verkstad", "Skola hus A", "Skola hus B", "Förskola", "Kök", "Takvåning")
ORDER_KIND_WEIGHTS = (("work_order", 35), ("service_order", 30), ("fault_report", 20), ("quote", 15))
ORDER_STATUS_WEIGHTS = (("new", 25), ("started", 20), ("ready_for_invoicing", 15), ("invoiced", 30),
                        ("cancelled", 10))
ORDER_DESCRIPTIONS = {
    "work_order": ("Byte av cirkulationspump", "Installation av laddbox", "Injustering av värmesystem",
                   "Montering av solceller", "Flytt av radiator"),
    "service_order": ("Årlig service värmepump", "Filterbyte enligt avtal", "OVK-besiktning",
                      "Service ventilationsaggregat"),
    "fault_report": ("Ingen värme i lägenhet 1102", "Läckage vid expansionskärl", "Larm på ventilationsaggregat",
                     "Kallt i trapphus", "Missljud från fläkt"),
    "quote": ("Offert byte av värmepump", "Offert laddboxar till garage", "Offert solcellsanläggning"),
}
