import pytest
from django.db import connection

requires_postgres = pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL")
