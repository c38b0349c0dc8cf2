"""The `aegis` command against a real server: pytest-django's live_server (a threaded HTTP server on loopback).

The CLI runs in-process through click's CliRunner, and once as the installed console script in a subprocess.
Each test gets its own key for alice (the root conftest's user) and a config directory of its own, so nothing on
this machine (a real ~/.config/aegis/config.toml, AEGIS_* variables) leaks in.
"""

import json
import os
import shutil
import socket
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from accounts.services import api_key_create
from click.testing import CliRunner
from datasets.models import Dataset, Record
from django.urls import Resolver404, resolve
from runs.models import Evaluation, Run

from aegis_cli import waiting
from aegis_cli.client import ApiClient, is_unsupported
from aegis_cli.commands import datasets as datasets_commands
from aegis_cli.config import Settings
from aegis_cli.errors import CliError
from aegis_cli.main import cli
from aegis_cli.transfer import CountingReader

# The live server shares the database with the test only outside a test transaction; the catalog tables
# (metrics, models, dataset types) are migration data, restored for each test by the serialized rollback.
live = pytest.mark.django_db(transaction=True, serialized_rollback=True)

CSV = "prompt,output,golden_answer\nq1,4,4\nq2,five,5\nq3,7,7\n"


@pytest.fixture
def key(alice):
    _, raw_key = api_key_create(user=alice, name="cli")
    return raw_key


@pytest.fixture
def cli_env(monkeypatch, tmp_path):
    """No AEGIS_* variable and an empty config home: each test says where the server is."""
    for name in ("AEGIS_URL", "AEGIS_API_KEY", "AEGIS_CONFIG", "AEGIS_TIMEOUT", "COLUMNS"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config-home"))
    monkeypatch.chdir(tmp_path)
    return tmp_path


@pytest.fixture
def server(live_server, key, cli_env, monkeypatch):
    monkeypatch.setenv("AEGIS_URL", live_server.url)
    monkeypatch.setenv("AEGIS_API_KEY", key)
    return live_server


def aegis(*args, expect: int | None = 0):
    result = CliRunner().invoke(cli, [str(arg) for arg in args], catch_exceptions=False)
    if expect is not None:
        shown = f"exit {result.exit_code}\nstdout:\n{result.stdout}\nstderr:\n{result.stderr}"
        assert result.exit_code == expect, shown
    return result


def write_csv(directory: Path, text: str = CSV, name: str = "set.csv") -> Path:
    path = directory / name
    path.write_text(text, encoding="utf-8")
    return path


def upload(directory: Path, name: str, *metrics: str) -> int:
    result = aegis("--json", "upload", write_csv(directory, name=f"{name}.csv"), *metrics, "--name", name)
    return json.loads(result.stdout)["id"]


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def served(path: str) -> bool:
    try:
        resolve(path)
    except Resolver404:
        return False
    return True


# Uploads


@live
def test_upload_maps_metric_shortnames_to_ids_and_creates_the_dataset(server, cli_env, alice):
    path = write_csv(cli_env)
    result = aegis("upload", path, "--metric", "exact_match:70", "-m", 'json_equal:80:{"ignore_extra_keys":true}')

    dataset = Dataset.objects.get(name="set")
    assert result.stdout.strip() == f"Created dataset {dataset.pk} 'set' with 3 records."
    assert dataset.user == alice
    assert dataset.selected_metrics == {
        "1": {"threshold": 70, "metric_args": None},
        "2": {"threshold": 80, "metric_args": {"ignore_extra_keys": True}},
    }
    assert list(Record.objects.filter(dataset=dataset).order_by("id").values_list("output", flat=True)) == [
        "4",
        "five",
        "7",
    ]
    assert "Uploaded set.csv, storing" in result.stderr  # the bar's last state


@live
def test_upload_without_a_threshold_uses_the_metric_default_and_json_is_the_minimal_body(server, cli_env):
    result = aegis("upload", write_csv(cli_env), "-m", "is_numeric", "--name", "Numbers", "--json")

    body = json.loads(result.stdout)
    assert body["name"] == "Numbers"
    assert body["record_count"] == 3
    assert "records" not in body  # Prefer: return=minimal
    assert body["selected_metrics"] == {"9": {"threshold": 100, "metric_args": None}}


@live
def test_upload_sends_a_large_file_in_chunks_with_a_progress_bar(server, cli_env, monkeypatch):
    rows = "".join(f"question {i},answer {i} {'x' * 40},answer {i}\n" for i in range(6000))
    path = write_csv(cli_env, "prompt,output,golden_answer\n" + rows, name="big.csv")
    reads = []
    original = CountingReader.read

    def recording_read(self, size=-1):
        chunk = original(self, size)
        reads.append(len(chunk))
        return chunk

    monkeypatch.setattr(CountingReader, "read", recording_read)
    result = aegis("upload", path, "-m", "exact_match:100")

    size = path.stat().st_size
    assert size > 300_000
    assert sum(reads) == size
    assert max(reads) <= 64 * 1024 < size  # never the whole file at once
    assert "with 6000 records" in result.stdout
    assert "big.csv" in result.stderr


def test_upload_sends_the_form_fields_before_the_file(cli_env, monkeypatch):
    # The server stores a file as it arrives only when the fields it needs came first (README: send the fields first).
    sent = []

    def answer(request):
        sent.append(request.read())
        return httpx.Response(201, json={"id": 1, "name": "First", "record_count": 3})

    settings = Settings(url="http://aegis.test", api_key="sk_x", timeout=5)
    canned_client = ApiClient(settings, transport=httpx.MockTransport(answer))
    monkeypatch.setattr(datasets_commands, "client", lambda: canned_client)
    aegis("upload", write_csv(cli_env), "-m", "1:70", "--name", "First", "--map", "prompt=question")

    (body,) = sent
    file_at = body.index(b'name="file"')
    for field in (b"selected_metrics", b"name", b"column_mappings"):
        assert body.index(b'name="' + field + b'"') < file_at, field


@live
def test_upload_reads_metrics_from_a_json_file_and_column_mappings(server, cli_env):
    (cli_env / "metrics.json").write_text(json.dumps({"exact_match": 60, "2": {"threshold": 90}}))
    path = write_csv(cli_env, "question,output,golden_answer\nq,a,a\n")
    aegis("upload", path, "--metrics-file", cli_env / "metrics.json", "--map", "prompt=question", "--name", "Mapped")

    dataset = Dataset.objects.get(name="Mapped")
    assert dataset.selected_metrics == {
        "1": {"threshold": 60, "metric_args": None},
        "2": {"threshold": 90, "metric_args": None},
    }
    assert dataset.column_mappings == {"prompt": "question"}
    assert Record.objects.get(dataset=dataset).prompt == "q"


@live
def test_upload_of_an_unknown_metric_is_a_usage_error_and_sends_nothing(server, cli_env):
    result = aegis("upload", write_csv(cli_env), "-m", "no_such_metric:50", expect=2)

    assert "unknown metric 'no_such_metric'" in result.stderr
    assert not Dataset.objects.filter(name="set").exists()


@live
def test_an_api_error_prints_its_detail_and_exits_1(server, cli_env):
    aegis("upload", write_csv(cli_env), "-m", "exact_match")
    result = aegis("upload", write_csv(cli_env), "-m", "exact_match", expect=1)

    assert "HTTP 400: A dataset named 'set' already exists" in result.stderr
    assert Dataset.objects.filter(name="set").count() == 1


@live
def test_an_api_error_with_json_is_a_json_object_on_stderr(server):
    result = aegis("--json", "datasets", "show", 987654, expect=1)

    assert result.stdout == ""
    assert json.loads(result.stderr) == {
        "error": "HTTP 404: Dataset 987654 not found.",
        "exit_code": 1,
        "status": 404,
        "detail": "Dataset 987654 not found.",
    }


@live
def test_dry_run_checks_the_upload_and_stores_nothing(server, cli_env):
    result = aegis("upload", write_csv(cli_env), "-m", "exact_match:70", "--dry-run")
    assert "set.csv would be accepted: 3 records" in result.stdout
    assert "Nothing was stored" in result.stdout

    bad = write_csv(cli_env, "prompt,output\nq1,a,b\n", name="ragged.csv")
    refused = aegis("upload", bad, "-m", "1:70", "--dry-run", expect=1)
    assert "ragged.csv would be refused: 1 problem(s)" in refused.stderr
    assert "[file] line 2" in refused.stderr

    report = json.loads(aegis("--json", "upload", write_csv(cli_env), "-m", "1:70", "--dry-run").stdout)
    assert (report["valid"], report["row_count"], report["problems"]) == (True, 3, [])
    assert not Dataset.objects.exists()


@live
def test_creates_carry_an_idempotency_key_and_wait_out_a_429(server, cli_env, settings, alice):
    from accounts.models import IdempotencyKey

    settings.THROTTLE_CREATE_RATE = "1/s"
    first = aegis("upload", write_csv(cli_env, name="one.csv"), "-m", "1:70")
    second = aegis("upload", write_csv(cli_env, name="two.csv"), "-m", "1:70")

    assert "HTTP 429" not in first.stderr
    assert "HTTP 429: trying again in 1s (1/5)" in second.stderr
    assert sorted(Dataset.objects.values_list("name", flat=True)) == ["one", "two"]
    # One key per command, the same on both attempts of the second: the 429 was not kept, the retry created once.
    assert IdempotencyKey.objects.filter(user=alice).count() == 2


# Datasets


@live
def test_datasets_list_show_and_delete(server, cli_env):
    first = upload(cli_env, "Alpha", "-m", "exact_match:70")
    second = upload(cli_env, "Beta", "-m", "is_numeric:90")

    listing = aegis("datasets", "list")
    assert "Alpha" in listing.stdout and "Beta" in listing.stdout
    assert "exact_match:70" in listing.stdout and "is_numeric:90" in listing.stdout

    body = json.loads(aegis("datasets", "list", "--search", "alp", "--json").stdout)
    assert [item["id"] for item in body["items"]] == [first]
    assert body["meta"]["total_items"] == 1

    shown = aegis("datasets", "show", second, "--records", 2)
    assert "Beta" in shown.stdout and "is_numeric" in shown.stdout
    assert "First 2 records" in shown.stdout and "five" in shown.stdout
    assert json.loads(aegis("--json", "datasets", "show", second).stdout)["record_count"] == 3

    refused = aegis("datasets", "delete", second, expect=2)  # no terminal to ask, no --yes
    assert "--yes" in refused.stderr
    assert Dataset.objects.filter(pk=second).exists()

    assert aegis("datasets", "delete", second, "--yes").stdout.strip() == f"Deleted dataset {second}."
    assert not Dataset.objects.filter(pk=second).exists()
    assert "Dataset" in aegis("datasets", "show", second, expect=1).stderr


# Runs


@live
def test_run_wait_follows_the_run_and_prints_the_aggregate_table(server, cli_env):
    dataset_id = upload(cli_env, "Structural", "-m", "exact_match:70", "-m", "is_numeric:100")

    result = aegis("run", dataset_id, "--threshold", 50, "--wait", "--alias", "cli smoke")

    run = Run.objects.get(alias="cli smoke")
    assert run.finished_at is not None
    assert not Evaluation.objects.filter(run=run, finished_at__isnull=True).exists()
    assert f"Run {run.pk} results" in result.stdout
    lines = result.stdout.splitlines()
    assert any("exact_match" in line and "66.67" in line for line in lines)
    assert any("is_numeric" in line and "66.67" in line for line in lines)
    assert any("result" in line and "66.67" in line for line in lines)
    assert any("total cost" in line and "0.000000000000000" in line for line in lines)
    assert "6/6" in result.stderr  # the progress bar, evaluations done out of total


@live
def test_run_wait_with_json_prints_the_finished_run(server, cli_env):
    dataset_id = upload(cli_env, "Json run", "-m", "exact_match:70")

    body = json.loads(aegis("run", dataset_id, "--wait", "--json").stdout)

    assert body["finished_at"] is not None
    assert body["aggregate_results"] == {"exact_match": pytest.approx(66.667, abs=0.01)}
    assert body["total_cost"] == "0.000000000000000"


@live
def test_run_without_wait_answers_at_once_and_says_how_to_follow(server, cli_env):
    dataset_id = upload(cli_env, "No wait", "-m", "exact_match:70")

    result = aegis("run", dataset_id)

    run = Run.objects.get(dataset_id=dataset_id)
    assert result.stdout.strip() == f"Started run {run.pk} on dataset 'No wait': 3 evaluations."
    assert f"aegis runs wait {run.pk}" in result.stderr
    aegis("runs", "wait", run.pk)  # lets the background scoring end inside this test


@live
def test_run_custom_from_a_json_file(server, cli_env):
    body = {
        "evaluations": [
            {
                "metrics": ["exact_match", {"metric": "json_equal", "metric_args": {"ignore_order": True}}],
                "data": [{"output": "[1, 2]", "golden_answer": "[2, 1]"}],
            }
        ]
    }
    (cli_env / "custom.json").write_text(json.dumps(body))

    result = aegis("run", "--custom", cli_env / "custom.json", "--alias", "inline", "--wait", "--json")

    run = json.loads(result.stdout)
    assert run["run_type"] == "Custom"
    assert run["aggregate_results"] == {"exact_match": 0, "json_equal": 100}


@live
def test_ctrl_c_while_waiting_stops_waiting_not_the_run(server, cli_env, monkeypatch):
    dataset_id = upload(cli_env, "Interrupted", "-m", "exact_match:70")

    def interrupt(seconds):
        raise KeyboardInterrupt

    with monkeypatch.context() as patch:
        patch.setattr(waiting, "is_finished", lambda run: False)
        patch.setattr(waiting, "sleep", interrupt)  # this module's pause only: the server thread sleeps too
        result = aegis("run", dataset_id, "--wait", expect=130)

    run = Run.objects.get(dataset_id=dataset_id)
    assert f"Resume with: aegis runs wait {run.pk}" in result.stderr
    assert "Error" not in result.stderr
    aegis("runs", "wait", run.pk)
    run.refresh_from_db()
    assert run.finished_at is not None  # the run went on


def test_ctrl_c_outside_a_wait_exits_130_not_1(cli_env, monkeypatch):
    # Interrupted before anything is sent: a request cut off mid-body would leave the live server still busy
    # with it while the test's tables are emptied.
    def interrupt(path):
        raise KeyboardInterrupt

    monkeypatch.setattr(datasets_commands, "upload_reader", interrupt)
    result = aegis(
        "--url", "http://127.0.0.1:9", "--api-key", "sk_x", "upload", write_csv(cli_env), "-m", "1:70", expect=130
    )

    assert "Interrupted." in result.stderr
    assert "Aborted" not in result.stderr


@live
def test_runs_show_prints_status_and_aggregates(server, cli_env):
    dataset_id = upload(cli_env, "Shown", "-m", "exact_match:70")
    run_id = json.loads(aegis("run", dataset_id, "--wait", "--json").stdout)["id"]

    result = aegis("runs", "show", run_id, "--evaluations")

    assert "finished" in result.stdout
    assert "3/3 done, 0 failed" in result.stdout
    assert "Aggregate results" in result.stdout and "Evaluations" in result.stdout
    assert "output differs from golden_answer" in result.stdout


@live
def test_runs_list_cancel_and_retry_work_or_say_the_server_lacks_them(server, cli_env):
    dataset_id = upload(cli_env, "Features", "-m", "exact_match:70")
    run_id = json.loads(aegis("run", dataset_id, "--wait", "--json").stdout)["id"]

    for args, path, feature in [
        (["runs", "list", "--json"], "/api/v1/runs", "listing runs"),
        (["runs", "cancel", run_id], f"/api/v1/runs/{run_id}/cancel", "cancelling runs"),
        (["runs", "retry", run_id], f"/api/v1/runs/{run_id}/retry", "retrying runs"),
    ]:
        result = aegis(*args, expect=None)
        if served(path):
            assert "does not support" not in result.stderr, result.stderr
        else:
            assert result.exit_code == 1
            assert f"this server does not support {feature}" in result.stderr
    if served("/api/v1/runs"):
        listed = json.loads(aegis("runs", "list", "--json").stdout)
        assert run_id in [item["id"] for item in listed["items"]]
    aegis("runs", "wait", run_id)  # a retried run ends inside this test, before the tables are emptied


@live
def test_report_downloads_the_csv(server, cli_env):
    dataset_id = upload(cli_env, "Reported", "-m", "exact_match:70", "-m", "is_numeric:100")
    run_id = json.loads(aegis("run", dataset_id, "--wait", "--json").stdout)["id"]

    result = aegis("report", run_id)

    target = cli_env / f"run_{run_id}_report.csv"
    data = target.read_bytes()
    lines = data.decode("utf-8").splitlines()
    assert lines[0].split(",")[-3:] == ["metric_id", "shortname", "name"]
    assert len(lines) == 1 + 6
    assert result.stdout.strip() == f"Wrote {len(data)} bytes to {target.name}."
    assert f"Run {run_id} report" in result.stderr
    assert not list(cli_env.glob(".*.part"))

    again = aegis("report", run_id, expect=2)
    assert "--force" in again.stderr
    body = json.loads(aegis("report", run_id, "-o", cli_env / "copy.csv", "--json").stdout)
    assert body == {"run_id": run_id, "path": str(cli_env / "copy.csv"), "bytes": len(data)}
    assert (cli_env / "copy.csv").read_bytes() == data
    assert aegis("report", run_id, "-o", "-").stdout_bytes == data


@live
def test_report_of_an_unknown_run_is_exit_1_and_writes_nothing(server, cli_env):
    result = aegis("report", 424242, expect=1)

    assert "HTTP 404: Run 424242 not found." in result.stderr
    assert not list(cli_env.glob("*.csv")) and not list(cli_env.glob(".*.part"))


# Evaluate, metrics, models


@live
def test_evaluate_scores_one_row(server):
    result = aegis("evaluate", "exact_match", "--output", "Paris", "--golden", "paris", "--arg", "case_sensitive=false")
    assert any("result" in line and "100" in line for line in result.stdout.splitlines())

    body = json.loads(
        aegis("evaluate", "word_ct_match", "--output", "three short words", "--arg", "max_count=2", "--json").stdout
    )
    assert body["metric_shortname"] == "word_ct_match"
    assert body["result"] == 0
    assert body["metric_args"]["max_count"] == 2


@live
def test_evaluate_an_unknown_metric_is_the_api_404(server):
    result = aegis("evaluate", "no_such_metric", "--output", "x", expect=1)
    assert "HTTP 404" in result.stderr and "no_such_metric" in result.stderr


@live
def test_metrics_and_models(server):
    table = aegis("metrics").stdout
    assert "exact_match" in table and "json_equal" in table

    catalog = json.loads(aegis("metrics", "--json").stdout)
    assert {"id": 1, "shortname": "exact_match"}.items() <= catalog[0].items()
    structural = json.loads(aegis("metrics", "--category", "structural", "--json").stdout)
    assert len(structural) == 23

    one = aegis("metrics", "exact_match").stdout
    assert "case_sensitive" in one and "strip_whitespace" in one

    models = aegis("models").stdout
    assert "gpt-4o" in models
    assert "gpt-4o" in [model["slug"] for model in json.loads(aegis("--json", "models").stdout)]


# Configuration and exit codes


def test_a_missing_key_exits_2(cli_env):
    result = aegis("--url", "http://127.0.0.1:9", "models", expect=2)
    assert "no API key" in result.stderr


def test_a_closed_port_exits_3(cli_env):
    result = aegis("--url", f"http://127.0.0.1:{closed_port()}", "--api-key", "sk_" + "0" * 32, "models", expect=3)
    assert "cannot reach the server" in result.stderr


@live
def test_a_bad_key_is_the_api_401_exit_1(server):
    result = aegis("--api-key", "sk_" + "0" * 32, "models", expect=1)
    assert "HTTP 401" in result.stderr and "AEGIS_API_KEY" in result.stderr


@live
def test_the_config_file_supplies_url_and_key_and_flags_override_it(live_server, key, cli_env):
    default = cli_env / "config-home" / "aegis" / "config.toml"
    default.parent.mkdir(parents=True)
    default.write_text(f'url = "{live_server.url}"\napi_key = "{key}"\n')
    assert "gpt-4o" in aegis("models").stdout

    aegis("--url", f"http://127.0.0.1:{closed_port()}", "models", expect=3)

    other = cli_env / "other.toml"
    other.write_text(f'url = "{live_server.url}"\napi_key = "sk_{"1" * 32}"\n')
    assert "HTTP 401" in aegis("--config", other, "models", expect=1).stderr


def test_a_broken_config_file_exits_2(cli_env):
    bad = cli_env / "bad.toml"
    bad.write_text('apikey = "sk_x"\n')
    assert "unknown key 'apikey'" in aegis("--config", bad, "models", expect=2).stderr
    bad.write_text("url = \n")
    assert "not valid TOML" in aegis("--config", bad, "models", expect=2).stderr
    assert "does not exist" in aegis("--config", cli_env / "missing.toml", "models", expect=2).stderr


def test_usage_errors_exit_2(cli_env):
    assert aegis("run", expect=2).exit_code == 2
    assert "DATASET_ID or --custom" in aegis("--api-key", "sk_x", "run", expect=2).stderr
    assert aegis("upload", cli_env / "missing.csv", "-m", "exact_match", expect=2).exit_code == 2


# The client's error mapping, on canned answers


def canned(status: int, body: bytes, content_type: str = "application/json") -> ApiClient:
    def answer(request):
        return httpx.Response(status, content=body, headers={"Content-Type": content_type})

    transport = httpx.MockTransport(answer)
    return ApiClient(Settings(url="http://aegis.test", api_key="sk_x", timeout=5), transport=transport)


def test_field_errors_and_list_details_are_shown():
    with pytest.raises(CliError) as caught:
        canned(422, b'{"detail": "The request is not valid.", "errors": {"page": ["Not an integer."]}}').get("/x")
    assert caught.value.message == "HTTP 422: The request is not valid."
    assert caught.value.errors == {"page": ["Not an integer."]}
    assert caught.value.exit_code == 1

    with pytest.raises(CliError) as caught:
        canned(422, b'{"detail": [{"loc": ["body", "name"], "msg": "field required"}]}').get("/x")
    assert caught.value.message == "HTTP 422: body.name: field required"


def test_a_non_json_error_page_is_reported_by_status_and_counts_as_unsupported_on_404():
    with pytest.raises(CliError) as caught:
        canned(502, b"<html><body>Bad gateway</body></html>", "text/html").get("/x")
    assert caught.value.message.startswith("HTTP 502 Bad Gateway: <html>")

    with pytest.raises(CliError) as caught:
        canned(404, b"<html>Page not found</html>", "text/html").get("/runs")
    assert is_unsupported(caught.value)
    with pytest.raises(CliError) as caught:
        canned(404, b'{"detail": "Run 5 not found."}').post("/runs/5/cancel")
    assert not is_unsupported(caught.value)


def test_a_redirect_is_reported_not_followed():
    transport = httpx.MockTransport(lambda request: httpx.Response(301, headers={"Location": "https://aegis.test/"}))
    client = ApiClient(Settings(url="http://aegis.test", api_key="sk_x", timeout=5), transport=transport)
    with pytest.raises(CliError) as caught:
        client.get("/models")
    assert "redirected" in caught.value.message and "https://aegis.test/" in caught.value.message


def test_progress_comes_from_the_server_or_from_the_evaluations():
    assert waiting.run_progress({"progress": {"total": 10, "done": 4, "failed": 1}}) == (10, 4, 1)
    evaluations = [
        {"finished_at": "2026-01-01T00:00:00Z", "is_success": True},
        {"finished_at": "2026-01-01T00:00:00Z", "is_success": False},
        {"finished_at": None, "is_success": None},
    ]
    assert waiting.run_progress({"evaluations": evaluations}) == (3, 2, 1)
    assert waiting.run_progress({}) == (None, 0, 0)
    assert waiting.is_finished({"status": "cancelled", "finished_at": None})
    assert not waiting.is_finished({"status": "running", "finished_at": None})


# The installed console script


@live
def test_the_installed_console_script_runs_as_a_subprocess(server, key, cli_env):
    script = shutil.which("aegis", path=str(Path(sys.executable).parent))
    assert script, "the aegis console script is not installed in this environment: run `bash scripts/setup`"
    env = {**os.environ, "AEGIS_URL": server.url, "AEGIS_API_KEY": key}
    path = write_csv(cli_env, name="sub.csv")

    created = subprocess.run(
        [script, "upload", str(path), "-m", "exact_match:70", "--json"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert created.returncode == 0, created.stderr
    dataset_id = json.loads(created.stdout)["id"]
    assert Dataset.objects.get(pk=dataset_id).name == "sub"

    missing = subprocess.run(
        [script, "datasets", "show", "999999"], env=env, capture_output=True, text=True, timeout=60
    )
    assert missing.returncode == 1
    assert "Dataset 999999 not found." in missing.stderr
