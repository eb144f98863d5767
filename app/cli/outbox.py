"""`flask outbox deliver [--once]`: send queued e-mails synchronously (scripts; workers use Celery)."""

import click
from flask import current_app
from flask.cli import AppGroup, with_appcontext

outbox = AppGroup("outbox", help="Deliver queued e-mails and accounting syncs.")


@outbox.command("deliver")
@click.option("--once", is_flag=True, help="Deliver what is due now and stop.")
@click.option("--interval", default=10.0, show_default=True, help="Seconds between rounds.")
@with_appcontext
def outbox_deliver(once: bool, interval: float) -> None:
    """Send due messages over SMTP (MAIL_SERVER); failures are retried with back-off."""
    import time

    from ..services.outbox import deliver

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
