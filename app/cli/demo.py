"""`flask demo load`: example data for a first look."""

import click
from flask.cli import AppGroup, with_appcontext

from .actor import cli_actor

demo = AppGroup("demo", help="Example data for a first look.")


@demo.command("load")
@click.option("--customers", default=240, show_default=True, help="How many customers to create.")
@click.option("--seed", default=2026, show_default=True)
@with_appcontext
def demo_load(customers: int, seed: int) -> None:
    """Load a realistic Swedish customer register (skipped if customers exist)."""
    from ..commands.demo import load_demo
    from ..services.history import acting_as

    with acting_as(cli_actor()):
        created = load_demo(customers, seed)
    click.echo(f"Demo data: {created} customers created." if created else "Demo data already present.")
