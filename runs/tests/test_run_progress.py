"""Following runs: status and progress, the run list, paged evaluations, minimal bodies, cancel and retry."""

from decimal import Decimal

import pytest

from accounts.models import Organization
from aegis.testing.llm_server import error_reply, json_reply, schema_filler
from datasets.tests.helpers import body
from metrics.registry import REGISTRY
from runs.models import Evaluation, Run
from runs.scoring import score_slice
from runs.tests.helpers import custom_run, dataset_run, get_run, make_dataset

ROWS = [{"output": str(i), "golden_answer": str(i if i % 2 else -1)} for i in range(6)]  # three rows pass
BLOCK = [{"metrics": ["exact_match", "is_numeric"], "data": ROWS}]


def pending_run(client, evaluations=BLOCK, **fields) -> dict:
    """A non-blocking run whose scoring has not started (the test does not run the commit callbacks)."""
    response = custom_run(client, evaluations=evaluations, **fields)
    assert response.status_code == 201, body(response)
    return body(response)


def score_everything(run_id: int) -> None:
    ids = Evaluation.objects.filter(run_id=run_id).values_list("id", flat=True)
    score_slice(run_id=run_id, first_id=min(ids), last_id=max(ids), specs=REGISTRY)


def test_a_run_reports_status_and_stored_progress(alice_api):
    run = pending_run(alice_api)
    assert run["status"] == "pending" and run["progress"] == {"total": 12, "done": 0, "failed": 0}
    score_everything(run["id"])
    shown = body(get_run(alice_api, run["id"]))
    assert shown["progress"] == {"total": 12, "done": 12, "failed": 0}
    assert shown["status"] == "running"  # every evaluation is done, but no slice has finished the run yet


def test_a_blocking_run_is_finished_with_its_failures_counted(alice_api):
    rows = [*ROWS, {"output": "x"}]  # no golden answer: exact_match cannot score it
    run = body(custom_run(alice_api, is_blocking=True, evaluations=[{"metrics": ["exact_match"], "data": rows}]))
    assert run["status"] == "finished" and run["progress"] == {"total": 7, "done": 7, "failed": 1}


# Minimal bodies


@pytest.mark.parametrize("blocking", [True, False])
def test_prefer_minimal_leaves_the_evaluations_out_of_a_custom_run(alice_api, blocking):
    response = alice_api.post(
        "/api/v1/runs/custom",
        {"is_blocking": blocking, "evaluations": BLOCK},
        format="json",
        HTTP_PREFER="return=minimal",
    )
    assert response.status_code == 201
    assert response["Preference-Applied"] == "return=minimal"
    run = body(response)
    assert "evaluations" not in run and run["progress"]["total"] == 12


def test_prefer_minimal_on_a_dataset_run_and_on_reading_a_run(alice_api):
    dataset = make_dataset(alice_api)
    response = alice_api.post(
        "/api/v1/runs/dataset", {"dataset_id": dataset["id"]}, format="json", HTTP_PREFER="return=minimal"
    )
    assert response.status_code == 201 and "evaluations" not in body(response)
    shown = alice_api.get(f"/api/v1/runs/{body(response)['id']}", HTTP_PREFER="return=minimal")
    assert shown["Preference-Applied"] == "return=minimal" and "evaluations" not in body(shown)
    assert "evaluations" in body(get_run(alice_api, body(response)["id"]))


# The run list


def test_the_run_list_shows_visible_runs_newest_first_without_evaluations(alice_api, bob_api, carol_api):
    first = pending_run(alice_api, alias="first")
    second = pending_run(alice_api, alias="second")
    page = body(alice_api.get("/api/v1/runs"))
    assert [item["id"] for item in page["items"]] == [second["id"], first["id"]]
    assert "evaluations" not in page["items"][0] and page["meta"]["total_items"] == 2
    assert body(carol_api.get("/api/v1/runs"))["items"] == []
    assert body(bob_api.get("/api/v1/runs"))["items"] == []  # private until shared


def test_the_run_list_filters(alice_api, bob_api, acme):
    dataset = make_dataset(alice_api)
    on_dataset = body(dataset_run(alice_api, dataset["id"], is_blocking=True, alias="on dataset"))
    custom = pending_run(alice_api, alias="custom one")
    assert alice_api.put(f"/api/v1/runs/{custom['id']}", {"org_id": acme.pk}, format="json").status_code == 200

    def ids(client=alice_api, **query):
        response = client.get("/api/v1/runs", query)
        assert response.status_code == 200, body(response)
        return [item["id"] for item in body(response)["items"]]

    assert ids(dataset_id=dataset["id"]) == [on_dataset["id"]]
    assert ids(run_type="custom") == [custom["id"]] and ids(run_type="dataset") == [on_dataset["id"]]
    assert ids(status="finished") == [on_dataset["id"]] and ids(status="pending") == [custom["id"]]
    assert ids(status="cancelled") == []
    assert ids(search="DATASET") == [on_dataset["id"]]
    assert ids(bob_api) == [custom["id"]] and ids(bob_api, shared="true") == [custom["id"]]
    assert ids(shared="false") == [custom["id"], on_dataset["id"]]  # both are hers, shared or not


@pytest.mark.parametrize(
    "query", [{"status": "done"}, {"run_type": "both"}, {"dataset_id": "x"}, {"dataset_id": "0"}, {"shared": "maybe"}]
)
def test_the_run_list_refuses_bad_filters_with_422(alice_api, query):
    response = alice_api.get("/api/v1/runs", query)
    assert response.status_code == 422 and list(query)[0] in body(response)["errors"]


# Paged evaluations


def test_a_runs_evaluations_page_with_filters_and_keyset(alice_api, carol_api):
    run = body(
        custom_run(alice_api, is_blocking=True, evaluations=[*BLOCK, {"metrics": ["exact_match"], "data": [{}]}])
    )
    url = f"/api/v1/runs/{run['id']}/evaluations"

    def page(**query):
        response = alice_api.get(url, query)
        assert response.status_code == 200, body(response)
        return body(response)

    everything = page(page_size=100)
    assert everything["meta"]["total_items"] == 13 and len(everything["items"]) == 13
    failures = page(is_success="false")
    assert [item["record"]["output"] for item in failures["items"]] == [None]
    assert failures["meta"]["total_items"] == 1
    missed = page(is_gte_threshold="false", metric="exact_match", page_size=100)
    assert [item["record"]["output"] for item in missed["items"]] == ["0", "2", "4"]
    window = page(record_index_min=1, record_index_max=2, metric="is_numeric")
    assert [item["record_index"] for item in window["items"]] == [1, 2]
    first = page(page_size=5)
    rest = page(page_size=100, after_id=first["items"][-1]["id"])
    assert [item["id"] for item in first["items"] + rest["items"]] == [item["id"] for item in everything["items"]]
    # After a cursor the stored total still describes the whole set, and whether more follow is read, not counted.
    assert rest["meta"]["total_items"] == 13 and rest["meta"]["has_next"] is False
    second = page(page_size=5, after_id=first["items"][-1]["id"])
    assert second["meta"]["has_next"] is True and len(second["items"]) == 5
    assert carol_api.get(url).status_code == 404
    assert alice_api.get(url, {"is_success": "nope"}).status_code == 422


# Download


def test_the_report_answers_accept_text_csv_and_a_missing_run_is_a_json_404(alice_api):
    run = body(custom_run(alice_api, is_blocking=True, evaluations=BLOCK))
    response = alice_api.get(f"/api/v1/runs/{run['id']}/download", HTTP_ACCEPT="text/csv")
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    missing = alice_api.get("/api/v1/runs/999999/download", HTTP_ACCEPT="text/csv")
    assert missing.status_code == 404 and missing["Content-Type"] == "application/json"
    assert "not found" in missing.json()["detail"]


# Cancel


def test_cancel_fails_the_pending_evaluations_and_finishes_the_run_once(alice_api):
    run = pending_run(alice_api)
    response = alice_api.post(f"/api/v1/runs/{run['id']}/cancel")
    assert response.status_code == 200, body(response)
    cancelled = body(response)
    assert cancelled["status"] == "cancelled" and cancelled["finished_at"] is not None
    assert cancelled["progress"] == {"total": 12, "done": 12, "failed": 12}
    assert set(Evaluation.objects.filter(run_id=run["id"]).values_list("explanation", flat=True)) == {"cancelled"}
    again = alice_api.post(f"/api/v1/runs/{run['id']}/cancel")
    assert again.status_code == 400 and "already finished" in body(again)["detail"]


def test_a_slice_finishing_after_a_cancel_changes_nothing(alice_api):
    run = pending_run(alice_api)
    ids = sorted(Evaluation.objects.filter(run_id=run["id"]).values_list("id", flat=True))
    score_slice(run_id=run["id"], first_id=ids[0], last_id=ids[3], specs=REGISTRY)  # part of the run is scored
    alice_api.post(f"/api/v1/runs/{run['id']}/cancel")
    score_slice(run_id=run["id"], first_id=ids[0], last_id=ids[-1], specs=REGISTRY)  # a late slice
    stored = Run.objects.get(pk=run["id"])
    assert (stored.done_count, stored.failed_count) == (12, 8)
    assert Evaluation.objects.filter(run_id=run["id"], explanation="cancelled").count() == 8


def test_cancel_is_refused_to_someone_who_cannot_see_the_run(alice_api, carol_api):
    run = pending_run(alice_api)
    assert carol_api.post(f"/api/v1/runs/{run['id']}/cancel").status_code == 404


def test_a_cancelled_judged_run_calls_no_judge(alice_api, llm_server, settings):
    settings.REDIS_URL = ""
    llm_server.responder = lambda request: json_reply(schema_filler(request.schema))
    run = pending_run(alice_api, evaluations=[{"metrics": ["toxic"], "data": [{"output": "hello"}] * 3}])
    alice_api.post(f"/api/v1/runs/{run['id']}/cancel")
    score_everything(run["id"])
    assert llm_server.request_count == 0


def test_a_cancel_during_judging_stops_it_after_the_batch_in_hand(alice_api, llm_server, settings, monkeypatch):
    from metrics.judges import runner
    from runs import scoring

    settings.REDIS_URL = ""
    settings.LLM_JUDGE_CONCURRENCY = 1
    monkeypatch.setattr(runner, "FLUSH_EVERY", 1)
    # Replies slow enough that only the evaluation in flight can finish while the cancel is being read.
    llm_server.responder = lambda request: json_reply(schema_filler(request.schema), delay=0.2)
    rows = [{"output": f"hello {i}"} for i in range(5)]
    run = pending_run(alice_api, evaluations=[{"metrics": ["toxic"], "data": rows}])
    write_scores = scoring.write_scores
    cancelled = []

    def write_then_cancel(run_id, scored):
        write_scores(run_id, scored)
        if not cancelled and any(row[3] for row in scored):  # a judged outcome is stored: the user cancels now
            response = alice_api.post(f"/api/v1/runs/{run_id}/cancel")
            cancelled.append(response.status_code)

    monkeypatch.setattr(scoring, "write_scores", write_then_cancel)
    score_everything(run["id"])
    assert cancelled == [200]
    # The evaluation in flight when the cancel was read may still finish; nothing after it is judged.
    explanations = list(Evaluation.objects.filter(run_id=run["id"]).values_list("explanation", flat=True))
    assert explanations.count("cancelled") in (3, 4)


# Retry


@pytest.fixture
def failed_judged_run(alice_api, llm_server, settings):
    settings.REDIS_URL = ""
    settings.LLM_JUDGE_MAX_RETRIES = 0
    llm_server.responder = lambda request: error_reply(500)
    rows = [{"input": f"question {i}", "output": "not a number"} for i in range(3)]
    run = body(
        custom_run(
            alice_api,
            is_blocking=True,
            evaluations=[{"metrics": ["instr_integ_subv_att", "is_numeric"], "data": rows}],
        )
    )
    assert run["progress"] == {"total": 6, "done": 6, "failed": 3}  # the judge is down; is_numeric scores 0
    llm_server.reset()
    llm_server.responder = lambda request: json_reply(schema_filler(request.schema), tokens_in=1000, tokens_out=0)
    return run


def test_retry_scores_the_failed_evaluations_again_in_the_background(
    alice_api, llm_server, failed_judged_run, django_capture_on_commit_callbacks
):
    run = failed_judged_run
    with django_capture_on_commit_callbacks(execute=True):
        response = alice_api.post(f"/api/v1/runs/{run['id']}/retry")
    assert response.status_code == 202, body(response)
    shown = body(get_run(alice_api, run["id"]))
    assert shown["status"] == "finished" and shown["progress"] == {"total": 6, "done": 6, "failed": 0}
    assert shown["aggregate_results"] == {"instr_integ_subv_att": 100.0, "is_numeric": 0.0}
    assert llm_server.request_count == 3
    assert Decimal(shown["total_cost"]) == 3 * Decimal("0.0025")  # 1,000 tokens at 2.5 per million, per row


def test_a_second_retry_while_one_is_in_flight_changes_nothing(alice_api, llm_server, failed_judged_run):
    run = failed_judged_run
    first = body(alice_api.post(f"/api/v1/runs/{run['id']}/retry"))  # its scoring waits for the commit
    assert first["status"] == "running" and first["progress"] == {"total": 6, "done": 3, "failed": 0}
    second = alice_api.post(f"/api/v1/runs/{run['id']}/retry")
    assert second.status_code == 202 and body(second)["progress"] == first["progress"]
    assert Evaluation.objects.filter(run_id=run["id"], is_success__isnull=True).count() == 3


def test_retry_needs_credits_when_it_would_call_a_judge(alice_api, acme, failed_judged_run):
    Organization.objects.filter(pk=acme.pk).update(credit_balance=Decimal("0"))
    response = alice_api.post(f"/api/v1/runs/{failed_judged_run['id']}/retry")
    assert response.status_code == 402
    assert not Evaluation.objects.filter(run_id=failed_judged_run["id"], is_success__isnull=True).exists()
