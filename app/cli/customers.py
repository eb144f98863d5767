"""`flask customers import|export` (F24, F22; DESIGN.md "Command line")."""

import contextlib
import sys
from pathlib import Path

import click
from flask import current_app
from flask.cli import AppGroup, with_appcontext
from flask_babel import force_locale

customers = AppGroup("customers", help="Upload a customer register, export the customer list.")


def _user(username: str | None):
    if not username:
        return None
    user = current_app.appbuilder.sm.find_user(username=username)
    if user is None:
        raise click.BadParameter(f"no user {username!r}", param_hint="--user")
    return user


def _language_option(func):
    return click.option("--language", default=None, help="Language of headers and messages (default: the app's).")(
        func)


@customers.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--dry-run", is_flag=True, help="Validate every row; write nothing.")
@click.option("--mode", type=click.Choice(["insert", "update", "upsert"]), default="insert", show_default=True)
@click.option("--valid-only", is_flag=True, help="Import the valid customers and report the others.")
@click.option("--failed-rows", type=click.Path(dir_okay=False, path_type=Path),
              help="Write the failed rows, with an error column, to this CSV file.")
@click.option("--allow-duplicates", is_flag=True,
              help="Insert mode: also add customers that look like existing ones (listed in the report).")
@click.option("--user", "username", help="Import as this user (rights and history); default: the system.")
@_language_option
@with_appcontext
def import_command(file: Path, dry_run: bool, mode: str, valid_only: bool, failed_rows: Path | None,
                   allow_duplicates: bool, username: str | None, language: str | None) -> None:
    """Import customers from FILE (.xlsx or .csv). Exit code 0 only when every row was valid."""
    from ..commands.imports import import_register
    from ..extensions import db
    from ..services.history import acting_as
    from ..services.importer import ImportNotAllowed
    from .actor import cli_actor

    user = _user(username)
    locale = language or current_app.config.get("BABEL_DEFAULT_LOCALE", "sv")
    with contextlib.ExitStack() as stack:
        stack.enter_context(force_locale(locale))
        stack.enter_context(acting_as(user.username, user.id) if user is not None else acting_as(cli_actor()))
        bar = stack.enter_context(click.progressbar(length=1, label="Checking", file=sys.stderr))
        state = {"phase": None}

        def progress(phase, done, total):
            if phase != state["phase"]:
                state["phase"] = phase
                bar.label = "Importing" if phase == "writing" else "Checking"
                bar.pos = 0
            bar.length = max(total or 0, done, 1)
            bar.update(done - bar.pos)

        try:
            report, failed = import_register(db.session, lambda: file.open("rb"), file.name, user, mode=mode,
                                             dry_run=dry_run, valid_only=valid_only, progress=progress,
                                             allow_duplicates=allow_duplicates)
        except ImportNotAllowed as exc:
            raise click.ClickException(str(exc)) from None
        bar.render_finish()
        _print_report(report)
        if failed and failed_rows:
            failed_rows.write_bytes(failed)
            click.echo(f"Failed rows: {failed_rows}")
    if not report.ok:
        raise SystemExit(1)


def _print_report(report) -> None:
    if report.file_error:
        click.echo(f"Error: {report.file_error}", err=True)
        return
    for error in report.errors[:100]:
        click.echo(f"row {error.row}, {error.column}: {error.message}", err=True)
    if report.error_count > 100:
        click.echo(f"… and {report.error_count - 100} more errors (see --failed-rows).", err=True)
    for row, name, existing in report.duplicates[:100]:
        click.echo(f"row {row}: {name} may already exist: {existing}", err=True)
    verb = "would be" if report.dry_run else "were"
    click.echo(f"{report.rows} rows, {report.customers} customers: {report.created} {verb} added, "
               f"{report.updated} {verb} updated, {report.contacts} contacts added; {report.error_count} errors.")
    if report.dry_run:
        click.echo("Dry run: nothing was written.")
    elif not report.written and report.error_count:
        click.echo("Nothing was imported because of the errors (use --valid-only to import the valid rows).")


@customers.command("export")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--format", "fmt", type=click.Choice(["csv", "xlsx"]), default=None,
              help="Default: from the file name's extension, else csv.")
@click.option("--user", "username", help="Export what this user sees, with their columns; default: everything.")
@click.option("--columns", type=click.Choice(["all", "user"]), default="all", show_default=True)
@_language_option
@with_appcontext
def export_command(file: Path, fmt: str | None, username: str | None, columns: str, language: str | None) -> None:
    """Export the customer list (every customer, all columns by default) to FILE."""
    from ..extensions import db
    from ..services.exporter import export_to_path
    from ..services.list_choice import resolve_list

    user = _user(username)
    fmt = fmt or ("xlsx" if file.suffix.lower() == ".xlsx" else "csv")
    locale = language or current_app.config.get("BABEL_DEFAULT_LOCALE", "sv")
    with force_locale(locale):
        listing = resolve_list(db.session, {"status": "all"}, user)
        count = export_to_path(db.session, listing, user, file, fmt, all_columns=(columns == "all" or user is None),
                               unscoped=user is None)
    click.echo(f"{count} customers exported to {file}.")


@customers.command("merge")
@click.argument("survivor_number")
@click.argument("merged_number")
@click.option("--take", "take", multiple=True, metavar="FIELD",
              help="Take this field's value from the merged customer (repeatable); see the plan for the names.")
@click.option("--keep", "keep", multiple=True, metavar="FIELD",
              help="Keep the survivor's value of this field even where it is empty (repeatable).")
@click.option("--yes", is_flag=True, help="Merge without asking.")
@click.option("--user", "username", help="Merge as this user (rights and history); default: the system.")
@with_appcontext
def merge_command(survivor_number: str, merged_number: str, take: tuple, keep: tuple, yes: bool,
                  username: str | None) -> None:
    """Merge customer MERGED_NUMBER into SURVIVOR_NUMBER (the second disappears into the first).

    Exit code 0 only when the customers were merged."""
    from ..commands.merge import MERGED, SURVIVOR, customers_by_number, merge_customers, merge_plan
    from ..errors import Invalid, NotAllowed, NotFound
    from ..extensions import db
    from ..security.access import SYSTEM
    from ..services.history import acting_as
    from .actor import cli_actor

    user = _user(username)
    by = user if user is not None else SYSTEM
    choices = {**{key: SURVIVOR for key in keep}, **{key: MERGED for key in take}}
    with acting_as(user.username, user.id) if user is not None else acting_as(cli_actor()):
        try:
            survivor, merged = customers_by_number(survivor_number, merged_number, by=by, session=db.session)
        except NotFound:
            raise click.ClickException("No such customer (give two customer numbers).") from None
        plan = merge_plan(survivor, merged, db.session, choices)
        unknown = sorted(set(choices) - {line.key for line in plan})
        if unknown:
            raise click.ClickException(f"Unknown field(s): {', '.join(unknown)}")
        click.echo(f"Merge {merged.customer_number} {merged.name} into {survivor.customer_number} {survivor.name}:")
        for line in plan:
            if line.survivor or line.merged:
                mark = "<-" if line.choice == MERGED else "  "
                click.echo(f"  {line.key:32} {line.survivor[:30]:30} {mark} {line.merged[:30]}")
        if not yes and not click.confirm("Merge?", default=False):
            click.echo("Nothing was merged.")
            raise SystemExit(1)
        try:
            merge_customers(survivor.id, merged.id, by=by, choices=choices)
        except (Invalid, NotAllowed, NotFound) as exc:
            raise click.ClickException(str(exc)) from None
    click.echo(f"Merged: {merged_number} is now part of {survivor_number}.")
