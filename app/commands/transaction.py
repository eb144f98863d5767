"""One unit of work per command: everything commits together or nothing does."""

import contextlib

from ..extensions import db
from ..security.access import actor_name, is_system
from ..services.history import acting_as, attributed

_DEPTH = "command_depth"
SCOPE_CHECKED = "scope_checked"  # (actor, customer id, for_edit) -> customer, for this transaction


def in_transaction(session) -> bool:
    return session.info.get(_DEPTH, 0) > 0


@contextlib.contextmanager
def transaction(by=None, session=None):
    """Commit at the end of the outermost block; on any error roll everything back.

    Nested blocks (a command calling another, or the importer writing a batch of
    customers through the customer commands) join the outer transaction, so a batch is
    still one commit. A command validates before it writes, so an `Invalid` raised by an
    inner command has written nothing; any other error ends the whole unit of work.
    History entries written inside are attributed to `by`.
    """
    session = session or db.session
    depth = session.info.get(_DEPTH, 0)
    session.info[_DEPTH] = depth + 1
    attribution = contextlib.nullcontext()
    if depth == 0 and by is not None and not attributed():
        attribution = acting_as(actor_name(by), None if is_system(by) else by.id)
    try:
        with attribution:
            yield session
            if depth == 0:
                session.commit()
    except BaseException:
        if depth == 0:
            session.rollback()
        raise
    finally:
        session.info[_DEPTH] = depth
        if depth == 0:
            session.info.pop(SCOPE_CHECKED, None)
