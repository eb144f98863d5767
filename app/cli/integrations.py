"""`flask integrations connect fortnox|visma --code CODE [--redirect-uri URI]` and
`flask integrations sync [--once]` (DESIGN.md, "Command line")."""

import logging
import time

import click
from flask.cli import AppGroup, with_appcontext

from ..models.integrations import ACCOUNTING_PROVIDERS

integrations = AppGroup("integrations", help="Accounting integrations (Fortnox, Visma eAccounting).")
log = logging.getLogger(__name__)


@integrations.command("connect")
@click.argument("provider", type=click.Choice(ACCOUNTING_PROVIDERS))
@click.option("--code", required=True, help="The authorization code the provider returned.")
@click.option("--redirect-uri", default="", help="The redirect URI used when the code was requested.")
@click.option("--service-account", is_flag=True, help="Fortnox: the code was issued for a service account.")
@with_appcontext
def connect(provider: str, code: str, redirect_uri: str, service_account: bool) -> None:
    """Finish the OAuth2 authorization-code flow from the command line; tokens are stored encrypted."""
    from ..integrations.errors import IntegrationError
    from ..services import integration_connections as connections
    from .actor import cli_actor

    try:
        connections.finish_authorization(provider, code=code, redirect_uri=redirect_uri, by=cli_actor(),
                                         service_account=service_account)
    except IntegrationError as exc:
        raise click.ClickException(exc.message) from exc
    click.echo(f"{connections.LABELS[provider]} is connected.")


def sync_round() -> bool:
    """Push the queued changes, then pull every enabled provider once; True when all went well."""
    from ..commands.accounting import pull_all
    from ..services import accounting_outbox, accounting_sync

    ok = True
    providers = accounting_sync.enabled_providers()
    if not providers:
        click.echo("No accounting system is connected with 'sync updated customers' on.")
    sent, failed = accounting_outbox.deliver_now()
    if sent or failed:
        click.echo(f"pushed {sent}, failed {failed} (kept, tried again later)")
    ok = not failed
    result = pull_all()
    for provider, message in result.errors.items():
        click.echo(f"{provider}: {message}", err=True)
        ok = False
    for provider, report in result.reports.items():
        for number, reason in report.failed:
            click.echo(f"{provider}: {number}: {reason}", err=True)
            ok = False
        click.echo(f"{provider}: applied {len(report.applied) + len(report.created)}, conflicts "
                   f"{len(report.conflicts)}, not applied {len(report.failed)}, left for the initial sync "
                   f"{len(report.skipped)}")
    return ok


@integrations.command("sync")
@click.option("--once", is_flag=True, help="One round, then stop; exit code 1 if a provider failed.")
@click.option("--interval", default=60.0, show_default=True, help="Seconds between rounds.")
@with_appcontext
def sync(once: bool, interval: float) -> None:
    """Push queued changes and pull changes from the connected systems, synchronously."""
    while True:
        ok = sync_round()
        if once:
            raise SystemExit(0 if ok else 1)
        time.sleep(interval)
