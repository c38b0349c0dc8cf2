"""The environment of a run: a throwaway database, the app prepared in it, and gunicorn serving it (one sync worker);
the shared pieces (databases, processes, /proc, py-spy) are bench/harness.py's."""

import os
from pathlib import Path

import harness

ROOT = harness.ROOT
PYTHON = harness.VENV_BIN / "python"
PY_SPY = harness.VENV_BIN / "py-spy"
EMAIL = "bench@aegis.local"


def server_env(database: str, app_dir: Path) -> dict[str, str]:
    return {
        **os.environ,
        **harness.DEPLOYED,
        "DATABASE_URL": f"postgres://postgres@127.0.0.1:5432/{database}",
        "MAX_UPLOAD_BYTES": "2000000000",
        "AEGIS_BENCH_APP_DIR": str(app_dir),
    }


def prepare_app(env: dict[str, str]) -> str:
    """Migrates, creates the bench user and returns a fresh API key."""
    app_dir = Path(env["AEGIS_BENCH_APP_DIR"])
    harness.manage(env, "migrate", "--noinput", cwd=app_dir)
    create_user = f"from accounts.models import User; User.objects.create_user(email='{EMAIL}', password='x')"
    harness.manage(env, "shell", "-c", create_user, cwd=app_dir)
    return harness.manage(env, "create_api_key", EMAIL, cwd=app_dir).strip().splitlines()[-1]


def gunicorn(env: dict[str, str], key: str, log: Path):
    """One sync worker serving the tree of `env` (a context manager; `.worker` is its pid)."""
    return harness.gunicorn(cwd=Path(env["AEGIS_BENCH_APP_DIR"]), env=env, log=log, key=key, timeout=600)
