"""Non-blocking runs: stored pending, scored after the commit (in-process when no broker is set)."""

import pytest
from django.utils import timezone

from datasets.tests.helpers import body
from metrics import registry
from runs.models import Evaluation, Run
from runs.scoring import finish_run_if_complete, score_slice
from runs.tasks import id_slices, score_evaluations
from runs.tests.helpers import dataset_run, get_run, make_dataset

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def no_broker(settings):
    settings.CELERY_BROKER_URL = ""


def test_non_blocking_run_answers_with_pending_evaluations(alice_api, django_capture_on_commit_callbacks):
    dataset = make_dataset(alice_api)

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = dataset_run(alice_api, dataset["id"])

    assert response.status_code == 201
    run = body(response)
    assert len(callbacks) == 1
    assert run["finished_at"] is None
    assert run["aggregate_results"] is None
    assert run["result"] is None
    assert run["is_gte_threshold"] is None
    pending = run["evaluations"][0]
    assert (pending["result"], pending["is_success"], pending["is_gte_threshold"], pending["finished_at"]) == (
        None,
        None,
        None,
        None,
    )


def test_non_blocking_run_completes_in_process_with_correct_aggregates(alice_api, django_capture_on_commit_callbacks):
    dataset = make_dataset(alice_api)

    with django_capture_on_commit_callbacks(execute=True):
        run_id = body(dataset_run(alice_api, dataset["id"], threshold=50))["id"]

    run = body(get_run(alice_api, run_id))
    assert run["finished_at"] is not None
    assert run["aggregate_results"] == {"exact_match": 50.0, "json_equal": 50.0}
    assert run["result"] == 50.0
    assert run["is_gte_threshold"] is True
    assert all(e["finished_at"] and e["is_success"] is not None for e in run["evaluations"])


def test_large_runs_are_scored_in_several_slices(alice_api, monkeypatch, django_capture_on_commit_callbacks):
    monkeypatch.setattr("runs.tasks.SLICE_IDS", 2)
    dataset = make_dataset(alice_api)

    with django_capture_on_commit_callbacks(execute=True):
        run_id = body(dataset_run(alice_api, dataset["id"]))["id"]

    assert len(id_slices(run_id)) == 3
    assert not Evaluation.objects.filter(run_id=run_id, is_success__isnull=True).exists()
    assert Run.objects.get(pk=run_id).aggregate_results == {"exact_match": 50.0, "json_equal": 50.0}


def test_scoring_a_slice_twice_changes_nothing(alice_api, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False):
        run_id = body(dataset_run(alice_api, make_dataset(alice_api)["id"]))["id"]
    (first_id, last_id) = id_slices(run_id)[0]

    assert score_evaluations(run_id, first_id, last_id) == 6
    before = list(Evaluation.objects.filter(run_id=run_id).values())
    finished_at = Run.objects.get(pk=run_id).finished_at

    assert score_evaluations(run_id, first_id, last_id) == 0
    assert score_slice(run_id=run_id, first_id=first_id, last_id=last_id, specs=registry.REGISTRY) == 0
    assert list(Evaluation.objects.filter(run_id=run_id).values()) == before
    assert Evaluation.objects.filter(run_id=run_id).count() == 6
    assert Run.objects.get(pk=run_id).finished_at == finished_at


def test_finished_at_is_set_only_once(alice_api):
    run_id = body(dataset_run(alice_api, make_dataset(alice_api)["id"], is_blocking=True))["id"]
    finished_at = Run.objects.get(pk=run_id).finished_at

    assert finish_run_if_complete(run_id) is False
    assert Run.objects.get(pk=run_id).finished_at == finished_at


def test_a_run_with_pending_evaluations_is_not_finished(alice_api, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False):
        run_id = body(dataset_run(alice_api, make_dataset(alice_api)["id"]))["id"]

    assert finish_run_if_complete(run_id) is False
    assert Run.objects.get(pk=run_id).finished_at is None


def test_a_failed_row_never_fails_the_slice(alice_api, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        run_id = body(dataset_run(alice_api, make_dataset(alice_api)["id"]))["id"]

    failed = Evaluation.objects.filter(run_id=run_id, is_success=False)
    assert failed.count() == 2
    assert all(e.result is None and e.explanation for e in failed)
    assert Run.objects.get(pk=run_id).finished_at <= timezone.now()


def test_in_process_scoring_waits_for_the_response_to_be_sent():
    # The receivers of request_started and request_finished, called directly: sending the signals here would
    # also run Django's own receivers, which close the test's database connection.
    from runs.tasks import _open_request, _run_after_response, after_response

    done = []
    _open_request(sender=None)
    after_response(lambda: done.append("scored"))
    assert done == []  # the 201 with pending evaluations goes out first
    _run_after_response(sender=None)
    assert done == ["scored"]

    after_response(lambda: done.append("now"))  # outside a request (shell, management command): at once
    assert done == ["scored", "now"]


def test_resume_runs_finishes_a_run_whose_task_was_lost(alice_api, django_capture_on_commit_callbacks):
    from io import StringIO

    from django.core.management import call_command

    with django_capture_on_commit_callbacks(execute=False):  # the task never reaches anyone
        run_id = body(dataset_run(alice_api, make_dataset(alice_api)["id"]))["id"]
    out = StringIO()

    call_command("resume_runs", "--older-than", "3600", stdout=out)  # too recent: left alone
    assert Run.objects.get(pk=run_id).finished_at is None
    assert "Resumed 0 run(s)." in out.getvalue()

    call_command("resume_runs", "--older-than", "0", stdout=out)
    run = Run.objects.get(pk=run_id)
    assert run.finished_at is not None
    assert run.aggregate_results == {"exact_match": 50.0, "json_equal": 50.0}
    assert Evaluation.objects.filter(run_id=run_id).count() == 6
    assert f"Resumed 1 run(s): {run_id}." in out.getvalue()
