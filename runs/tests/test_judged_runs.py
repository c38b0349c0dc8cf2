"""Judged metrics through the API: /evaluate, dataset and custom runs against a loopback judge, with credits."""

import threading
from decimal import Decimal
from unittest.mock import patch

import pytest
from django.db import connection

from accounts.models import Organization, User
from aegis.testing import requires_postgres
from aegis.testing.llm_server import error_reply, json_reply, schema_filler
from conftest import client_for
from datasets.tests.helpers import body
from metrics.judges.routing import route_for
from metrics.models import JudgeCacheEntry
from metrics.registry import REGISTRY
from runs.models import Evaluation, Run
from runs.tests.helpers import custom_run, dataset_run, make_dataset

JUDGED = sorted(spec.shortname for spec in REGISTRY.values() if spec.is_judged)
FULL_ROW = {
    "prompt": "Answer in one sentence.",
    "input": "What is the capital of France?",
    "context": '["Paris is the capital and largest city of France."]',
    "output": "The capital of France is Paris.",
    "golden_answer": "Paris.",
}
TOKENS_IN, TOKENS_OUT = 100, 20


def shaped_replies(request, delay: float = 0.0):
    """A valid reply to any step: every list has one item, so every verdict count matches what was sent."""
    return json_reply(schema_filler(request.schema), tokens_in=TOKENS_IN, tokens_out=TOKENS_OUT, delay=delay)


def call_cost(slug: str = "gpt-4o") -> Decimal:
    route = route_for(slug)
    return (TOKENS_IN * route.input_cost_per_million + TOKENS_OUT * route.output_cost_per_million) / Decimal(10**6)


def evaluate(client, **fields):
    return client.post("/api/v1/evaluate", fields, format="json")


@pytest.fixture
def judge(llm_server, settings):
    settings.REDIS_URL = ""
    settings.LLM_JUDGE_MAX_RETRIES = 1
    llm_server.responder = shaped_replies
    return llm_server


@pytest.mark.parametrize("shortname", JUDGED)
def test_every_judged_metric_scores_a_full_row_through_evaluate(alice_api, judge, shortname):
    response = evaluate(alice_api, metric_shortname=shortname, **FULL_ROW)
    assert response.status_code == 201, body(response)
    result = body(response)
    assert result["is_success"] is True, result["explanation"]
    assert 0 <= result["result"] <= 100 and result["explanation"]
    meta = result["eval_metadata"]["judge"]
    calls = len(meta["calls"])
    assert calls >= 1 and judge.request_count == calls
    assert (meta["model"], meta["tokens_in"], meta["tokens_out"]) == ("gpt-4o", calls * TOKENS_IN, calls * TOKENS_OUT)
    assert Decimal(result["evaluation_cost"]) == calls * call_cost()


def test_a_judged_metric_without_a_configured_backend_is_inactive_and_says_what_to_set(alice_api, monkeypatch):
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    response = evaluate(alice_api, metric_shortname="toxic", output="fine")
    assert response.status_code == 400
    assert "inactive" in body(response)["detail"] and "OPENAI_API_KEY" in body(response)["detail"]
    assert not Run.objects.exists()


def test_a_blocking_dataset_run_judges_every_row_and_totals_the_cost(alice_api, judge):
    content = b"input,output,golden_answer\n" + b"".join(f"q{i},a{i},a{i}\n".encode() for i in range(6))
    metrics = {"1": {"threshold": 50, "metric_args": None}, "43": {"threshold": 100, "metric_args": None}}
    dataset = make_dataset(alice_api, content=content, metrics=metrics)
    response = dataset_run(alice_api, dataset["id"], is_blocking=True)
    assert response.status_code == 201, body(response)
    run = body(response)
    assert run["finished_at"] is not None
    assert run["aggregate_results"] == {"exact_match": 100.0, "instr_integ_subv_att": 100.0}
    judged = [e for e in run["evaluations"] if e["metric"] == "instr_integ_subv_att"]
    assert len(judged) == 6 and all(e["is_success"] and e["eval_metadata"]["label"] == "none" for e in judged)
    assert Decimal(run["total_cost"]) == 6 * call_cost()
    structural = [e for e in run["evaluations"] if e["metric"] == "exact_match"]
    assert all(e["evaluation_cost"] == "0" and e["eval_metadata"] is None for e in structural)


def test_a_judge_failure_fails_the_evaluation_not_the_run(alice_api, judge):
    judge.responder = lambda request: error_reply(500)
    response = custom_run(
        alice_api, is_blocking=True, evaluations=[{"metrics": ["toxic", "exact_match"], "data": [FULL_ROW]}]
    )
    assert response.status_code == 201
    run = body(response)
    toxic = next(e for e in run["evaluations"] if e["metric"] == "toxic")
    assert toxic["is_success"] is False and toxic["result"] is None
    assert "HTTP 500" in toxic["explanation"] and toxic["evaluation_cost"] == "0"
    assert run["finished_at"] is not None and run["aggregate_results"] == {"exact_match": 0.0}


def test_running_the_same_rows_twice_is_answered_from_the_cache_at_no_cost(alice_api, judge):
    blocks = [{"metrics": ["sys_data_leak"], "data": [FULL_ROW, {**FULL_ROW, "output": "Paris."}]}]
    first = body(custom_run(alice_api, is_blocking=True, evaluations=blocks))
    calls = judge.request_count
    second = body(custom_run(alice_api, is_blocking=True, evaluations=blocks))
    assert judge.request_count == calls == 2
    assert Decimal(first["total_cost"]) == 2 * call_cost() and Decimal(second["total_cost"]) == 0
    assert all(e["eval_metadata"]["judge"]["cached"] for e in second["evaluations"])
    assert JudgeCacheEntry.objects.count() == 2


def test_a_non_blocking_custom_run_is_judged_after_the_commit(alice_api, judge, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = custom_run(alice_api, evaluations=[{"metrics": ["instr_integ_subv_att"], "data": [FULL_ROW] * 3}])
    assert response.status_code == 201
    run = Run.objects.get(pk=body(response)["id"])
    assert run.finished_at is not None and run.aggregate_results == {"instr_integ_subv_att": 100.0}
    assert not Evaluation.objects.filter(run=run, is_success__isnull=True).exists()


# Credits


def test_a_judged_run_is_refused_with_402_when_the_org_has_no_credit(alice_api, acme, judge):
    Organization.objects.filter(pk=acme.pk).update(credit_balance=Decimal("0"))
    response = evaluate(alice_api, metric_shortname="toxic", output="fine")
    assert response.status_code == 402
    assert "Insufficient credits" in body(response)["detail"]
    assert not Run.objects.exists() and judge.request_count == 0


def test_a_judged_run_is_refused_when_its_estimate_exceeds_the_balance(alice_api, acme, judge):
    Organization.objects.filter(pk=acme.pk).update(credit_balance=Decimal("0.000001"))
    response = custom_run(alice_api, is_blocking=True, evaluations=[{"metrics": ["faith"], "data": [FULL_ROW] * 20}])
    assert response.status_code == 402
    assert set(body(response)["errors"]) == {"credit_balance", "estimated_cost"}
    assert not Run.objects.exists()


def test_structural_runs_are_never_refused(alice_api, acme):
    Organization.objects.filter(pk=acme.pk).update(credit_balance=Decimal("-5"))
    assert evaluate(alice_api, metric_shortname="exact_match", output="a", golden_answer="a").status_code == 201


def test_costs_are_debited_from_the_org_as_they_are_incurred(alice_api, acme, judge):
    Organization.objects.filter(pk=acme.pk).update(credit_balance=Decimal("10"))
    run = body(custom_run(alice_api, is_blocking=True, evaluations=[{"metrics": ["toxic"], "data": [FULL_ROW] * 4}]))
    acme.refresh_from_db()
    assert Decimal(run["total_cost"]) > 0
    assert acme.credit_balance == Decimal("10") - Decimal(run["total_cost"])


def test_a_user_without_an_org_pays_from_their_own_balance(dave_api, dave, judge):
    User.objects.filter(pk=dave.pk).update(credit_balance=Decimal("1"))
    result = body(evaluate(dave_api, metric_shortname="pii_phi", output="no personal data here"))
    dave.refresh_from_db()
    assert dave.credit_balance == Decimal("1") - Decimal(result["evaluation_cost"])


def test_when_credits_run_out_mid_run_the_rest_is_not_judged(alice_api, acme, judge, monkeypatch, settings):
    monkeypatch.setattr("runs.estimates.JUDGE_CALLS_PER_EVALUATION", 0)  # let the run start on a tiny balance
    settings.LLM_JUDGE_CONCURRENCY = 1
    Organization.objects.filter(pk=acme.pk).update(credit_balance=call_cost() * 2)
    rows = [{**FULL_ROW, "output": f"answer {i}"} for i in range(5)]
    run = body(custom_run(alice_api, is_blocking=True, evaluations=[{"metrics": ["pii_phi"], "data": rows}]))
    refused = [e for e in run["evaluations"] if not e["is_success"]]
    assert len(refused) == 3 and all("credits ran out" in e["explanation"] for e in refused)
    acme.refresh_from_db()
    assert acme.credit_balance == 0 and judge.request_count == 2


def test_a_slice_scored_again_after_a_crash_pays_only_for_what_was_left(alice_api, acme, judge):
    from runs.scoring import score_slice
    from runs.tasks import score_evaluations

    Organization.objects.filter(pk=acme.pk).update(credit_balance=Decimal("10"))
    rows = [{**FULL_ROW, "input": f"question {i}"} for i in range(4)]
    run_id = body(custom_run(alice_api, evaluations=[{"metrics": ["instr_integ_subv_att"], "data": rows}]))["id"]
    ids = list(Evaluation.objects.filter(run_id=run_id).order_by("id").values_list("id", flat=True))
    # A worker judged half of the slice, then died before acknowledging it.
    score_slice(run_id=run_id, first_id=ids[0], last_id=ids[1], specs=REGISTRY)
    # The redelivered task scores the whole slice again: only what is still pending is judged.
    score_evaluations(run_id, ids[0], ids[-1])
    run = Run.objects.get(pk=run_id)
    acme.refresh_from_db()
    assert judge.request_count == 4 and run.finished_at is not None
    assert run.total_cost == 4 * call_cost() and acme.credit_balance == Decimal("10") - run.total_cost


@requires_postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_concurrent_runs_cannot_spend_much_past_a_small_balance(alice, acme, llm_server, settings):
    """Both runs start on a balance that covers their estimates together only in part; spending stops near zero."""
    settings.REDIS_URL = ""
    settings.LLM_JUDGE_CONCURRENCY = 2
    llm_server.responder = lambda request: shaped_replies(request, delay=0.02)
    per_call = call_cost()
    Organization.objects.filter(pk=acme.pk).update(credit_balance=per_call * 10)
    errors = []

    def one_run(tag: str) -> None:
        try:
            rows = [{**FULL_ROW, "input": f"{tag} question {i}"} for i in range(20)]
            client = client_for(alice)
            response = client.post(
                "/api/v1/runs/custom",
                {"is_blocking": True, "evaluations": [{"metrics": ["instr_integ_subv_att"], "data": rows}]},
                format="json",
            )
            assert response.status_code == 201, response.status_code
        except Exception as exc:  # reported below: an assertion in a thread would be lost
            errors.append(exc)
        finally:
            connection.close()

    with patch("runs.estimates.JUDGE_CALLS_PER_EVALUATION", 0):  # both runs may start on the small balance
        threads = [threading.Thread(target=one_run, args=(tag,)) for tag in ("a", "b")]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
    assert not errors
    acme.refresh_from_db()
    judged = Evaluation.objects.filter(is_success=True).count()
    # Ten calls were paid for; at most the evaluations in flight when the balance hit zero (two per run) overshoot.
    assert 10 <= judged <= 10 + 2 * 2
    assert -4 * per_call <= acme.credit_balance <= 0
    assert Run.objects.filter(finished_at__isnull=False).count() == 2
