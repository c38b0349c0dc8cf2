"""`aegis compare` against the live test server: two runs of one dataset, its second version changing outputs."""

import json

import httpx
import pytest
import test_cli
from test_cli import aegis, live, upload

# The live server, its key and a clean configuration, as the other CLI tests have them.
key, cli_env, server = test_cli.key, test_cli.cli_env, test_cli.server

# Version 2 changes the outputs only: q2 becomes right (and numeric), q3 becomes wrong. Records match by content.
V2 = "prompt,output,golden_answer\nq1,4,4\nq2,5,5\nq3,8,7\n"


def api(server, key, method, path, **kwargs):
    headers = {"Authorization": f"Bearer {key}"}
    response = httpx.request(method, f"{server.url}/api/v1{path}", headers=headers, timeout=30, **kwargs)
    assert response.is_success, response.text
    return response.json()


@pytest.fixture
def pair(server, key, cli_env):
    """(dataset id, base run id, head run id): a run on each version of a two-metric dataset."""
    dataset_id = upload(cli_env, "Compared", "-m", "exact_match:70", "-m", "is_numeric:100")
    base = json.loads(aegis("run", dataset_id, "--wait", "--json").stdout)["id"]
    files = {"file": ("v2.csv", V2.encode(), "text/csv")}
    api(server, key, "POST", f"/datasets/{dataset_id}/versions", files=files)
    head = json.loads(aegis("run", dataset_id, "--wait", "--json").stdout)["id"]
    return dataset_id, base, head


def line_with(text: str, *needles: str) -> str:
    [line] = [line for line in text.splitlines() if all(needle in line for needle in needles)]
    return line


def counts(line: str) -> list[str]:
    """The last three cells of a table row: regressions, improvements, errors."""
    return [cell.strip() for cell in line.split("│")[-4:-1]]


@live
def test_compare_prints_the_per_metric_table_and_the_matching(pair):
    _, base, head = pair

    result = aegis("compare", "--base", base, "--head", head)

    out = result.stdout
    assert ", dataset" in line_with(out, "base", "v1, finished)") and line_with(out, "head", "v2, finished)")
    assert "by content" in out
    assert "base 3, head 3, matched 3" in out
    # exact_match: 66.67 both sides, one regression (q3) and one improvement (q2); is_numeric: 66.67 -> 100.
    exact = line_with(out, "exact_match")
    assert "66.67" in exact and "+0.00" in exact
    assert counts(exact) == ["1", "1", "0"]
    numeric = line_with(out, "is_numeric")
    assert "100.00" in numeric and "+33.33" in numeric
    assert counts(numeric) == ["0", "1", "0"]
    assert "95% interval" in out


@live
def test_compare_json_is_the_api_summary(pair):
    _, base, head = pair

    summary = json.loads(aegis("compare", "--base", base, "--head", head, "--json").stdout)

    assert (summary["base"]["id"], summary["head"]["id"], summary["matching"]) == (base, head, "content")
    by_metric = {metric["metric"]: metric for metric in summary["metrics"]}
    assert by_metric["is_numeric"]["mean_delta"] == pytest.approx(100 / 3)
    assert by_metric["exact_match"]["regressions"] == 1


@live
def test_regressions_lists_the_regressed_records_in_any_or_one_metric(pair, monkeypatch):
    _, base, head = pair
    # One record a page: the listing must follow the cursor to the end.
    monkeypatch.setattr("aegis_cli.commands.compare.RECORDS_PAGE", 1)

    result = aegis("compare", "--base", base, "--head", head, "--regressions")

    row = [cell.strip() for cell in line_with(result.stdout, "exact_match", "q3").split("│")[1:-1]]
    assert row[2:] == ["exact_match", "100", "0", "q3", "8"]
    assert "1 record" in result.stdout
    assert "is_numeric" not in result.stdout.split("Regressions")[1]
    none = aegis("compare", "--base", base, "--head", head, "--regressions", "is_numeric")
    assert "Regressions in is_numeric" in none.stdout and "0 records" in none.stdout
    listed = json.loads(aegis("compare", "--base", base, "--head", head, "--regressions", "1", "--json").stdout)
    assert [item["base_record"]["prompt"] for item in listed["regressions"]] == ["q3"]
    assert listed["summary"]["head"]["id"] == head


@live
def test_csv_downloads_the_whole_diff(pair, cli_env):
    _, base, head = pair

    aegis("compare", "--base", base, "--head", head, "--csv", "diff.csv")

    lines = (cli_env / "diff.csv").read_text(encoding="utf-8").splitlines()
    assert lines[0].startswith("cursor,metric,change,")
    assert len(lines) == 1 + 3 * 2  # a line per record and metric
    assert sum(",regressed," in line for line in lines) == 1
    assert aegis("compare", "--base", base, "--head", head, "--csv", "-").stdout == "\n".join(lines) + "\n"


@live
def test_base_defaults_to_the_dataset_baseline(pair, server, key):
    dataset_id, base, head = pair
    missing = aegis("compare", "--head", head, expect=1)
    assert "has no baseline" in missing.stderr

    api(server, key, "PUT", f"/datasets/{dataset_id}", json={"baseline_run_id": base})

    summary = json.loads(aegis("compare", "--head", head, "--json").stdout)
    assert summary["base"]["id"] == base


@live
def test_an_invisible_or_unknown_run_is_the_api_404_exit_1(server):
    result = aegis("compare", "--base", 424242, "--head", 424243, expect=1)
    assert "HTTP 404: Run 424243 not found." in result.stderr
    assert aegis("compare", "--base", 1, expect=2).exit_code == 2  # --head is required
