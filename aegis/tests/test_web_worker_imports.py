"""A web worker loads what serving requests needs, not the judge SDKs or numpy (about 95 MB between them): they are
imported at the first judge call or run comparison, so an upload's worker stays small (see bench/ingest.py)."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent.parent
LOADED_ON_DEMAND = ("anthropic", "openai", "httpx", "numpy")

PROGRAM = f"""
import sys
from django.core.wsgi import get_wsgi_application
from django.urls import get_resolver

get_wsgi_application()
get_resolver().url_patterns  # every view module, as the first request imports them
print(",".join(name for name in {LOADED_ON_DEMAND!r} if name in sys.modules))
"""


def test_serving_requests_does_not_import_the_judge_sdks_or_numpy():
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "aegis.settings", "DEBUG": "1"}
    done = subprocess.run(
        [sys.executable, "-W", "ignore", "-c", PROGRAM], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == ""


def test_a_judge_client_still_gets_its_sdk():
    from metrics.judges.backends import ClientSettings, make_client

    settings = ClientSettings(api_key="k", base_url="http://127.0.0.1:9", timeout=1.0, max_retries=0)
    assert type(make_client("anthropic", settings)).__name__ == "AsyncAnthropic"
    assert type(make_client("openai", settings)).__name__ == "AsyncOpenAI"
