"""CLI command groups, one module each, registered at the end of `brandpulse/cli.py`."""
