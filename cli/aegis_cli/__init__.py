"""The `aegis` command: the Aegis REST API from a terminal or a script. It speaks HTTP only."""

__version__ = "0.1.0"
