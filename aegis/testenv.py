"""Loaded by pytest before Django's settings: tests use the local defaults unless the environment says otherwise."""

import os

os.environ.setdefault("DEBUG", "1")
