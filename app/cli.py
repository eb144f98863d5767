"""Command-line interface: `flask --app app <command>` (DESIGN.md, "Command line")."""

import subprocess
import sys
from pathlib import Path

import click
from flask import current_app
from flask.cli import AppGroup, with_appcontext

ROOT = Path(__file__).resolve().parent.parent
TRANSLATIONS = ROOT / "translations"


def cli_actor() -> str:
    """Who the history names for changes made from the command line."""
    import getpass

    try:
        return f"cli:{getpass.getuser()}"
    except (KeyError, OSError):
        return "cli"


@click.command("init-security")
@with_appcontext
def init_security() -> None:
    """Create or update every right and the built-in roles (idempotent)."""
    from flask_appbuilder.security.manager import BaseSecurityManager

    from .security.roles import sync_roles

    appbuilder = current_app.appbuilder
    # FAB's own Admin/Public roles, without SecurityManager.create_db's create_all (FAB-NOTES §1.3).
    BaseSecurityManager.create_db(appbuilder.sm)
    appbuilder.add_permissions(update_perms=True)
    sync_roles(appbuilder.sm)
    click.echo("Rights and roles are up to date.")


demo = AppGroup("demo", help="Example data for a first look.")


@demo.command("load")
@click.option("--customers", default=240, show_default=True, help="How many customers to create.")
@click.option("--seed", default=2026, show_default=True)
@with_appcontext
def demo_load(customers: int, seed: int) -> None:
    """Load a realistic Swedish customer register (skipped if customers exist)."""
    from .commands.demo import load_demo
    from .services.history import acting_as

    with acting_as(cli_actor()):
        created = load_demo(customers, seed)
    click.echo(f"Demo data: {created} customers created." if created else "Demo data already present.")


outbox = AppGroup("outbox", help="Deliver queued e-mails and accounting syncs.")


@outbox.command("deliver")
@click.option("--once", is_flag=True, help="Deliver what is due now and stop.")
@click.option("--interval", default=10.0, show_default=True, help="Seconds between rounds.")
@with_appcontext
def outbox_deliver(once: bool, interval: float) -> None:
    """Send due messages over SMTP (MAIL_SERVER); failures are retried with back-off."""
    import time

    from .services.outbox import deliver

    if not current_app.config.get("MAIL_SERVER"):
        click.echo("MAIL_SERVER is not set: messages stay queued.")
        return
    while True:
        sent, failed = deliver()
        if sent or failed:
            click.echo(f"Sent {sent}, failed {failed} (will be retried).")
        if once:
            break
        time.sleep(interval)


translate = AppGroup("translate", help="Extract, update and compile the catalogs.")


def _run(*args: str) -> None:
    """Run pybabel and stop loudly when it fails (FAB's babel commands don't wait)."""
    result = subprocess.run([sys.executable, "-m", "babel.messages.frontend", *args], cwd=ROOT)
    if result.returncode != 0:
        raise click.ClickException(f"pybabel {args[0]} failed with exit code {result.returncode}")


@translate.command("update")
def translate_update() -> None:
    """Extract every string into messages.pot and merge it into each catalog."""
    _run("extract", "-F", "translations/babel.cfg", "-k", "_l", "-k", "lazy_gettext", "--no-location",
         "--sort-output", "-o", "translations/messages.pot", "app")
    for language in ("sv", "en"):
        if not (TRANSLATIONS / language / "LC_MESSAGES" / "messages.po").exists():
            _run("init", "-i", "translations/messages.pot", "-d", "translations", "-l", language)
    _run("update", "-N", "--ignore-obsolete", "-i", "translations/messages.pot", "-d", "translations")
    from .translations_tools import fill_english

    fill_english(TRANSLATIONS / "en" / "LC_MESSAGES" / "messages.po")


@translate.command("compile")
def translate_compile() -> None:
    """Compile the catalogs; fails on a broken catalog."""
    _run("compile", "--statistics", "-d", "translations")


def register_cli(app) -> None:
    app.cli.add_command(init_security)
    from .cli_customers import customers

    app.cli.add_command(customers)
    app.cli.add_command(demo)
    app.cli.add_command(translate)
    app.cli.add_command(outbox)
    from .integrations.cli import integrations
    from .uploads.cli import documents

    app.cli.add_command(integrations)
    app.cli.add_command(documents)
