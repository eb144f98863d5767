"""Command-line interface: `flask --app app <command>` (DESIGN.md, "Command line")."""

import subprocess
import sys
from pathlib import Path

import click
from flask import current_app
from flask.cli import AppGroup, with_appcontext

ROOT = Path(__file__).resolve().parent.parent
TRANSLATIONS = ROOT / "translations"


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
    from .services.demo import load_demo

    created = load_demo(customers, seed)
    click.echo(f"Demo data: {created} customers created." if created else "Demo data already present.")


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
    app.cli.add_command(demo)
    app.cli.add_command(translate)
