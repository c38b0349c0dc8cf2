"""GET /runs/compare and /runs/compare/records: matching, the counts, the interval, paging, CSV, visibility."""

import pytest

from datasets.tests.helpers import body, csv_file
from runs.compare_stats import paired_interval
from runs.tests.helpers import csv_rows, custom_run, dataset_run, make_dataset

pytestmark = pytest.mark.django_db

# exact_match: row 1 passes only ignoring case, row 3 only stripping whitespace, row 4 cannot be scored.
CASE_CSV = b"prompt,output,golden_answer\nq1,Paris,paris\nq2,Rome,Rome\nq3, Oslo,Oslo\nq4,Bern,\n"
EXACT = {"1": {"threshold": 70, "metric_args": None}}
IGNORE_CASE = {"1": {"case_sensitive": False}}
STRICT_CASE_STRIPPED = {"1": {"case_sensitive": True, "strip_whitespace": True}}


def compare(client, **params):
    return client.get("/api/v1/runs/compare", params)


def compare_records(client, accept=None, **params):
    headers = {"HTTP_ACCEPT": accept} if accept else {}
    return client.get("/api/v1/runs/compare/records", params, **headers)


def run_id(response) -> int:
    assert response.status_code == 201, body(response)
    return body(response)["id"]


@pytest.fixture
def two_runs(alice_api):
    """Base ignores case; head is case sensitive but strips whitespace: q1 regresses, q3 improves."""
    dataset = make_dataset(alice_api, content=CASE_CSV, metrics=EXACT, name="Capitals")
    base = run_id(dataset_run(alice_api, dataset["id"], is_blocking=True, metric_args=IGNORE_CASE, alias="base"))
    head = run_id(dataset_run(alice_api, dataset["id"], is_blocking=True, metric_args=STRICT_CASE_STRIPPED))
    return {"dataset": dataset, "base": base, "head": head}


def test_summary_counts_regressions_improvements_unchanged_and_errors(alice_api, two_runs):
    response = compare(alice_api, base=two_runs["base"], head=two_runs["head"])

    assert response.status_code == 200, body(response)
    summary = body(response)
    assert summary["base"]["id"] == two_runs["base"]
    assert summary["base"]["alias"] == "base"
    assert summary["matching"] == "record"
    assert summary["records"] == {
        "base": 4, "head": 4, "matched": 4, "only_in_base": 0, "only_in_head": 0,
        "with_change": {"regressed": 1, "improved": 1, "unchanged": 1, "error": 1, "pending": 0},
    }  # fmt: skip
    [exact] = summary["metrics"]
    assert exact["metric"] == "exact_match"
    assert (exact["regressions"], exact["improvements"], exact["unchanged"]) == (1, 1, 1)
    assert (exact["errors"], exact["pending"], exact["pairs"], exact["scored_pairs"]) == (1, 0, 4, 3)
    # Over the three scored pairs: base 100, 100, 0; head 0, 100, 100.
    assert exact["base_mean"] == pytest.approx(200 / 3)
    assert exact["head_mean"] == pytest.approx(200 / 3)
    assert exact["mean_delta"] == pytest.approx(0)
    assert exact["base_pass_rate"] == pytest.approx(2 / 3)
    assert exact["pass_rate_delta"] == pytest.approx(0)
    low, high = exact["mean_delta_interval"]
    assert low < 0 < high
    assert exact["significant"] is False
    assert summary["metrics_only_in_base"] == summary["metrics_only_in_head"] == []
    assert summary["interval"]["confidence"] == 0.95


def test_the_interval_is_the_same_on_every_call(alice_api, two_runs):
    first = body(compare(alice_api, base=two_runs["base"], head=two_runs["head"]))
    second = body(compare(alice_api, base=two_runs["base"], head=two_runs["head"]))
    assert first["metrics"][0]["mean_delta_interval"] == second["metrics"][0]["mean_delta_interval"]


def test_bootstrap_interval_is_deterministic_and_covers_a_clear_shift():
    groups = [(40, 40 * 10.0), (50, 50 * 12.0), (10, 10 * -3.0)]  # (pairs, summed difference)
    first, second = paired_interval(groups), paired_interval(list(reversed(groups)))
    assert first == second
    mean = (400 + 600 - 30) / 100
    assert first.low < mean < first.high
    assert first.excludes_zero
    assert paired_interval([(7, 0.0)]).low == paired_interval([(7, 0.0)]).high == 0
    assert paired_interval([]) is None


def test_metric_on_one_side_only_is_listed_as_such(alice_api):
    dataset = make_dataset(alice_api, content=CASE_CSV, metrics=EXACT, name="Capitals")
    base = run_id(dataset_run(alice_api, dataset["id"], is_blocking=True))
    metrics = {**EXACT, "9": {"threshold": 100, "metric_args": None}}
    response = alice_api.put(f"/api/v1/datasets/{dataset['id']}", {"selected_metrics": metrics}, format="json")
    assert response.status_code == 200
    head = run_id(dataset_run(alice_api, dataset["id"], is_blocking=True))

    summary = body(compare(alice_api, base=base, head=head))

    assert [metric["metric"] for metric in summary["metrics"]] == ["exact_match"]
    assert summary["metrics_only_in_base"] == []
    assert summary["metrics_only_in_head"] == ["is_numeric"]


def test_custom_runs_match_row_by_row_and_measure_the_mean_delta(alice_api):
    def run_with(outputs):
        blocks = [{"metrics": ["alpha_perc"], "threshold": 80, "data": [{"output": text} for text in outputs]}]
        return run_id(custom_run(alice_api, is_blocking=True, evaluations=blocks))

    base, head = run_with(["abcd", "ab12"]), run_with(["abc1", "abcd"])

    summary = body(compare(alice_api, base=base, head=head))

    assert summary["matching"] == "position"
    [alpha] = summary["metrics"]
    assert (alpha["base_mean"], alpha["head_mean"]) == (75.0, 87.5)
    assert alpha["mean_delta"] == 12.5
    assert (alpha["regressions"], alpha["improvements"], alpha["unchanged"]) == (1, 1, 0)
    records = body(compare_records(alice_api, base=base, head=head))["items"]
    assert [(item["base_record"]["output"], item["head_record"]["output"]) for item in records] == [
        ("abcd", "abc1"),
        ("ab12", "abcd"),
    ]


def test_custom_runs_of_different_lengths_are_refused(alice_api):
    blocks = [{"metrics": ["alpha_perc"], "data": [{"output": "a"}]}]
    base = run_id(custom_run(alice_api, is_blocking=True, evaluations=blocks))
    blocks[0]["data"].append({"output": "b"})
    head = run_id(custom_run(alice_api, is_blocking=True, evaluations=blocks))

    response = compare(alice_api, base=base, head=head)

    assert response.status_code == 400
    assert "same number of rows" in body(response)["detail"]


def test_runs_on_different_datasets_or_of_different_kinds_are_refused(alice_api, two_runs):
    other = make_dataset(alice_api, content=CASE_CSV, metrics=EXACT, name="Other")
    other_run = run_id(dataset_run(alice_api, other["id"], is_blocking=True))
    custom = run_id(custom_run(alice_api, is_blocking=True, evaluations=[{"metrics": ["alpha_perc"], "data": [{}]}]))

    different = compare(alice_api, base=two_runs["base"], head=other_run)
    mixed = compare(alice_api, base=two_runs["base"], head=custom)

    assert different.status_code == 400
    assert "different datasets" in body(different)["detail"]
    assert mixed.status_code == 400
    assert "custom run" in body(mixed)["detail"]


def test_an_invisible_side_is_a_404(alice_api, carol_api, two_runs):
    carols_dataset = make_dataset(carol_api, content=CASE_CSV, metrics=EXACT, name="Carol's")
    carols_run = run_id(dataset_run(carol_api, carols_dataset["id"], is_blocking=True))

    assert compare(alice_api, base=carols_run, head=two_runs["head"]).status_code == 404
    assert compare(alice_api, base=two_runs["base"], head=carols_run).status_code == 404
    assert compare(carol_api, base=two_runs["base"], head=carols_run).status_code == 404
    assert compare_records(carol_api, base=two_runs["base"], head=two_runs["head"]).status_code == 404


def test_bad_parameters_are_422(alice_api, two_runs):
    assert compare(alice_api, base=two_runs["base"]).status_code == 422
    assert compare(alice_api, base="x", head=two_runs["head"]).status_code == 422
    response = compare_records(alice_api, base=two_runs["base"], head=two_runs["head"], change="worse")
    assert response.status_code == 422
    assert "change" in body(response)["errors"]


def test_without_base_and_without_baseline_is_a_400(alice_api, two_runs):
    response = compare(alice_api, head=two_runs["head"])
    assert response.status_code == 400
    assert "base" in body(response)["errors"]


def test_records_show_both_sides_per_metric(alice_api, two_runs):
    response = compare_records(alice_api, base=two_runs["base"], head=two_runs["head"])

    assert response.status_code == 200
    page = body(response)
    assert page["meta"]["total_items"] == 4
    assert [item["base_record"]["prompt"] for item in page["items"]] == ["q1", "q2", "q3", "q4"]
    first = page["items"][0]
    assert first["base_record"]["id"] == first["head_record"]["id"] == first["cursor"]
    assert first["metrics"]["exact_match"] == {
        "change": "regressed",
        "base": {"result": 100.0, "threshold": 70, "is_success": True, "is_gte_threshold": True},
        "head": {"result": 0.0, "threshold": 70, "is_success": True, "is_gte_threshold": False},
    }
    assert page["items"][3]["metrics"]["exact_match"]["change"] == "error"


def test_records_filter_by_change_and_metric(alice_api, two_runs):
    pair = {"base": two_runs["base"], "head": two_runs["head"]}

    regressed = body(compare_records(alice_api, **pair, change="regressed"))
    improved = body(compare_records(alice_api, **pair, metric="exact_match", change="improved"))
    other_metric = body(compare_records(alice_api, **pair, metric="bleu"))

    assert [item["base_record"]["prompt"] for item in regressed["items"]] == ["q1"]
    assert regressed["meta"]["total_items"] == 1
    assert [item["base_record"]["prompt"] for item in improved["items"]] == ["q3"]
    assert other_metric["items"] == [] and other_metric["meta"]["total_items"] == 0


def test_records_keyset_paging_walks_every_record_once(alice_api, two_runs):
    pair = {"base": two_runs["base"], "head": two_runs["head"], "page_size": 3}

    first = body(compare_records(alice_api, **pair))
    second = body(compare_records(alice_api, **pair, after=first["items"][-1]["cursor"]))

    assert [item["base_record"]["prompt"] for item in first["items"]] == ["q1", "q2", "q3"]
    assert first["meta"]["has_next"] is True
    assert [item["base_record"]["prompt"] for item in second["items"]] == ["q4"]
    assert second["meta"]["has_next"] is False
    assert second["meta"]["total_items"] == 4


def test_offset_pages_are_the_keyset_pages(alice_api):
    # Two metrics, so that each record is two evaluations of each run: the seek must step records, not rows.
    rows = "".join(f"q{index},{index},{index if index % 3 else 'x'}\n" for index in range(11))
    metrics = {**EXACT, "2": {"threshold": 100, "metric_args": None}}
    dataset = make_dataset(alice_api, content=f"prompt,output,golden_answer\n{rows}".encode(), metrics=metrics)
    base = run_id(dataset_run(alice_api, dataset["id"], is_blocking=True))
    head = run_id(dataset_run(alice_api, dataset["id"], is_blocking=True, metric_args=IGNORE_CASE))
    pair = {"base": base, "head": head, "page_size": 3}
    walked, after = [], None
    while True:
        page = body(compare_records(alice_api, **pair, **({} if after is None else {"after": after})))
        walked.append([item["base_record"]["prompt"] for item in page["items"]])
        if not page["meta"]["has_next"]:
            break
        after = page["items"][-1]["cursor"]

    paged = [
        [item["base_record"]["prompt"] for item in body(compare_records(alice_api, **pair, page=number))["items"]]
        for number in range(1, 6)
    ]

    assert walked == [["q0", "q1", "q2"], ["q3", "q4", "q5"], ["q6", "q7", "q8"], ["q9", "q10"]]
    assert paged == [*walked, []]
    fourth = body(compare_records(alice_api, **pair, page=4))
    assert fourth["meta"]["has_next"] is False and fourth["meta"]["total_items"] == 11


def test_a_record_changed_in_several_metrics_counts_once_in_the_change_total(alice_api):
    metrics = {**EXACT, "9": {"threshold": 100, "metric_args": None}}  # exact_match and is_numeric
    dataset = make_dataset(alice_api, content=b"prompt,output,golden_answer\nq1,4,4\nq2,5,5\n", metrics=metrics)
    base = run_id(dataset_run(alice_api, dataset["id"], is_blocking=True))
    new_version = {"file": csv_file(b"prompt,output,golden_answer\nq1,four,4\nq2,5,5\n", "v2.csv")}
    assert (
        alice_api.post(f"/api/v1/datasets/{dataset['id']}/versions", new_version, format="multipart").status_code == 201
    )
    head = run_id(dataset_run(alice_api, dataset["id"], is_blocking=True))

    summary = body(compare(alice_api, base=base, head=head))
    regressed = body(compare_records(alice_api, base=base, head=head, change="regressed"))

    assert [metric["regressions"] for metric in summary["metrics"]] == [1, 1]
    assert summary["records"]["with_change"]["regressed"] == 1
    assert summary["records"]["with_change"]["unchanged"] == 1
    assert regressed["meta"]["total_items"] == 1
    assert [item["base_record"]["prompt"] for item in regressed["items"]] == ["q1"]


def test_record_text_is_cut_to_100_characters(alice_api):
    long_csv = b"prompt,output,golden_answer\n" + b"p" * 150 + b",x,x\n"
    dataset = make_dataset(alice_api, content=long_csv, metrics=EXACT, name="Long")
    base = run_id(dataset_run(alice_api, dataset["id"], is_blocking=True))
    head = run_id(dataset_run(alice_api, dataset["id"], is_blocking=True))

    [item] = body(compare_records(alice_api, base=base, head=head))["items"]

    assert item["base_record"]["prompt"] == "p" * 100


def test_csv_streams_the_whole_diff_with_full_text(alice_api, two_runs):
    response = compare_records(alice_api, base=two_runs["base"], head=two_runs["head"], page_size=1, accept="text/csv")

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    rows = csv_rows(response)
    assert [(row["prompt"], row["change"]) for row in rows] == [
        ("q1", "regressed"),
        ("q2", "unchanged"),
        ("q3", "improved"),
        ("q4", "error"),
    ]
    assert rows[2]["output"] == " Oslo"
    assert rows[0]["base_is_gte_threshold"] == "true"
    assert rows[0]["head_result"] == "0.0"
    assert rows[3]["head_result"] == ""


def test_csv_errors_are_json(alice_api, carol_api, two_runs):
    response = compare_records(carol_api, base=two_runs["base"], head=two_runs["head"], accept="text/csv")
    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"


def test_an_org_member_compares_runs_on_a_shared_dataset(alice_api, bob_api, team_collection):
    dataset = make_dataset(
        alice_api, content=CASE_CSV, metrics=EXACT, name="Shared", data_collection_id=team_collection.pk
    )
    base = run_id(dataset_run(alice_api, dataset["id"], is_blocking=True))
    head = run_id(dataset_run(bob_api, dataset["id"], is_blocking=True))

    response = compare(bob_api, base=base, head=head)

    assert response.status_code == 200
    assert body(response)["records"]["matched"] == 4


# Baselines.


def set_baseline(client, dataset_id, run):
    return client.put(f"/api/v1/datasets/{dataset_id}", {"baseline_run_id": run}, format="json")


def test_compare_defaults_base_to_the_datasets_baseline(alice_api, two_runs):
    response = set_baseline(alice_api, two_runs["dataset"]["id"], two_runs["base"])
    assert response.status_code == 200, body(response)
    assert body(response)["baseline_run_id"] == two_runs["base"]

    summary = body(compare(alice_api, head=two_runs["head"]))

    assert summary["base"]["id"] == two_runs["base"]
    assert summary["metrics"][0]["regressions"] == 1


def test_run_summaries_of_the_dataset_carry_their_delta_to_the_baseline(alice_api, two_runs):
    set_baseline(alice_api, two_runs["dataset"]["id"], two_runs["base"])

    dataset = body(alice_api.get(f"/api/v1/datasets/{two_runs['dataset']['id']}"))

    assert dataset["baseline_run_id"] == two_runs["base"]
    deltas = {run["id"]: run["baseline_mean_delta"] for run in dataset["runs"]}
    assert deltas[two_runs["base"]] == {"baseline_run_id": two_runs["base"], "metrics": {"exact_match": 0.0}}
    assert deltas[two_runs["head"]]["metrics"] == {"exact_match": pytest.approx(0.0)}


def test_without_baseline_run_summaries_have_no_delta(alice_api, two_runs):
    dataset = body(alice_api.get(f"/api/v1/datasets/{two_runs['dataset']['id']}"))
    assert dataset["baseline_run_id"] is None
    assert all("baseline_mean_delta" not in run for run in dataset["runs"])


def test_baseline_must_be_a_run_on_that_dataset(alice_api, two_runs):
    other = make_dataset(alice_api, content=CASE_CSV, metrics=EXACT, name="Other")
    other_run = run_id(dataset_run(alice_api, other["id"], is_blocking=True))

    response = set_baseline(alice_api, two_runs["dataset"]["id"], other_run)

    assert response.status_code == 400
    assert "baseline_run_id" in body(response)["errors"]
    assert body(alice_api.get(f"/api/v1/datasets/{two_runs['dataset']['id']}"))["baseline_run_id"] is None


def test_baseline_is_cleared_with_null_and_when_its_run_is_deleted(alice_api, two_runs):
    dataset_id = two_runs["dataset"]["id"]
    set_baseline(alice_api, dataset_id, two_runs["base"])
    assert body(set_baseline(alice_api, dataset_id, None))["baseline_run_id"] is None

    set_baseline(alice_api, dataset_id, two_runs["base"])
    assert alice_api.delete(f"/api/v1/runs/{two_runs['base']}").status_code == 204

    assert body(alice_api.get(f"/api/v1/datasets/{dataset_id}"))["baseline_run_id"] is None


def test_only_who_may_edit_the_dataset_sets_its_baseline(alice_api, carol_api, two_runs):
    response = set_baseline(carol_api, two_runs["dataset"]["id"], two_runs["base"])
    assert response.status_code == 404


def test_a_wrongly_typed_baseline_is_a_422(alice_api, two_runs):
    response = set_baseline(alice_api, two_runs["dataset"]["id"], "first")
    assert response.status_code == 422
