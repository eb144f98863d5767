"""Engine-level set-up shared by both databases, and a case-insensitive substring match.

SQLite's LOWER()/LIKE fold only ASCII, so "åsa" would not find "Åsa"; we register a
Python `kr_fold` function on every SQLite connection. PostgreSQL's ILIKE folds Unicode
(and is served by the pg_trgm indexes).
"""

from sqlalchemy import event, func
from sqlalchemy.engine import Engine


def fold(text: str) -> str:
    return text.casefold()


def _sqlite_fold(value):
    return None if value is None else str(value).casefold()


def install_engine_hooks(engine: Engine) -> None:
    if engine.dialect.name != "sqlite" or getattr(engine, "_kundregister_hooks", False):
        return

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):
        dbapi_connection.create_function("kr_fold", 1, _sqlite_fold, deterministic=True)
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.close()

    engine._kundregister_hooks = True


def like_escape(term: str) -> str:
    return term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def contains_ci(column, term: str, dialect_name: str):
    """`column` contains `term`, ignoring case (Unicode-aware on both databases)."""
    if dialect_name == "sqlite":
        return func.kr_fold(column).like(f"%{like_escape(fold(term))}%", escape="\\")
    return column.ilike(f"%{like_escape(term)}%", escape="\\")


def include_object(dialect_name: str):
    """Alembic's `include_object` hook for `dialect_name`: leaves out the indexes that exist
    only on another database (declared with `Index(...).ddl_if(dialect=...)`, such as the
    PostgreSQL pg_trgm indexes), which autogenerate and the model-vs-migration comparison
    would otherwise report as missing on SQLite."""

    def include(obj, _name, type_, _reflected, _compare_to):
        if type_ == "index":
            condition = getattr(obj, "_ddl_if", None)
            if condition is not None and condition.dialect and condition.dialect != dialect_name:
                return False
        return True

    return include
