"""Benchmarks of the customer list, search, export, import and bulk assignment (not run by the tests).

    .venv/bin/python benchmarks/generate.py --database-url URL            # once: N customers
    .venv/bin/python benchmarks/run.py --database-url URL --write          # measure, update RESULTS.md

Everything is measured on the same data in the same run, for this app and for a plain
FAB ModelView over the same tables (what FAB gives alone): the list's first page and page
1000, search by customer name, contact name and e-mail substring, filter by technician,
export of 100,000 rows (time and peak memory), import of 100,000 rows (rows per second,
peak memory) and bulk assignment of 10,000 customers.

Times of pages are server times: the request through the whole Flask app in-process
(routing, rights, queries, template), without a network; the median of --runs requests
after two warm-up requests. Export and import run in a child process each, so that peak
memory (VmHWM) is theirs alone; "memory growth" is the peak minus the process's size
just before the work started.
"""

import argparse
import csv
import datetime
import json
import os
import platform
import re
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from generate import PASSWORD, make_app  # noqa: E402

RESULTS = ROOT / "benchmarks" / "RESULTS.md"
SECTION = "## Customer list, search, import and export"
IMPORT_BASE = 9_000_000  # customer numbers of the imported rows (deleted again afterwards)


# -- the app with the baseline views ----------------------------------------------------------


def bench_app(url: str):
    """Our app plus plain FAB ModelViews over the same tables, registered before the first request."""
    from flask_appbuilder import ModelView, action
    from flask_appbuilder.models.sqla.interface import SQLAInterface

    from app.extensions import db
    from app.models import Contact, Customer, Order
    from app.security.roles import sync_roles

    class BaselineOrderView(ModelView):
        datamodel = SQLAInterface(Order)
        list_columns = ["number", "kind", "customer", "status", "assigned_to", "work_date"]
        search_columns = ["number", "kind", "status", "customer", "description"]
        base_order = ("id", "desc")

    class BaselineCustomerView(ModelView):
        datamodel = SQLAInterface(Customer)
        list_columns = ["customer_number", "name", "customer_type", "assigned_to", "active"]
        search_columns = ["name", "customer_number", "identity_number", "assigned_to"]
        add_columns = ["customer_number", "name", "customer_type", "identity_number"]
        base_order = ("name", "asc")

        @action("assign_bench", "Assign", multiple=True, single=False)
        def assign_bench(self, items):
            from flask import redirect, request

            technician = int(request.args.get("technician") or request.form.get("technician"))
            for item in items:
                item.assigned_to_id = technician
            self.datamodel.session.commit()
            return redirect("/")

    class BaselineContactView(ModelView):
        datamodel = SQLAInterface(Contact)
        list_columns = ["name", "email", "phone", "customer"]
        search_columns = ["name", "email", "phone"]

    app = make_app(url)
    with app.app_context():
        app.appbuilder.add_view_no_menu(BaselineCustomerView)
        app.appbuilder.add_view_no_menu(BaselineContactView)
        app.appbuilder.add_view_no_menu(BaselineOrderView)
        app.appbuilder.add_permissions(update_perms=True)
        sync_roles(app.appbuilder.sm)
        db.session.remove()
    return app


def login(app):
    client = app.test_client()
    response = client.post("/login/", data={"username": "bench", "password": PASSWORD})
    assert response.status_code == 302 and "/login" not in (response.location or ""), "bench login failed"
    return client


def page_time(client, path: str, runs: int) -> dict:
    for _ in range(2):
        response = client.get(path)
        assert response.status_code == 200, (path, response.status_code)
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        response = client.get(path)
        response.get_data()
        times.append((time.perf_counter() - started) * 1000)
    return {"median_ms": round(statistics.median(times), 1), "max_ms": round(max(times), 1)}


def probes(app) -> dict:
    """Search terms taken from the data: specific ones (one customer) and a broad one."""
    from flask_appbuilder.security.sqla.models import User
    from sqlalchemy import func, select

    from app.extensions import db
    from app.models import Contact, Customer

    with app.app_context():
        session = db.session
        total = session.execute(select(func.count()).select_from(Customer)).scalar()
        middle = session.execute(select(Customer).order_by(Customer.id).offset(total // 2).limit(1)).scalar()
        contact = session.execute(select(Contact).where(Contact.customer_id == middle.id).order_by(Contact.id)).scalar()
        technician = session.execute(select(User.id).where(User.username == "tech01")).scalar()
        company = session.execute(select(Customer).where(Customer.customer_type == "company",
                                                         Customer.id > middle.id).order_by(Customer.id).limit(1)).scalar()
        surname = middle.name.split()[0]
        from app.models import Order

        orders = session.execute(select(Order.id).limit(1)).scalar() is not None
        ordered = session.execute(select(Order.customer_id).where(Order.customer_id >= middle.id)
                                  .order_by(Order.customer_id).limit(1)).scalar() if orders else None
        per_customer = session.execute(select(func.count()).select_from(Order)
                                       .where(Order.customer_id == ordered)).scalar() if orders else 0
        orders_total = session.execute(select(func.max(Order.id))).scalar() if orders else 0
        email_part = contact.email.split("@")[0]
        result = {
            "total": total, "name": middle.name, "broad": surname, "contact": contact.name, "email": email_part,
            "technician": technician, "contact_surname": contact.name.split()[-1], "phone": contact.phone,
            "organisation_number": company.identity_number,
            "orders": orders, "ordered_customer": ordered, "orders_of_customer": per_customer,
            "orders_total": orders_total,
        }
        session.remove()
    return result


def quote(text: str) -> str:
    from urllib.parse import quote_plus

    return quote_plus(text)


def measure_pages(app, runs: int) -> list[tuple]:
    client = login(app)
    p = probes(app)
    rows = []

    def both(label, ours, theirs):
        ours_t = page_time(client, ours, runs)
        theirs_t = page_time(client, theirs, runs) if theirs else None
        rows.append((label, ours_t, theirs_t))
        print(f"{label:55s} app {ours_t['median_ms']:8.1f} ms   FAB {theirs_t['median_ms'] if theirs_t else '-':>8} ms",
              flush=True)

    b, c = "/baselinecustomerview/list/", "/baselinecontactview/list/"
    both("List, first page", "/customers/", b)
    both("List, page 1000", "/customers/?page=1000", f"{b}?page_BaselineCustomerView=999")
    both(f"Search customer name, one customer (\"{p['name']}\")", f"/customers/?q={quote(p['name'])}",
         f"{b}?_flt_2_name={quote(p['name'])}")
    both(f"Search contact name (\"{p['contact']}\")", f"/customers/?q={quote(p['contact'])}",
         f"{c}?_flt_2_name={quote(p['contact'])}")
    both(f"Search e-mail substring (\"{p['email']}\")", f"/customers/?q={quote(p['email'])}",
         f"{c}?_flt_2_email={quote(p['email'])}")
    both(f"Search, broad term (\"{p['broad']}\", thousands of matches)", f"/customers/?q={quote(p['broad'])}",
         f"{b}?_flt_2_name={quote(p['broad'])}")
    both("Search, two letters (\"ab\")", "/customers/?q=ab", f"{b}?_flt_2_name=ab")
    both(f"Search, contact surname (\"{p['contact_surname']}\")", f"/customers/?q={quote(p['contact_surname'])}",
         f"{c}?_flt_2_name={quote(p['contact_surname'])}")
    both(f"Search phone number (\"{p['phone']}\")", f"/customers/?q={quote(p['phone'])}",
         f"{c}?_flt_2_phone={quote(p['phone'])}")
    both(f"Search organisation number (\"{p['organisation_number']}\")",
         f"/customers/?q={quote(p['organisation_number'])}", f"{b}?_flt_2_identity_number={quote(p['organisation_number'])}")
    both("Filter by technician", f"/customers/?assigned={p['technician']}",
         f"{b}?_flt_0_assigned_to={p['technician']}")
    if p["orders"]:
        o = "/baselineorderview/list/"
        ordered = p["ordered_customer"]
        both(f"Customer card with its three order lists ({p['orders_of_customer']} orders)", f"/customers/{ordered}",
             f"{o}?_flt_0_customer={ordered}")
        both("Order list, first page", "/orders/", o)
        both(f"Order list, search customer name (\"{p['name']}\")", f"/orders/?q={quote(p['name'])}", None)
    return rows


# -- child processes: export and import ----------------------------------------------------------


def rss_mb(field: str = "VmRSS") -> float:
    with open("/proc/self/status") as handle:
        for line in handle:
            if line.startswith(f"{field}:"):
                return int(line.split()[1]) / 1024
    return 0.0


def peak_mb() -> float:
    """This process's peak resident size. Not ru_maxrss: Linux carries that over from the parent
    across fork and exec, so a child would report its parent's peak."""
    return rss_mb("VmHWM")


def child_export(url: str, fmt: str, query: str) -> dict:
    app = make_app(url)
    app.config["EXPORT_BACKGROUND_FROM"] = 10 ** 9  # streamed in the request (a worker's own run: worker.py)
    client = login(app)
    client.get("/customers/")  # warm-up
    before = rss_mb()
    started = time.perf_counter()
    response = client.get(f"/customers/export?format={fmt}&{query}", buffered=False)
    size = 0
    lines = 0
    for chunk in response.response:
        size += len(chunk)
        lines += chunk.count(b"\n")
    seconds = time.perf_counter() - started
    peak = peak_mb()
    return {"seconds": round(seconds, 2), "bytes": size, "rows": lines - 1 if fmt == "csv" else None,
            "rss_before_mb": round(before, 1), "peak_mb": round(peak, 1), "growth_mb": round(peak - before, 1)}


def write_import_file(path: Path, rows: int) -> None:
    from stdnum import luhn

    with path.open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle, delimiter=";")
        writer.writerow(["Kundnummer", "Namn", "Kundtyp", "Organisationsnummer", "Gatuadress", "Postnummer", "Ort",
                         "Besöksadress", "Besöksadress: Ort", "Kontaktperson", "E-post", "Telefon", "Avtalsnummer"])
        for i in range(rows):
            first9 = "559" + f"{i % 10 ** 6:06d}"
            digits = first9 + luhn.calc_check_digit(first9)
            writer.writerow([IMPORT_BASE + i, f"Importerad Kund {i} AB", "Företag", f"{digits[:6]}-{digits[6:]}",
                             f"Importgatan {i % 90 + 1}", "11455", "Stockholm", f"Besöksvägen {i % 40 + 1}", "Solna",
                             f"Kontakt {i}", f"kontakt{i}@import.exempel.se", "070-123 45 67",
                             f"IMP-{i}" if i % 3 == 0 else ""])


def child_import(url: str, path: str) -> dict:
    import io  # noqa: F401

    from app.commands import import_register
    from app.extensions import db

    app = make_app(url)
    phases = {}
    with app.app_context():
        before = rss_mb()
        started = time.perf_counter()

        def progress(phase, done, total):  # a phase lasts from the previous phase's end to its last batch
            now = time.perf_counter()
            if phase not in phases:
                phases[phase] = [max([v[1] for v in phases.values()], default=started), now]
            phases[phase][1] = now

        report, _failed = import_register(db.session, lambda: open(path, "rb"), Path(path).name, None,
                                          progress=progress)
        seconds = time.perf_counter() - started
    peak = peak_mb()
    assert report.ok and report.written, (report.file_error, report.errors[:5])
    return {"seconds": round(seconds, 2), "rows": report.rows, "rows_per_s": round(report.rows / seconds),
            "created": report.created,
            "phases": {k: round(v[1] - v[0], 2) for k, v in phases.items()},
            "rss_before_mb": round(before, 1), "peak_mb": round(peak, 1), "growth_mb": round(peak - before, 1)}


def in_child(*args: str) -> dict:
    result = subprocess.run([sys.executable, __file__, "--child", *args], capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise RuntimeError(result.stderr[-3000:])
    return json.loads(result.stdout.strip().splitlines()[-1])


def delete_imported(app) -> None:
    from sqlalchemy import text

    from app.extensions import db

    with app.app_context():
        with db.engine.begin() as conn:
            ids = f"SELECT id FROM customer WHERE customer_number >= '{IMPORT_BASE}' AND length(customer_number) = 7"
            for table in ("customer_history",):
                if conn.dialect.has_table(conn, table):
                    conn.execute(text(f"DELETE FROM {table} WHERE customer_id IN ({ids})"))
            for table in ("custom_field_value", "contact", "address"):
                conn.execute(text(f"DELETE FROM {table} WHERE customer_id IN ({ids})"))
            conn.execute(text(f"DELETE FROM customer WHERE id IN ({ids})"))
        db.session.remove()


# -- FAB baselines for import and bulk assignment ------------------------------------------------


def fab_add_form_rate(app, count: int = 200) -> float:
    client = login(app)
    started = time.perf_counter()
    for i in range(count):
        response = client.post("/baselinecustomerview/add", data={
            "customer_number": str(IMPORT_BASE + 500_000 + i), "name": f"FAB-formulär {i} AB",
            "customer_type": "company", "identity_number": ""})
        assert response.status_code == 302, response.status_code
    return count / (time.perf_counter() - started)


def bulk_assignment(app, count: int = 10_000) -> tuple[float | None, float]:
    """(our service, FAB action over pages of 100) seconds to assign `count` customers."""
    from flask_appbuilder.security.sqla.models import User
    from sqlalchemy import select

    from app.extensions import db
    from app.models import Customer

    with app.app_context():
        ids = list(db.session.execute(select(Customer.id).order_by(Customer.id).limit(count)).scalars())
        first = db.session.execute(select(User.id).where(User.username == "tech02")).scalar()
        second = db.session.execute(select(User.id).where(User.username == "tech03")).scalar()
        db.session.remove()
    from app.commands import assign_technician
    from app.security.access import SYSTEM

    with app.app_context():
        started = time.perf_counter()
        assign_technician(ids, first, by=SYSTEM)
        ours = time.perf_counter() - started
        db.session.remove()
    client = login(app)
    started = time.perf_counter()
    for start in range(0, len(ids), 100):  # FAB's list shows at most 100 rows to select from
        response = client.post("/baselinecustomerview/action_post",
                               data={"action": "assign_bench", "technician": str(second),
                                     "rowid": [str(i) for i in ids[start:start + 100]]})
        assert response.status_code == 302, response.status_code
    return ours, time.perf_counter() - started


def order_creation(app, runs: int) -> dict:
    """Creating a service order with 20 rows through the commands, as the web and the API do
    (one order, then a row at a time), in milliseconds; the orders are deleted again."""
    from flask_appbuilder.security.sqla.models import User
    from sqlalchemy import delete, select

    from app.commands.orders import add_row, create_order
    from app.extensions import db
    from app.models import Customer, Order

    with app.app_context():
        actor = db.session.execute(select(User).where(User.username == "bench")).scalar()
        customer_id = db.session.execute(select(Customer.id).where(Customer.active.is_(True))
                                         .order_by(Customer.id.desc()).limit(1)).scalar()
        times, created = [], []
        for _ in range(runs + 2):
            started = time.perf_counter()
            order = create_order({"customer_id": customer_id, "kind": "service_order", "description": "Bänk"},
                                 by=actor)
            for n in range(20):
                add_row(order, {"text": f"Rad {n}", "quantity": "2", "unit_price": "695.00"}, by=actor)
            times.append((time.perf_counter() - started) * 1000)
            created.append(order.id)
        db.session.execute(delete(Order).where(Order.id.in_(created)))
        db.session.commit()
        db.session.remove()
    times = times[2:]
    return {"median_ms": round(statistics.median(times), 1), "max_ms": round(max(times), 1)}


def churn_then_search(app, runs: int) -> list[tuple]:
    """10 bulk assignments of 10 000 customers each (the updates that bloat indexes), then the
    narrow name search again, for the app and for plain FAB."""
    from flask_appbuilder.security.sqla.models import User
    from sqlalchemy import select

    from app.commands import assign_technician
    from app.extensions import db
    from app.models import Customer
    from app.security.access import SYSTEM

    with app.app_context():
        technicians = list(db.session.execute(select(User.id).where(User.username.like("tech%"))).scalars())
        for round_number in range(10):
            ids = list(db.session.execute(select(Customer.id).order_by(Customer.id)
                                          .offset(round_number * 10_000).limit(10_000)).scalars())
            assign_technician(ids, technicians[round_number % len(technicians)], by=SYSTEM)
        db.session.remove()
    client = login(app)
    p = probes(app)
    ours = page_time(client, f"/customers/?q={quote(p['name'])}", runs)
    theirs = page_time(client, f"/baselinecustomerview/list/?_flt_2_name={quote(p['name'])}", runs)
    label = f"Search customer name after 10 bulk updates of 10 000 (\"{p['name']}\")"
    print(f"{label:55s} app {ours['median_ms']:8.1f} ms   FAB {theirs['median_ms']:>8} ms", flush=True)
    return [(label, ours, theirs)]


# -- report --------------------------------------------------------------------------------------


def machine() -> str:
    model = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as handle:
            model = next((line.split(":", 1)[1].strip() for line in handle if line.startswith("model name")), model)
    except OSError:
        pass
    with open("/proc/meminfo") as handle:
        memory = int(handle.readline().split()[1]) // (1024 * 1024)
    return f"{os.cpu_count()} × {model}, {memory} GB RAM, {platform.system()} {platform.release()}, Python {platform.python_version()}"


def database_version(app) -> str:
    from sqlalchemy import text

    from app.extensions import db

    with app.app_context():
        if db.engine.dialect.name == "postgresql":
            version = db.session.execute(text("SHOW server_version")).scalar()
            name = f"PostgreSQL {version}"
        else:
            version = db.session.execute(text("SELECT sqlite_version()")).scalar()
            name = f"SQLite {version}"
        db.session.remove()
    return name


def num(value) -> str:
    return f"{value:,}".replace(",", "\u202f") if isinstance(value, int) else str(value)


def section_text(title: str, lines: list[str]) -> str:
    return f"### {title}\n\n" + "\n".join(lines).rstrip() + "\n"


def write_results(title: str, body: list[str]) -> None:
    """Replace (or add) our subsection `title` inside our section; other sections stay as they are."""
    text = RESULTS.read_text() if RESULTS.exists() else "# Benchmark results\n"
    intro = (f"{SECTION}\n\nWritten by `benchmarks/run.py` (see its docstring for what is measured and how); "
             "data from `benchmarks/generate.py`. App = this app's pages and services; FAB = a plain "
             "Flask-AppBuilder ModelView over the same tables, measured in the same run.\n")
    start = text.find(SECTION)
    if start < 0:
        text = text.rstrip() + "\n\n" + intro + "\n"
        start = text.find(SECTION)
    end = text.find("\n## ", start + len(SECTION))
    end = len(text) if end < 0 else end + 1
    section = text[start:end]
    parts = re.split(r"(?m)^(?=### )", section)
    head, subsections = parts[0], parts[1:]
    new = section_text(title, body)
    replaced = False
    for index, part in enumerate(subsections):
        if part.startswith(f"### {title}\n"):
            subsections[index] = new + "\n"
            replaced = True
    if not replaced:
        subsections.append(new + "\n")
    section = head.rstrip() + "\n\n" + "".join(part.rstrip() + "\n\n" for part in subsections).rstrip() + "\n"
    text = text[:start] + section + ("\n" + text[end:] if end < len(text) else "")
    RESULTS.write_text(text.rstrip() + "\n")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url")
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--rows", type=int, default=100_000, help="rows to export and to import")
    parser.add_argument("--write", action="store_true", help="update benchmarks/RESULTS.md")
    parser.add_argument("--pages-only", action="store_true", help="only the page times (a quick look; no --write)")
    parser.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.child:
        kind, url, *rest = args.child
        result = child_export(url, *rest) if kind == "export" else child_import(url, *rest)
        print(json.dumps(result))
        return

    url = args.database_url
    app = bench_app(url)
    p = probes(app)
    started = datetime.datetime.now()
    print(f"{p['total']} customers; {database_version(app)}; {machine()}", flush=True)
    pages = measure_pages(app, args.runs)
    if args.pages_only:
        return

    postgres = url.startswith("postgresql")
    # 10 % of the generated customers are private: at a million that is the 100,000-row export.
    full = "status=all&type=private" if postgres else "status=all"
    small = f"{full}&assigned={p['technician']}"
    exports = {}
    for fmt in ("csv", "xlsx"):
        exports[fmt] = in_child("export", url, fmt, full)
        exports[f"{fmt}-small"] = in_child("export", url, fmt, small)
        print(f"export {fmt}: {exports[fmt]} / smaller: {exports[f'{fmt}-small']}", flush=True)

    import tempfile

    imports = {}
    with tempfile.TemporaryDirectory() as folder:
        for rows in (args.rows, args.rows // 5):
            path = Path(folder) / f"import-{rows}.csv"
            write_import_file(path, rows)
            delete_imported(app)
            imports[rows] = in_child("import", url, str(path))
            print(f"import {rows}: {imports[rows]}", flush=True)
            delete_imported(app)
    fab_rate = fab_add_form_rate(app)
    delete_imported_fab(app)
    ours_assign, fab_assign = bulk_assignment(app)
    print(f"FAB add form: {fab_rate:.0f} customers/s; bulk assignment of 10,000: app {ours_assign} s, "
          f"FAB action {fab_assign:.1f} s", flush=True)
    if p["orders"]:
        creation = order_creation(app, max(3, args.runs // 2))
        pages.append(("Create a service order with 20 rows (21 commands)", creation, None))
        print(f"create order with 20 rows: {creation}", flush=True)
    pages += churn_then_search(app, args.runs)

    if not args.write:
        return
    db_name = database_version(app)
    kind = "PostgreSQL" if postgres else "SQLite"
    title = f"{kind}, {num(p['total'])} customers"
    lines = [
        f"Run {started:%Y-%m-%d %H:%M}; {db_name}; machine: {machine()} (shared with other developers' test runs).",
        f"Data: {num(p['total'])} customers, 2 contacts and 2 addresses each"
        + (f", {num(p['orders_total'])} orders" if p["orders"] else "") + " (`generate.py`).",
        "",
        "| measurement | app | plain FAB ModelView |",
        "| --- | --- | --- |",
    ]
    for label, ours, theirs in pages:
        lines.append(f"| {label} | {ours['median_ms']} ms | {theirs['median_ms'] if theirs else 'n/a'} ms |")
    for fmt, name in (("csv", "CSV"), ("xlsx", "XLSX")):
        e, s = exports[fmt], exports[f"{fmt}-small"]
        rows = num(exports["csv"]["rows"])
        small_rows = num(exports["csv-small"]["rows"])
        lines.append(f"| Export {name}, {rows} rows | {e['seconds']} s; peak memory +{e['growth_mb']} MB "
                     f"(+{s['growth_mb']} MB for {small_rows} rows) | n/a (FAB has no export) |")
    for rows, result in imports.items():
        baseline = f"n/a (no import; its add form: {fab_rate:.0f} customers/s)" if rows == args.rows else ""
        phases = ", ".join(f"{name} {seconds} s" for name, seconds in result["phases"].items())
        lines.append(f"| Import {num(rows)} rows (check, then write; history recorded) | {num(result['rows_per_s'])} "
                     f"rows/s ({result['seconds']} s: {phases}); peak memory +{result['growth_mb']} MB | {baseline} |")
    lines.append(f"| Bulk assignment of 10 000 customers | {f'{ours_assign:.2f} s' if ours_assign else 'n/a'} | "
                 f"{fab_assign:.1f} s (an action, 100 pages of 100 rows) |")
    write_results(title, lines)
    print(f"written to {RESULTS}")


def delete_imported_fab(app) -> None:
    from sqlalchemy import text

    from app.extensions import db

    with app.app_context():
        with db.engine.begin() as conn:
            conn.execute(text("DELETE FROM customer WHERE name LIKE 'FAB-formulär %'"))
        db.session.remove()


if __name__ == "__main__":
    main()
