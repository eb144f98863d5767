"""`flask init-security`: rights and built-in roles, idempotent (run after every upgrade)."""

import logging

import click
from flask import current_app
from flask.cli import with_appcontext


@click.command("init-security")
@with_appcontext
def init_security() -> None:
    """Create or update every right and the built-in roles (idempotent)."""
    from flask_appbuilder.security.manager import BaseSecurityManager

    from ..security.roles import sync_roles

    appbuilder = current_app.appbuilder
    # FAB's own Admin/Public roles, without SecurityManager.create_db's create_all (FAB-NOTES §1.3).
    # Its "No user yet created" warning is replaced by the hint below, which names our way.
    fab_log = logging.getLogger("flask_appbuilder.security.manager")
    level = fab_log.level
    fab_log.setLevel(logging.ERROR)
    try:
        BaseSecurityManager.create_db(appbuilder.sm)
    finally:
        fab_log.setLevel(level)
    appbuilder.add_permissions(update_perms=True)
    sync_roles(appbuilder.sm)
    click.echo("Rights and roles are up to date.")
    if not appbuilder.sm.get_all_users():
        click.echo("No users yet: `make run` creates the administrator login, or run "
                   "`flask fab create-admin` (production).")
