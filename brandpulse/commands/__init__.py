"""Command groups of the `brandpulse` CLI beyond the core jobs, one module per family."""
