"""Schemathesis against the project's own OpenAPI document, served by pytest-django's live server.

Every phase (examples, coverage, fuzzing, and the stateful phase over the links Schemathesis infers from the
schema and the responses) and every check class, seeded and bounded. Two users of two organizations, each with a
dataset, a collection and a run of their own, are the "peers" of the object-level authorization check: whatever
one of them reads, the other must not get. The `st` command runs as a subprocess, so its requests cross a real
socket into the server thread, with real API keys. It runs on PostgreSQL only, the production database (whose
refusals, such as NUL, it must meet), which also keeps it to one run in CI.

Where the checks meet a rule no schema can state, the configuration says so on purpose:
- positive_data_acceptance also accepts a 400, the API's answer to a well-formed request that breaks a business
  rule (a name already taken, an unknown metric, a collection of another user); a 422 (malformed) stays a failure.
- generation.allow-x00 is off: NUL cannot be stored by PostgreSQL and is refused everywhere with a 422 naming the
  field (aegis.jsonparts, aegis.middleware), as tests of its own prove.
- schemathesis_hooks.py gives each well-formed create a fresh Idempotency-Key, and drops two readings that are not
  failures: a peer shown the same empty page, and a dry run's 200 report with `"valid": false`.
"""

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from aegis.testing import requires_postgres
from aegis.tests.creates import CollectionCreate, CustomRunCreate, DatasetCreate, content
from conftest import client_for
from runs.models import Run

SEED = 20261202
MAX_EXAMPLES = 15
HOOKS = Path(__file__).with_name("schemathesis_hooks.py")
ST = Path(sys.executable).with_name("st")

live = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def own_objects(user, label: str) -> dict:
    """A dataset (real CSV), a collection and a finished run, made through the API as `user`."""
    client = client_for(user)
    made = {}
    for name, create in (
        ("dataset", DatasetCreate("/api/v1/datasets", ())),
        ("collection", CollectionCreate("/api/v1/data-collections", ())),
        ("run", CustomRunCreate("/api/v1/runs/custom", ())),
    ):
        response = create.send(client, {}, variant=label)
        assert response.status_code == 201, content(response)
        made[name] = json.loads(content(response))["id"]
    assert Run.objects.get(pk=made["run"]).finished_at is not None
    made["key"] = client.raw_key
    return made


def write_config(directory: Path, peers: dict[str, dict]) -> Path:
    auth = {
        "auth": [
            {"name": name, "fixedHeaders": [{"name": "Authorization", "value": f"Bearer {objects['key']}"}]}
            for name, objects in peers.items()
        ]
    }
    (directory / "wfc.json").write_text(json.dumps(auth))
    names = ", ".join(f'"{name}"' for name in peers)
    config = directory / "schemathesis.toml"
    config.write_text(
        f"""
seed = {SEED}
workers = 1

[generation]
max-examples = {MAX_EXAMPLES}
allow-x00 = false

[checks.positive_data_acceptance]
expected-statuses = ["2xx", "3xx", "400", "401", "403", "404", "409", "429"]

[auth.wfc]
path = "{directory / "wfc.json"}"
peers = [{names}]
"""
    )
    return config


def failures_of(output: str) -> str:
    """The report's failures and summary, each line cut short: generated bodies can be megabytes long."""
    start = output.find("FAILURES")
    lines = output[start if start >= 0 else 0 :].splitlines()
    return "\n".join(line if len(line) <= 400 else line[:400] + " ..." for line in lines)[-60_000:]


@requires_postgres
@live
def test_schemathesis_finds_no_failure_of_any_class(live_server, alice, carol, settings, tmp_path):
    # The run sends thousands of requests with two keys: rates are tested in test_throttling.py.
    settings.THROTTLE_RATE = None
    settings.THROTTLE_CREATE_RATE = None
    peers = {"alice": own_objects(alice, "alice"), "carol": own_objects(carol, "carol")}
    config = write_config(tmp_path, peers)

    command = [
        str(ST),
        "--config-file",
        str(config),
        "run",
        f"{live_server.url}/api/schema/",
        "--checks",
        "all",
        "--phases",
        "examples,coverage,fuzzing,stateful",
        "--request-timeout",
        "60",
        "--report",
        "ndjson",
        "--report-dir",
        str(tmp_path / "report"),
    ]
    env = {**os.environ, "SCHEMATHESIS_HOOKS": str(HOOKS), "NO_COLOR": "1", "COLUMNS": "160"}
    result = subprocess.run(command, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=1800)
    output = result.stdout + result.stderr
    assert result.returncode == 0, failures_of(output)
    selected = re.search(r"Selected: (\d+)/(\d+)", output)
    assert selected and selected[1] == selected[2], output[-5_000:]
    assert re.search(r"Stateful \(in [0-9.]+s\)", output), output[-5_000:]
