"""Test helpers: markers, and a loopback stand-in for the LLM providers' HTTP APIs (`aegis.testing.llm_server`).

This package shadows the old `aegis/testing.py` module, so `requires_postgres` lives here now. It is built on first
use because it asks Django for the database vendor, and the server's command line runs without Django settings.
"""


def __getattr__(name: str):
    if name == "requires_postgres":
        import pytest
        from django.db import connection

        marker = pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL")
        globals()[name] = marker
        return marker
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
