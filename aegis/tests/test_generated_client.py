"""A Python client generated from the served OpenAPI document (openapi-python-client, offline) runs a whole workflow
against the live test server: upload with and without `Prefer: return=minimal`, run, read, download, delete.

It checks the document is complete enough for generated code: both body shapes of `Prefer`, optional multipart
fields left out (not sent as "None"), the fields each answer always carries marked required.
"""

import importlib
import shutil
import subprocess
import sys
from io import BytesIO
from pathlib import Path

import httpx
import pytest

from accounts.services import api_key_create
from datasets.models import Dataset
from runs.models import Run

pytest.importorskip("openapi_python_client", reason="openapi-python-client is not installed")

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

PACKAGE = "aegis_api_client"
CSV = b"prompt,output,golden_answer\nq1,4,4\nq2,five,5\nq3,7,7\n"
# No post hooks: the generated code is imported as written (formatting it would only take time).
CONFIG = f"post_hooks: []\npackage_name_override: {PACKAGE}\n"


@pytest.fixture(scope="module")
def generated(live_server, tmp_path_factory, django_db_blocker):
    """The client package, generated from /api/schema/ of the running server and importable."""
    directory = tmp_path_factory.mktemp("generated-client")
    schema = directory / "schema.json"
    with django_db_blocker.unblock():  # the server reads the catalog while it builds the document
        answer = httpx.get(f"{live_server.url}/api/schema/?format=json", timeout=60)
    assert answer.status_code == 200, answer.text[:500]
    schema.write_bytes(answer.content)
    (directory / "config.yaml").write_text(CONFIG)
    command = shutil.which("openapi-python-client", path=str(Path(sys.executable).parent))
    assert command, "openapi-python-client is in requirements.txt; its command must be beside this Python"
    done = subprocess.run(
        [command, "generate", "--path", str(schema), "--config", str(directory / "config.yaml"), "--meta", "none"]
        + ["--output-path", str(directory / PACKAGE)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0 and "Warning" not in done.stdout + done.stderr, done.stdout + done.stderr
    sys.path.insert(0, str(directory))
    try:
        yield importlib.import_module(PACKAGE)
    finally:
        sys.path.remove(str(directory))
        for name in [name for name in sys.modules if name == PACKAGE or name.startswith(f"{PACKAGE}.")]:
            del sys.modules[name]


def module(name: str):
    return importlib.import_module(f"{PACKAGE}.{name}")


def test_generated_client_workflow(generated, live_server, alice):
    _, key = api_key_create(user=alice, name="generated")
    client = generated.AuthenticatedClient(base_url=live_server.url, token=key, raise_on_unexpected_status=True)
    models = module("models")
    types = module("types")
    create = module("api.datasets.datasets_create")

    def body(name: str):
        # Only the file and the metrics: every optional field stays UNSET and is left out of the form.
        return models.DatasetCreateInputRequest(
            file=types.File(payload=BytesIO(CSV), file_name=f"{name}.csv", mime_type="text/csv"),
            selected_metrics='{"1": {"threshold": 70}}',
        )

    full = create.sync_detailed(client=client, body=body("full-set"))
    assert full.status_code == 201
    assert isinstance(full.parsed, models.DatasetFullOut)
    assert (full.parsed.name, full.parsed.data_collection_id, full.parsed.column_mappings) == ("full-set", None, None)
    assert [record.golden_answer for record in full.parsed.records] == ["4", "5", "7"]

    minimal = create.sync_detailed(client=client, body=body("minimal-set"), prefer="return=minimal")
    assert minimal.status_code == 201
    assert isinstance(minimal.parsed, models.DatasetMinimalOut)
    assert minimal.parsed.record_count == 3
    assert minimal.headers["Preference-Applied"] == "return=minimal"

    run_body = models.RunDatasetCreateInputRequest(dataset_id=full.parsed.id, is_blocking=True)
    run = module("api.runs.runs_dataset_create").sync(client=client, body=run_body)
    assert isinstance(run, models.RunFullOut)
    assert [evaluation.result for evaluation in run.evaluations] == [100.0, 0.0, 100.0]

    read = module("api.runs.runs_retrieve").sync(run.id, client=client, prefer="return=minimal")
    assert isinstance(read, models.RunMinimalOut)
    assert (read.id, read.status) == (run.id, "finished")
    dataset = module("api.datasets.datasets_retrieve").sync(full.parsed.id, client=client)
    assert isinstance(dataset, models.DatasetFullOut)
    assert [summary.id for summary in dataset.runs] == [run.id]
    listed = module("api.datasets.datasets_list").sync(client=client)
    assert sorted(item.name for item in listed.items) == ["full-set", "minimal-set"]

    report = module("api.runs.runs_download_retrieve").sync(run.id, client=client)
    lines = report.strip().splitlines()
    assert len(lines) == 1 + 3 and all("exact_match" in line for line in lines[1:])

    for dataset_id in (full.parsed.id, minimal.parsed.id):
        assert module("api.datasets.datasets_destroy").sync_detailed(dataset_id, client=client).status_code == 204
    assert module("api.runs.runs_destroy").sync_detailed(run.id, client=client).status_code == 204
    gone = module("api.datasets.datasets_retrieve").sync_detailed(full.parsed.id, client=client)
    assert gone.status_code == 404 and isinstance(gone.parsed, models.ErrorOut)
    assert not Dataset.objects.exists() and not Run.objects.exists()


def test_generated_client_reads_errors_as_the_error_shape(generated, live_server, alice):
    _, key = api_key_create(user=alice, name="generated")
    client = generated.AuthenticatedClient(base_url=live_server.url, token=key)
    models = module("models")
    bad = models.DatasetCreateInputRequest(
        file=module("types").File(payload=BytesIO(CSV), file_name="bad.csv"), selected_metrics='{"999": {}}'
    )
    answer = module("api.datasets.datasets_create").sync_detailed(client=client, body=bad)
    assert answer.status_code == 400
    assert isinstance(answer.parsed, models.ErrorOut) and answer.parsed.detail
    assert not Dataset.objects.exists()
