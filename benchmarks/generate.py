"""Fill a database with N customers for the benchmarks (not run by the test suite).

    .venv/bin/python benchmarks/generate.py --database-url postgresql+psycopg://postgres@127.0.0.1:5432/bench_kund
    .venv/bin/python benchmarks/generate.py --database-url sqlite:////tmp/bench_kund.db --customers 100000

Each customer gets 2 contacts and 2 addresses (invoice and visiting); 30 % have a value in
the custom field "Avtalsnummer"; 70 % are assigned to one of 20 technicians; every tenth
customer is private (so "type = private" selects exactly 10 %, the export benchmark's
100,000 rows at a million). Identity numbers are valid (Luhn). Rows are written with
PostgreSQL COPY, or executemany in one transaction on SQLite, with the secondary indexes
dropped during the load and recreated from their own definitions afterwards.

With `--orders 10000000` (PostgreSQL) the customers also get orders of every kind and status,
facilities and order rows (`--orders-only` adds them to customers loaded earlier).

The schema comes from the migrations; users: `bench` (Admin, password `bench-bench-2026`)
and `tech01`…`tech20` (Technician).
"""

import argparse
import datetime
import random
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

PASSWORD = "bench-bench-2026"
TECHNICIANS = 20
CONTRACT_FIELD = "Avtalsnummer"


def default_count(url: str) -> int:
    return 1_000_000 if url.startswith("postgresql") else 100_000


def make_app(url: str):
    from app import create_app

    return create_app({"SQLALCHEMY_DATABASE_URI": url, "TESTING": False, "RATELIMIT_ENABLED": False,
                       "FAB_PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000", "SECRET_KEY": "bench-" * 8,
                       "WTF_CSRF_ENABLED": False})


def prepare(app) -> dict:
    """Schema (migrations), rights and roles, the users; returns technician ids."""
    from flask_appbuilder.security.manager import BaseSecurityManager
    from flask_migrate import upgrade

    from app.extensions import db
    from app.security.roles import sync_roles

    with app.app_context():
        upgrade()
        sm = app.appbuilder.sm
        BaseSecurityManager.create_db(sm)
        app.appbuilder.add_permissions(update_perms=True)
        sync_roles(sm)
        if sm.find_user(username="bench") is None:
            sm.add_user("bench", "Bench", "Admin", "bench@exempel.se", [sm.find_role("Admin")], password=PASSWORD)
        ids = []
        first_names = ("Anna", "Erik", "Maria", "Lars", "Karin", "Per", "Sara", "Johan", "Eva", "Nils")
        for n in range(1, TECHNICIANS + 1):
            username = f"tech{n:02d}"
            user = sm.find_user(username=username)
            if user is None:
                user = sm.add_user(username, first_names[n % 10], f"Tekniker{n:02d}", f"{username}@exempel.se",
                                   [sm.find_role("Technician")], password=PASSWORD)
            ids.append(user.id)
        db.session.commit()
        return ids


def rows(count: int, technician_ids: list[int], seed: int, start_id: int = 1, number_base: int = 100000):
    """(customer, [contacts], [addresses], custom value or None) tuples, deterministic."""
    from stdnum import luhn

    from app.services.demo_data import (
        CITIES,
        FEMALE_NAMES,
        MALE_NAMES,
        RESIDENTIAL_STREETS,
        SURNAMES,
        ascii_slug,
    )
    from app.services.duplicates import duplicate_key, identity_key, name_key

    rng = random.Random(seed)
    now = datetime.datetime(2026, 1, 1)
    firsts = FEMALE_NAMES + MALE_NAMES
    kinds = ("Bygg", "Fastigheter", "VVS", "El", "Måleri", "Städ", "Kyl & Värme", "Ventilation", "Plåt", "Trädgård")
    for i in range(count):
        cid = start_id + i
        city, _area, postcodes = CITIES[i % len(CITIES)]
        private = cid % 10 == 0
        surname = SURNAMES[rng.randrange(len(SURNAMES))]
        if private:
            first = firsts[rng.randrange(len(firsts))]
            name = f"{first} {surname}"
            birth = datetime.date(1940, 1, 1) + datetime.timedelta(days=rng.randrange(23000))
            yymmdd = f"{birth.year % 100:02d}{birth.month:02d}{birth.day:02d}"
            serial = f"{rng.randrange(1000):03d}"
            identity = f"{birth.year:04d}{birth.month:02d}{birth.day:02d}-{serial}{luhn.calc_check_digit(yymmdd + serial)}"
        else:
            name = f"{surname} {kinds[rng.randrange(len(kinds))]} AB {cid}"
            first9 = "556" + f"{rng.randrange(10 ** 6):06d}"
            digits = first9 + luhn.calc_check_digit(first9)
            identity = f"{digits[:6]}-{digits[6:]}"
        assigned = technician_ids[rng.randrange(len(technician_ids))] if rng.random() < 0.7 else None
        created = now + datetime.timedelta(seconds=cid * 7)
        customer = {
            "id": cid, "customer_number": str(number_base + cid), "name": name,
            "customer_type": "private" if private else "company", "identity_number": identity,
            "active": rng.random() > 0.08, "assigned_to_id": assigned, "created_at": created, "updated_at": created,
            # the duplicate keys the app keeps in step with the values (app/services/duplicates.py)
            "identity_key": identity_key(identity), "name_key": name_key(name),
        }
        slug = ascii_slug(surname)
        contacts = []
        for n in range(2):
            first = firsts[rng.randrange(len(firsts))]
            contacts.append({
                "customer_id": cid, "name": f"{first} {SURNAMES[rng.randrange(len(SURNAMES))]}",
                "phone": f"070-{rng.randrange(100, 999)} {rng.randrange(10, 99)} {rng.randrange(10, 99)}",
                "email": f"{ascii_slug(first)}.{slug}{cid}@exempel.se", "is_main_contact": n == 0,
                "send_service_protocol": n == 0, "send_work_order": False,
            })
        street = f"{RESIDENTIAL_STREETS[rng.randrange(len(RESIDENTIAL_STREETS))]} {rng.randrange(1, 80)}"
        addresses = [
            {"customer_id": cid, "kind": kind, "street": street, "street2": None,
             "postcode": postcodes[rng.randrange(len(postcodes))], "city": city}
            for kind in ("invoice", "visiting")
        ]
        customer["duplicate_key"] = duplicate_key(customer["name_key"], addresses[0]["postcode"])
        contract = f"AV-{cid:07d}" if rng.random() < 0.3 else None
        yield customer, contacts, addresses, contract


def _complete(table, row: dict) -> dict:
    """Python-side defaults of columns the generator does not set (other features' columns)."""
    for column in table.columns:
        if column.name in row:
            continue
        default = column.default
        if default is not None and default.is_scalar:
            row[column.name] = default.arg
    return row


def _secondary_indexes(conn, dialect: str, tables: list[str]) -> list[tuple[str, str]]:
    from sqlalchemy import text

    if dialect == "postgresql":
        result = conn.execute(text(
            "SELECT i.indexname, i.indexdef FROM pg_indexes i WHERE i.schemaname = 'public' "
            "AND i.tablename = ANY(:t) AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conname = i.indexname)"
        ), {"t": tables})
        return [(name, definition) for name, definition in result]
    result = conn.execute(text(
        "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL AND tbl_name IN ("
        + ",".join(f"'{t}'" for t in tables) + ")"))
    return [(name, definition) for name, definition in result]


def load(app, count: int, technician_ids: list[int], seed: int) -> None:
    from sqlalchemy import delete, func, insert, select, text

    from app.extensions import db
    from app.models import Address, Contact, Customer, CustomFieldDefinition, CustomFieldValue

    with app.app_context():
        engine = db.engine
        dialect = engine.dialect.name
        session = db.session
        field = session.execute(select(CustomFieldDefinition).where(CustomFieldDefinition.label == CONTRACT_FIELD)
                                ).scalar()
        if field is None:
            field = CustomFieldDefinition(label=CONTRACT_FIELD, field_type="text", show_in_list=True)
            session.add(field)
            session.commit()
        field_id = field.id
        existing = session.execute(select(func.count()).select_from(Customer)).scalar()
        session.commit()
        tables = ["customer", "contact", "address", "custom_field_value", "customer_search_text"]
        started = time.perf_counter()
        with engine.begin() as conn:
            if existing:
                print(f"deleting {existing} existing customers", flush=True)
                if dialect == "postgresql":
                    conn.execute(text("TRUNCATE customer, contact, address, custom_field_value, "
                                      "customer_discount_letter, customer_article RESTART IDENTITY CASCADE"))
                else:
                    for model in (CustomFieldValue, Address, Contact, Customer):
                        conn.execute(delete(model))
            for name, _definition in (indexes := _secondary_indexes(conn, dialect, tables)):
                conn.execute(text(f'DROP INDEX "{name}"'))
        print(f"dropped {len(indexes)} secondary indexes", flush=True)

        customer_cols = contact_cols = None
        generated = rows(count, technician_ids, seed)
        if dialect == "postgresql":
            raw = engine.raw_connection()
            try:
                cursor = raw.cursor()
                batch = []
                done = 0
                for customer, contacts, addresses, contract in generated:
                    batch.append((customer, contacts, addresses, contract))
                    if len(batch) == 50_000:
                        customer_cols, contact_cols = _copy(cursor, batch, field_id, customer_cols, contact_cols)
                        done += len(batch)
                        batch = []
                        print(f"  {done} customers ({time.perf_counter() - started:.0f} s)", flush=True)
                if batch:
                    _copy(cursor, batch, field_id, customer_cols, contact_cols)
                raw.commit()
            finally:
                raw.close()
        else:
            with engine.begin() as conn:
                batch = []
                for item in generated:
                    batch.append(item)
                    if len(batch) == 20_000:
                        _insert(conn, batch, field_id)
                        batch = []
                if batch:
                    _insert(conn, batch, field_id)
        print(f"loaded {count} customers in {time.perf_counter() - started:.0f} s", flush=True)

        started = time.perf_counter()
        with engine.begin() as conn:
            for _name, definition in indexes:
                conn.execute(text(definition))
            if dialect == "postgresql":
                for table in ("customer", "contact", "address", "custom_field_value"):
                    conn.execute(text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                                      f"(SELECT coalesce(max(id), 1) FROM {table}))"))
            from app.models import NumberSequence

            conn.execute(delete(NumberSequence).where(NumberSequence.name == "customer"))
            conn.execute(insert(NumberSequence).values(name="customer", next_value=100000 + count + 1000))
        print(f"recreated indexes in {time.perf_counter() - started:.0f} s", flush=True)
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("VACUUM ANALYZE" if dialect == "postgresql" else "ANALYZE"))
        print("analyzed", flush=True)


def _copy(cursor, batch, field_id, customer_cols, contact_cols):
    from app.models import Contact, Customer

    customers = [_complete(Customer.__table__, dict(c)) for c, _k, _a, _v in batch]
    customer_cols = customer_cols or list(customers[0])
    with cursor.copy(f"COPY customer ({', '.join(customer_cols)}) FROM STDIN") as copy:
        for row in customers:
            copy.write_row([row[c] for c in customer_cols])
    contacts = [_complete(Contact.__table__, dict(k)) for _c, ks, _a, _v in batch for k in ks]
    contact_cols = contact_cols or list(contacts[0])
    with cursor.copy(f"COPY contact ({', '.join(contact_cols)}) FROM STDIN") as copy:
        for row in contacts:
            copy.write_row([row[c] for c in contact_cols])
    with cursor.copy("COPY address (customer_id, kind, street, street2, postcode, city) FROM STDIN") as copy:
        for _c, _k, addresses, _v in batch:
            for a in addresses:
                copy.write_row([a["customer_id"], a["kind"], a["street"], a["street2"], a["postcode"], a["city"]])
    with cursor.copy("COPY custom_field_value (customer_id, field_id, value) FROM STDIN") as copy:
        for c, _k, _a, contract in batch:
            if contract:
                copy.write_row([c["id"], field_id, contract])
    with cursor.copy("COPY customer_search_text (customer_id, document) FROM STDIN") as copy:
        for row in _search_texts(batch):
            copy.write_row([row["customer_id"], row["document"]])
    return customer_cols, contact_cols


def _search_texts(batch) -> list[dict]:
    """The search documents the app's write path would write (app.services.search_text)."""
    from app.services.search_text import document_for

    return [{"customer_id": c["id"],
             "document": document_for(c["name"], c["customer_number"], c.get("customer_type", "company"),
                                      c.get("identity_number"), [(k["name"], k.get("email"), k.get("phone"))
                                                                 for k in contacts])}
            for c, contacts, _a, _v in batch]


def _insert(conn, batch, field_id):
    from sqlalchemy import insert

    from app.models import Address, Contact, Customer, CustomerSearchText, CustomFieldValue

    conn.execute(insert(Customer), [_complete(Customer.__table__, dict(c)) for c, _k, _a, _v in batch])
    conn.execute(insert(CustomerSearchText), _search_texts(batch))
    conn.execute(insert(Contact), [_complete(Contact.__table__, dict(k)) for _c, ks, _a, _v in batch for k in ks])
    conn.execute(insert(Address), [a for _c, _k, addresses, _v in batch for a in addresses])
    values = [{"customer_id": c["id"], "field_id": field_id, "value": v} for c, _k, _a, v in batch if v]
    if values:
        conn.execute(insert(CustomFieldValue), values)


ORDER_KINDS = (("service_order", 0.45), ("work_order", 0.3), ("fault_report", 0.2), ("quote", 0.05))
ORDER_STATUSES = (("invoiced", 0.7), ("ready_for_invoicing", 0.05), ("started", 0.1), ("new", 0.1),
                  ("cancelled", 0.05))
ORDER_TEXTS = ("Service av värmepump", "Byte av filter", "Felsökning ventilation", "Årlig kontroll",
               "Montering av kylaggregat", "Läckage i rörsystem", "Injustering av värmesystem")


def _pick(rng, weighted):
    point = rng.random()
    for value, weight in weighted:
        point -= weight
        if point < 0:
            return value
    return weighted[-1][0]


def load_orders(app, count: int, technician_ids: list[int], seed: int) -> None:
    """`count` orders over the existing customers (every fifth customer has a facility, which
    its orders name); every other order has a row. PostgreSQL only: COPY with the tables'
    secondary indexes dropped and recreated, like the customers."""
    from sqlalchemy import delete, func, select, text

    from app.extensions import db
    from app.models import Customer, NumberSequence

    rng = random.Random(seed + 1)
    with app.app_context():
        engine = db.engine
        if engine.dialect.name != "postgresql":
            raise SystemExit("--orders needs PostgreSQL")
        customers = db.session.execute(select(func.max(Customer.id))).scalar() or 0
        db.session.commit()
        tables = ["facility", "customer_order", "order_row"]
        started = time.perf_counter()
        with engine.begin() as conn:
            conn.execute(text("TRUNCATE order_row, customer_order, facility RESTART IDENTITY CASCADE"))
            conn.execute(delete(NumberSequence).where(NumberSequence.name.like("order%")))
            for name, _definition in (indexes := _secondary_indexes(conn, "postgresql", tables)):
                conn.execute(text(f'DROP INDEX "{name}"'))
        raw = engine.raw_connection()
        try:
            cursor = raw.cursor()
            with cursor.copy("COPY facility (id, customer_id, name, street, postcode, city) FROM STDIN") as copy:
                for cid in range(5, customers + 1, 5):
                    copy.write_row([cid // 5, cid, f"Anläggning {cid}", f"Industrivägen {cid % 90 + 1}", "11122",
                                    "Stockholm"])
            print(f"  {customers // 5} facilities ({time.perf_counter() - started:.0f} s)", flush=True)
            numbers = {kind: 100000 for kind, _w in ORDER_KINDS}
            first_day = datetime.date(2019, 1, 1)
            done = 0
            while done < count:
                size = min(500_000, count - done)
                orders, order_rows = [], []
                for i in range(done + 1, done + size + 1):
                    cid = rng.randrange(1, customers + 1)
                    kind = _pick(rng, ORDER_KINDS)
                    numbers[kind] += 1
                    status = _pick(rng, ORDER_STATUSES)
                    day = first_day + datetime.timedelta(days=i * 2500 // count)
                    assigned = technician_ids[rng.randrange(len(technician_ids))] if rng.random() < 0.8 else None
                    created = datetime.datetime.combine(day, datetime.time(8)) + datetime.timedelta(seconds=i % 30000)
                    orders.append([i, str(numbers[kind]), kind, cid, cid // 5 if cid % 5 == 0 else None, status,
                                   assigned, day if status != "new" else None, ORDER_TEXTS[i % len(ORDER_TEXTS)],
                                   False, created, created, 1])
                    if i % 2 == 0:
                        order_rows.append([i, 1, ORDER_TEXTS[i % len(ORDER_TEXTS)], f"{1 + i % 8}.00", "tim",
                                           "695.00", "25.00", "0.00", True])
                with cursor.copy("COPY customer_order (id, number, kind, customer_id, facility_id, status, "
                                 "assigned_to_id, work_date, description, always_invoice, created_at, updated_at, "
                                 "version) FROM STDIN") as copy:
                    for row in orders:
                        copy.write_row(row)
                with cursor.copy("COPY order_row (order_id, position, text, quantity, unit, unit_price, vat_rate, "
                                 "discount_percent, is_time_row) FROM STDIN") as copy:
                    for row in order_rows:
                        copy.write_row(row)
                raw.commit()
                done += size
                print(f"  {done} orders ({time.perf_counter() - started:.0f} s)", flush=True)
        finally:
            raw.close()
        started = time.perf_counter()
        with engine.begin() as conn:
            for _name, definition in indexes:
                conn.execute(text(definition))
            for table in tables:
                conn.execute(text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                                  f"(SELECT coalesce(max(id), 1) FROM {table}))"))
        print(f"recreated order indexes in {time.perf_counter() - started:.0f} s", flush=True)
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("VACUUM ANALYZE facility, customer_order, order_row"))
        print("analyzed orders", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--customers", type=int, default=None)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--orders", type=int, default=0,
                        help="also this many orders (every kind and status) with facilities and rows")
    parser.add_argument("--orders-only", action="store_true", help="keep the customers; (re)load the orders")
    args = parser.parse_args()
    count = args.customers or default_count(args.database_url)
    app = make_app(args.database_url)
    technicians = prepare(app)
    if not args.orders_only:
        load(app, count, technicians, args.seed)
    if args.orders:
        load_orders(app, args.orders, technicians, args.seed)


if __name__ == "__main__":
    main()
