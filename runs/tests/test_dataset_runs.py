import pytest

from accounts.ownership import org_id_of
from datasets.tests.helpers import body
from runs.models import Evaluation, Run
from runs.tests.helpers import QA_METRICS, by_metric, dataset_run, get_run, make_dataset

pytestmark = pytest.mark.django_db


def test_blocking_run_scores_every_record_with_every_metric(alice_api, alice):
    dataset = make_dataset(alice_api)

    response = dataset_run(alice_api, dataset["id"], is_blocking=True, threshold=60, model_slug="o4-mini")

    assert response.status_code == 201
    run = body(response)
    assert run["run_type"] == "Dataset"
    assert run["run_source"] == "API Call"
    assert run["user"] == run["author_email"] == "alice@acme.test"
    assert run["dataset"] == "QA set"
    assert run["model_slug"] == "o4-mini"
    assert run["number_of_metrics"] == 2
    assert len(run["evaluations"]) == 6
    exact = by_metric(run)["exact_match"]
    assert [e["result"] for e in exact] == [100.0, 0.0, None]
    assert [e["is_success"] for e in exact] == [True, True, False]
    assert [e["record_index"] for e in exact] == [0, 1, 2]
    assert exact[2]["explanation"] == "golden_answer is required by exact_match but is missing"
    assert exact[2]["is_gte_threshold"] is None
    assert [e["is_gte_threshold"] for e in exact[:2]] == [True, False]
    assert {e["threshold"] for e in exact} == {70}
    assert exact[0]["evaluation_cost"] == "0"
    assert exact[0]["metric_args"] == {"case_sensitive": True, "strip_whitespace": False}
    assert exact[0]["record"]["prompt"] == "q1"
    # exact_match: mean(100, 0) = 50; json_equal: q1 equal, q2 not (extra key) = 50.
    assert run["aggregate_results"] == {"exact_match": 50.0, "json_equal": 50.0}
    assert run["result"] == 50.0
    assert run["is_gte_threshold"] is False
    assert run["total_cost"] == "0.000000000000000"
    assert run["finished_at"] is not None


def test_run_threshold_falls_back_to_the_mean_evaluation_threshold(alice_api):
    dataset = make_dataset(alice_api, metrics={"1": {"threshold": 40, "metric_args": None}})

    run = body(dataset_run(alice_api, dataset["id"], is_blocking=True))

    assert run["threshold"] is None
    assert run["result"] == 50.0
    assert run["is_gte_threshold"] is True


def test_model_defaults_to_the_platform_model(alice_api):
    dataset = make_dataset(alice_api)
    run = body(dataset_run(alice_api, dataset["id"], is_blocking=True))
    assert run["model_slug"] == "gpt-4o"
    assert {e["model_slug"] for e in run["evaluations"]} == {"gpt-4o"}


def test_metric_args_are_laid_over_the_dataset_args_and_unselected_ids_are_ignored(alice_api):
    metrics = {"2": {"threshold": 80, "metric_args": {"ignore_order": True}}}
    dataset = make_dataset(alice_api, metrics=metrics)

    run = body(
        dataset_run(
            alice_api, dataset["id"], is_blocking=True, metric_args={"2": {"ignore_extra_keys": True}, "7": {"x": 1}}
        )
    )

    args = run["evaluations"][0]["metric_args"]
    assert args == {"ignore_order": True, "ignore_extra_keys": True}
    assert [e["result"] for e in run["evaluations"]][:2] == [100.0, 100.0]


@pytest.mark.parametrize(
    "metric_args",
    [{"x": {}}, {"1": {"no_such_arg": True}}, {"1": {"case_sensitive": "yes"}}],
    ids=["non-integer key", "unknown arg", "wrong type"],
)
def test_bad_metric_args_are_400(alice_api, metric_args):
    dataset = make_dataset(alice_api)
    response = dataset_run(alice_api, dataset["id"], metric_args=metric_args)
    assert response.status_code == 400
    assert not Run.objects.exists()


def test_dataset_not_visible_is_400(alice_api, carol_api):
    dataset = make_dataset(alice_api)
    assert dataset_run(carol_api, dataset["id"]).status_code == 400
    assert dataset_run(alice_api, 999999).status_code == 400


def test_unknown_model_is_404(alice_api):
    dataset = make_dataset(alice_api)
    assert dataset_run(alice_api, dataset["id"], model_slug="gpt-9").status_code == 404


def test_metric_switched_off_after_upload_is_400(alice_api):
    from metrics.models import Metric

    dataset = make_dataset(alice_api)
    Metric.objects.filter(id=2).update(is_active=False)
    assert dataset_run(alice_api, dataset["id"]).status_code == 400


def test_bad_body_is_422(alice_api):
    assert alice_api.post("/api/v1/runs/dataset", {"threshold": 50}, format="json").status_code == 422
    assert alice_api.post("/api/v1/runs/dataset", {"dataset_id": 1, "threshold": 101}, format="json").status_code == 422


def test_anonymous_is_401(anon_api):
    assert anon_api.post("/api/v1/runs/dataset", {"dataset_id": 1}, format="json").status_code == 401


def test_explicit_alias_is_kept_and_a_duplicate_is_400(alice_api, bob_api):
    dataset = make_dataset(alice_api, metrics=QA_METRICS)
    assert body(dataset_run(alice_api, dataset["id"], alias="march"))["alias"] == "march"
    assert dataset_run(alice_api, dataset["id"], alias="march").status_code == 400
    # Unique per account: bob may use the same alias.
    assert dataset_run(bob_api, make_dataset(bob_api, name="bob set")["id"], alias="march").status_code == 201


def test_generated_aliases_never_collide_within_one_second(alice_api, monkeypatch):
    import datetime

    from django.utils import timezone

    frozen = datetime.datetime(2026, 4, 1, 9, 12, 0, tzinfo=datetime.UTC)
    monkeypatch.setattr(timezone, "now", lambda: frozen)
    dataset = make_dataset(alice_api)

    aliases = [body(dataset_run(alice_api, dataset["id"]))["alias"] for _ in range(3)]

    assert aliases[0] == "QA set 2026-04-01 09:12:00"
    assert len(set(aliases)) == 3
    assert all(alias.startswith("QA set 2026-04-01 09:12:00") for alias in aliases)


def test_run_of_a_dataset_in_an_org_shared_collection_is_shared_with_that_org(alice_api, bob_api, alice):
    from collections_app.models import DataCollection

    collection = DataCollection.objects.create(
        name="Support", user=alice, org_id=org_id_of(alice), author_email=alice.email
    )
    dataset = make_dataset(alice_api, data_collection_id=collection.pk)

    run = body(dataset_run(alice_api, dataset["id"], is_blocking=True))

    assert run["org_id"] == org_id_of(alice)
    assert run["data_collection"] == "Support"
    assert get_run(bob_api, run["id"]).status_code == 200


def test_running_someone_elses_shared_dataset_shares_the_run_with_my_org(alice_api, bob_api, bob):
    from datasets.models import Dataset

    dataset = make_dataset(alice_api)
    Dataset.objects.filter(pk=dataset["id"]).update(org_id=org_id_of(bob))

    run = body(dataset_run(bob_api, dataset["id"], is_blocking=True))

    assert run["user"] == "bob@acme.test"
    assert run["org_id"] == org_id_of(bob)


def test_private_run_of_my_own_dataset_is_private(alice_api):
    run = body(dataset_run(alice_api, make_dataset(alice_api)["id"], is_blocking=True))
    assert run["org_id"] is None


def test_record_values_are_scored_exactly_as_stored(alice_api):
    dataset = make_dataset(
        alice_api, content=b"output,golden_answer\n ok ,ok\n", metrics={"1": {"threshold": 100, "metric_args": None}}
    )
    run = body(dataset_run(alice_api, dataset["id"], is_blocking=True))
    assert run["evaluations"][0]["result"] == 0.0
    assert run["evaluations"][0]["record"]["output"] == " ok "


def test_evaluations_are_stored_in_record_order(alice_api):
    run = body(dataset_run(alice_api, make_dataset(alice_api)["id"], is_blocking=True))
    stored = list(Evaluation.objects.filter(run_id=run["id"]).values_list("record_index", flat=True))
    assert sorted(stored) == [0, 0, 1, 1, 2, 2]


def test_dataset_without_records_is_404(alice_api):
    from datasets.models import Record

    dataset = make_dataset(alice_api)
    Record.objects.filter(dataset_id=dataset["id"]).delete()
    assert dataset_run(alice_api, dataset["id"]).status_code == 404


def test_dataset_without_metrics_is_404(alice_api):
    from datasets.models import Dataset

    dataset = make_dataset(alice_api)
    Dataset.objects.filter(pk=dataset["id"]).update(selected_metrics={})
    assert dataset_run(alice_api, dataset["id"]).status_code == 404


def test_deleting_the_dataset_keeps_its_runs(alice_api):
    from datasets.models import Dataset

    dataset = make_dataset(alice_api)
    run = body(dataset_run(alice_api, dataset["id"], is_blocking=True))
    Dataset.objects.filter(pk=dataset["id"]).delete()

    kept = body(get_run(alice_api, run["id"]))
    assert kept["dataset"] is None
    assert kept["aggregate_results"] == run["aggregate_results"]
    assert {e["record"]["id"] for e in kept["evaluations"]} == {None}


def test_a_null_override_for_a_metric_means_no_override(alice_api):
    dataset = make_dataset(alice_api)
    response = dataset_run(alice_api, dataset["id"], is_blocking=True, metric_args={"1": None})
    assert response.status_code == 201
    assert body(response)["evaluations"][0]["metric_args"] == {"case_sensitive": True, "strip_whitespace": False}
