"""Command line: `flask --app app <command>` (DESIGN.md, "Command line"). One module per group;
commands are entry points like views: they call commands and services, never the reverse."""


def register_cli(app) -> None:
    from .customers import customers
    from .demo import demo
    from .documents import documents
    from .gdpr import gdpr
    from .integrations import integrations
    from .outbox import outbox
    from .security import init_security
    from .translate import translate

    for command in (init_security, customers, demo, translate, outbox, integrations, documents, gdpr):
        app.cli.add_command(command)
