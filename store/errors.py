"""The store's exceptions."""


class StoreError(Exception):
    """Base of every error raised by the store."""


class QueryError(StoreError):
    """A query the store cannot run: an unknown column, or a search the FTS5 syntax rejects."""


class SearchSyntaxError(QueryError):
    """The --search expression is not valid search syntax."""
