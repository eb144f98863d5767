"""`flask outbox deliver [--once]`: send queued e-mails and accounting syncs synchronously (scripts;
workers use Celery)."""

import click
from flask import current_app
from flask.cli import AppGroup, with_appcontext

outbox = AppGroup("outbox", help="Deliver queued e-mails and accounting syncs.")


@outbox.command("deliver")
@click.option("--once", is_flag=True, help="Deliver what is due now and stop.")
@click.option("--interval", default=10.0, show_default=True, help="Seconds between rounds.")
@with_appcontext
def outbox_deliver(once: bool, interval: float) -> None:
    """Send due messages (e-mail over SMTP, accounting syncs); failures are retried with back-off."""
    import time

    from ..services.outbox import deliver, enabled_kinds

    if not current_app.config.get("MAIL_SERVER"):
        click.echo("MAIL_SERVER is not set: e-mails stay queued.")
    if not enabled_kinds(current_app.config):
        return
    while True:
        sent, failed = deliver()
        if sent or failed:
            click.echo(f"Sent {sent}, failed {failed} (will be retried).")
        if once:
            break
        time.sleep(interval)
