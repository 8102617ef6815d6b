"""The store's exceptions."""

# brandpulse is installed from a clone (README, Quickstart): no package index has it, and a name there could be
# anyone's.
UPGRADE_BRANDPULSE = "upgrade brandpulse where it is installed (in its clone: git pull, then pip install .)"


class StoreError(Exception):
    """Base of every error raised by the store."""


class DiskFull(StoreError):
    """The store's disk (or its size limit) is full: nothing more can be written until space is freed."""


class ServerUnavailable(StoreError):
    """The database server cannot serve the store now (connection lost, out of memory, too many connections)."""


class ConnectionLost(ServerUnavailable):
    """The connection to the database server `target` was lost mid-command (`error`: the driver's word); `then` says
    what to do once the server is back, for the command that met it."""

    SERVICE = "then run again (the service's next run reconnects)"
    # A command run by hand (ingest, alerts ack): no service runs it again.
    COMMAND = "then run the command again (an ingest skips the lines it stored before, as duplicates)"

    def __init__(self, target: str, error: str, then: str = SERVICE):
        super().__init__(f"PostgreSQL store {target}: connection to the server lost ({error}); nothing half-written is "
                         f"kept: check that the server is running and reachable, {then}")
        self.target, self.error, self.then = target, error, then


class RoleRefused(StoreError):
    """The PostgreSQL server refused the store's role a right it needs (SQLSTATE 42501); `refusal` is its word."""

    def __init__(self, refusal: str):
        super().__init__(f"the PostgreSQL store refused this role: {refusal}; brandpulse needs CREATE on the schema "
                         "to create or upgrade its tables, and SELECT, INSERT, UPDATE, DELETE on them to run")
        self.refusal = refusal


class QueryError(StoreError):
    """A query the store cannot run: an unknown column, or a search the FTS5 syntax rejects."""


class ZoneError(QueryError):
    """A time zone stats cannot cut buckets in: unknown, or unknown to the store's database server."""


class WindowBoundError(QueryError):
    """A stats window the store cannot count as asked; `bound` is 'since' or 'until' when that bound of the window
    is why, None when it is a mention."""

    def __init__(self, message: str, bound: str | None = None):
        super().__init__(message)
        self.bound = bound


class CalendarEdgeError(WindowBoundError):
    """A stats window or mention whose bucket in its time zone would start before year 1 or end after 9999, where
    Python's calendar ends."""


class FutureWindowError(WindowBoundError):
    """A stats window that starts after now: none of its buckets has begun, so none holds a mention yet."""


class SearchSyntaxError(QueryError):
    """The --search expression is not valid search syntax."""


# A search term neither index holds, in the words of both stores.
WORDLESS_TERM = ("{term!r} has no word to search for (only letters and digits are indexed, not emoji, symbols or "
                 "punctuation)")


def server_failure(exc: BaseException) -> StoreError | None:
    """The store error that a database server's failure means, when no code of ours could have prevented it: the
    connection lost mid-command (the server stopped or restarted) or a permission the role lacks. None otherwise."""
    if not type(exc).__module__.startswith("psycopg"):
        return None
    import psycopg

    first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    if isinstance(exc, psycopg.errors.InsufficientPrivilege):
        return RoleRefused(first)
    if isinstance(exc, psycopg.OperationalError):
        return StoreError(f"the PostgreSQL store failed: {first}; nothing half-written is kept, so run it again")
    return None
