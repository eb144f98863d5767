"""`flask translate update|compile`: the catalogs, failing loudly (FAB's babel commands don't wait)."""

import subprocess
import sys
from pathlib import Path

import click
from flask.cli import AppGroup

ROOT = Path(__file__).resolve().parent.parent.parent
TRANSLATIONS = ROOT / "translations"

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
    from ..translations_tools import fill_english

    fill_english(TRANSLATIONS / "en" / "LC_MESSAGES" / "messages.po")


@translate.command("compile")
def translate_compile() -> None:
    """Compile the catalogs; fails on a broken catalog."""
    _run("compile", "--statistics", "-d", "translations")
