"""brandpulse: the composition root that wires collectors, sentiment, store and alerts together."""

__version__ = "0.1.0"
