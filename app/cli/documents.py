"""`flask documents check [--repair]`: find (and remove) objects without rows and rows without objects."""

from datetime import timedelta

import click
from flask.cli import AppGroup, with_appcontext

documents = AppGroup("documents", help="Customer documents (F17).")


@documents.command("check")
@click.option("--repair", is_flag=True, help="Remove orphan objects and the rows whose object is missing.")
@click.option("--min-age", default=60, show_default=True, type=click.IntRange(min=0),
              help="Minutes an unreferenced object must be old to count as orphan (uploads in progress are younger).")
@click.option("--force", is_flag=True, help="Repair even when everything mismatches (normally a wrong configuration).")
@with_appcontext
def check(repair: bool, min_age: int, force: bool) -> None:
    """List orphans either way; exit code 1 when some are found and not repaired."""
    from ..commands.documents import repair_documents
    from ..security.access import SYSTEM
    from ..services.documents import RepairRefused, check_documents
    from ..uploads.storage import StorageError, get_storage

    storage = get_storage()
    try:
        report = check_documents(storage, min_age=timedelta(minutes=min_age))
    except StorageError as exc:
        raise click.ClickException(f"The store ({storage.name}) could not be read: {exc}") from None
    click.echo(f"Store: {storage.name}; {report.objects} objects, {report.rows} document rows.")
    for obj in report.orphan_objects:
        click.echo(f"orphan object (no document row): {obj.key} {obj.size} bytes, "
                   f"stored {obj.modified:%Y-%m-%d %H:%M} UTC")
    for missing in report.missing_objects:
        click.echo(f"missing object: document {missing.document_id} {missing.name!r} of customer "
                   f"{missing.customer_id} (key {missing.storage_key})")
    for upload in report.stale_uploads:
        click.echo(f"unfinished multipart upload: {upload.name} (upload {upload.upload_id}), "
                   f"begun {upload.initiated:%Y-%m-%d %H:%M} UTC")
    if report.young_objects:
        click.echo(f"{report.young_objects} unreferenced object(s) younger than {min_age} min left alone "
                   "(uploads may be in progress).")
    if report.clean:
        click.echo("No orphans.")
        return
    if not repair:
        click.echo(f"{len(report.orphan_objects)} orphan object(s), {len(report.missing_objects)} row(s) "
                   f"without object, {len(report.stale_uploads)} unfinished upload(s). "
                   "Run with --repair to remove them.")
        raise SystemExit(1)
    try:
        objects, rows = repair_documents(report, by=SYSTEM, storage=storage, force=force)
    except RepairRefused as exc:
        raise click.ClickException(str(exc)) from None
    except StorageError as exc:
        raise click.ClickException(f"The store failed during the repair: {exc}") from None
    click.echo(f"Repaired: {objects} orphan object(s) removed, {rows} row(s) without object removed, "
               f"{len(report.stale_uploads)} unfinished upload(s) aborted.")
