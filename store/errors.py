"""The store's exception base."""


class StoreError(Exception):
    """Base of every error raised by the store."""
