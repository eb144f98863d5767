"""`flask gdpr extract|erase` (issue 15; DESIGN.md "Command line"): one person's data."""

import json
from pathlib import Path

import click
from flask import current_app
from flask.cli import AppGroup, with_appcontext

gdpr = AppGroup("gdpr", help="One person's stored data: extract it (Art. 15/20) or erase it (Art. 17).")


def _by(username: str | None):
    from ..security.access import SYSTEM

    if not username:
        return SYSTEM
    user = current_app.appbuilder.sm.find_user(username=username)
    if user is None:
        raise click.BadParameter(f"no user {username!r}", param_hint="--user")
    return user


@gdpr.command("extract")
@click.option("--personnummer", default=None, help="A private customer's (or ROT/RUT) personnummer.")
@click.option("--email", default=None, help="A contact person's or customer user's e-mail address.")
@click.argument("out", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--user", "username", help="Act as this user (needs the right); default: the system.")
@with_appcontext
def extract_command(personnummer: str | None, email: str | None, out: Path, username: str | None) -> None:
    """Write every stored personal datum of one person to OUT (JSON). Exit code 0 only when written."""
    from ..commands.gdpr import extract_person
    from ..errors import Invalid, NotAllowed, NotFound

    if bool(personnummer) == bool(email):
        raise click.UsageError("Give exactly one of --personnummer and --email.")
    try:
        data = extract_person(by=_by(username), personnummer=personnummer, email=email)
    except NotFound:
        raise click.ClickException("Nothing is stored about this person.") from None
    except (Invalid, NotAllowed) as exc:
        raise click.ClickException(str(exc)) from None
    out.write_text(json.dumps(data, ensure_ascii=False, indent=2), encoding="utf-8")
    click.echo(f"{len(data['customers'])} customer(s), {len(data['contacts'])} contact(s), "
               f"{len(data['customer_users'])} login(s) written to {out}.")


@gdpr.command("erase")
@click.option("--customer", "customer_number", default=None, help="A private customer's number.")
@click.option("--email", default=None, help="A contact person's or customer user's e-mail address.")
@click.option("--yes", is_flag=True, help="Erase without asking.")
@click.option("--user", "username", help="Act as this user (needs the right); default: the system.")
@with_appcontext
def erase_command(customer_number: str | None, email: str | None, yes: bool, username: str | None) -> None:
    """Anonymise one person everywhere. Exit code 0 only when done."""
    from ..commands.gdpr import erase_person, person_for
    from ..errors import Invalid, NotAllowed, NotFound
    from ..extensions import db
    from ..services.history import acting_as
    from .actor import cli_actor

    if bool(customer_number) == bool(email):
        raise click.UsageError("Give exactly one of --customer and --email.")
    by = _by(username)
    with acting_as(by.username, by.id) if username else acting_as(cli_actor()):
        try:
            person = person_for(db.session, by=by, customer_number=customer_number, email=email)
        except NotFound:
            raise click.ClickException("Nothing is stored about this person.") from None
        except (Invalid, NotAllowed) as exc:
            raise click.ClickException(str(exc)) from None
        click.echo(f"To erase: {len(person.customers)} customer(s), {len(person.contacts)} contact(s), "
                   f"{len(person.users)} login(s). Order and accounting facts are kept (bokföringslagen).")
        db.session.rollback()
        if not yes and not click.confirm("Erase?", default=False):
            click.echo("Nothing was erased.")
            raise SystemExit(1)
        try:
            done = erase_person(by=by, customer_number=customer_number, email=email)
        except NotFound:
            raise click.ClickException("Nothing is stored about this person.") from None
        except (Invalid, NotAllowed) as exc:
            raise click.ClickException(str(exc)) from None
    click.echo("Erased: " + ", ".join(f"{what} {count}" for what, count in done.items()) + ".")
