"""GET, PUT, DELETE and download of a run: who can see it, who can change it, what the CSV holds."""

import pytest

from accounts.factories import MembershipFactory, UserFactory
from accounts.models import Membership
from accounts.ownership import org_id_of
from collections_app.models import DataCollection
from conftest import client_for
from datasets.tests.helpers import body
from runs.models import Evaluation, Run, RunRecord
from runs.tests.helpers import csv_rows, custom_run, dataset_run, get_run, make_dataset

pytestmark = pytest.mark.django_db

ROWS = [{"output": "ok", "golden_answer": "ok"}, {"output": "no", "golden_answer": "ok"}]


def alice_custom_run(client, **fields) -> dict:
    response = custom_run(client, is_blocking=True, evaluations=[{"metrics": ["exact_match"], "data": ROWS}], **fields)
    assert response.status_code == 201, body(response)
    return body(response)


def share(run: dict, org_id) -> None:
    Run.objects.filter(pk=run["id"]).update(org_id=org_id)


# Reading


def test_owner_gets_the_run(alice_api):
    run = alice_custom_run(alice_api)
    assert body(get_run(alice_api, run["id"])) == run


def test_member_of_same_org_gets_404_for_a_private_run(alice_api, bob_api):
    run = alice_custom_run(alice_api)
    assert get_run(bob_api, run["id"]).status_code == 404


def test_member_of_the_org_sees_a_shared_run(alice_api, bob_api, alice):
    run = alice_custom_run(alice_api)
    share(run, org_id_of(alice))
    assert body(get_run(bob_api, run["id"]))["alias"] == run["alias"]


def test_member_of_another_org_gets_404(alice_api, carol_api, alice):
    run = alice_custom_run(alice_api)
    share(run, org_id_of(alice))
    assert get_run(carol_api, run["id"]).status_code == 404


def test_non_integer_id_is_422_and_unknown_id_404(alice_api):
    assert get_run(alice_api, "abc").status_code == 422
    assert get_run(alice_api, 424242).status_code == 404


def test_record_strings_are_cut_to_100_characters(alice_api):
    long_text = "x" * 150
    response = custom_run(
        alice_api, is_blocking=True, evaluations=[{"metrics": ["exact_match"], "data": [{"output": long_text}]}]
    )
    assert body(response)["evaluations"][0]["record"]["output"] == "x" * 100


# Updating


def test_owner_renames_a_run(alice_api):
    run = alice_custom_run(alice_api)
    response = alice_api.put(f"/api/v1/runs/{run['id']}", {"alias": "renamed"}, format="json")
    assert response.status_code == 200
    assert body(response)["alias"] == "renamed"


def test_renaming_to_an_alias_already_used_is_400(alice_api):
    alice_custom_run(alice_api, alias="taken")
    run = alice_custom_run(alice_api)
    assert alice_api.put(f"/api/v1/runs/{run['id']}", {"alias": "taken"}, format="json").status_code == 400


def test_owner_shares_and_unshares_a_custom_run(alice_api, alice):
    run = alice_custom_run(alice_api)
    url = f"/api/v1/runs/{run['id']}"
    assert body(alice_api.put(url, {"org_id": org_id_of(alice)}, format="json"))["org_id"] == org_id_of(alice)
    assert body(alice_api.put(url, {"org_id": None}, format="json"))["org_id"] is None


def test_sharing_with_someone_elses_org_is_400(alice_api, carol):
    run = alice_custom_run(alice_api)
    assert alice_api.put(f"/api/v1/runs/{run['id']}", {"org_id": org_id_of(carol)}, format="json").status_code == 400


def test_org_member_may_rename_but_not_unshare(alice_api, bob_api, alice):
    run = alice_custom_run(alice_api)
    share(run, org_id_of(alice))
    url = f"/api/v1/runs/{run['id']}"
    assert bob_api.put(url, {"alias": "bob named it"}, format="json").status_code == 200
    assert bob_api.put(url, {"org_id": None}, format="json").status_code == 403
    assert bob_api.put(url, {"org_id": org_id_of(alice)}, format="json").status_code == 200


def test_org_only_run_cannot_be_unshared(alice_api, bob_api, alice):
    run = alice_custom_run(alice_api)
    Run.objects.filter(pk=run["id"]).update(user=None, org_id=org_id_of(alice))
    assert bob_api.put(f"/api/v1/runs/{run['id']}", {"org_id": None}, format="json").status_code == 403


def test_dataset_run_sharing_cannot_change_through_the_run(alice_api, alice):
    run = body(dataset_run(alice_api, make_dataset(alice_api)["id"], is_blocking=True))
    response = alice_api.put(f"/api/v1/runs/{run['id']}", {"org_id": org_id_of(alice)}, format="json")
    assert response.status_code == 400


def test_moving_into_an_org_shared_collection_shares_the_run(alice_api, alice):
    collection = DataCollection.objects.create(
        name="Team", user=alice, org_id=org_id_of(alice), author_email=alice.email
    )
    run = alice_custom_run(alice_api)
    response = alice_api.put(f"/api/v1/runs/{run['id']}", {"data_collection_id": collection.pk}, format="json")
    assert body(response)["org_id"] == org_id_of(alice)
    assert body(response)["data_collection"] == "Team"


def test_private_collection_with_an_org_id_in_the_same_request_is_400(alice_api, alice):
    collection = DataCollection.objects.create(name="Mine", user=alice, author_email=alice.email)
    run = alice_custom_run(alice_api)
    changes = {"data_collection_id": collection.pk, "org_id": org_id_of(alice)}
    assert alice_api.put(f"/api/v1/runs/{run['id']}", changes, format="json").status_code == 400


def test_update_of_an_invisible_run_is_404(alice_api, carol_api):
    run = alice_custom_run(alice_api)
    assert carol_api.put(f"/api/v1/runs/{run['id']}", {"alias": "x"}, format="json").status_code == 404


# Deleting


def test_owner_deletes_a_run_with_its_evaluations_and_rows(alice_api):
    run = alice_custom_run(alice_api)
    assert alice_api.delete(f"/api/v1/runs/{run['id']}").status_code == 204
    assert not Run.objects.exists()
    assert not Evaluation.objects.exists()
    assert not RunRecord.objects.exists()


def test_org_member_who_can_see_a_shared_run_gets_403_on_delete(alice_api, bob_api, alice):
    run = alice_custom_run(alice_api)
    share(run, org_id_of(alice))
    assert bob_api.delete(f"/api/v1/runs/{run['id']}").status_code == 403


def test_outsider_gets_404_on_delete(alice_api, carol_api):
    run = alice_custom_run(alice_api)
    assert carol_api.delete(f"/api/v1/runs/{run['id']}").status_code == 404


def test_org_only_run_is_deleted_by_an_org_admin_only(alice_api, bob_api, alice):
    run = alice_custom_run(alice_api)
    Run.objects.filter(pk=run["id"]).update(user=None, org_id=org_id_of(alice))
    assert bob_api.delete(f"/api/v1/runs/{run['id']}").status_code == 403
    assert alice_api.delete(f"/api/v1/runs/{run['id']}").status_code == 204


def test_admin_of_another_org_cannot_delete_an_org_only_run(alice_api, alice, globex):
    run = alice_custom_run(alice_api)
    Run.objects.filter(pk=run["id"]).update(user=None, org_id=org_id_of(alice))
    outsider = UserFactory(email="admin@globex.test")
    MembershipFactory(user=outsider, org=globex, role=Membership.Role.ADMIN)
    assert client_for(outsider).delete(f"/api/v1/runs/{run['id']}").status_code == 404


# Download


def test_download_has_one_row_per_evaluation_and_only_filled_columns(alice_api):
    run = alice_custom_run(alice_api, alias="smoke")

    response = alice_api.get(f"/api/v1/runs/{run['id']}/download")

    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv"
    assert response["Content-Disposition"] == f'attachment; filename="run_{run["id"]}_report.csv"'
    rows = csv_rows(response)
    assert list(rows[0]) == [
        "alias",
        "output",
        "golden_answer",
        "explanation",
        "model_slug",
        "is_success",
        "evaluation_cost_raw",
        "evaluation_cost",
        "is_gte_threshold",
        "threshold",
        "result",
        "metric_id",
        "shortname",
        "name",
    ]
    assert [(r["output"], r["result"], r["is_gte_threshold"], r["is_success"]) for r in rows] == [
        ("ok", "100.0", "true", "true"),
        ("no", "0.0", "false", "true"),
    ]
    assert rows[0]["alias"] == "smoke"
    assert rows[0]["evaluation_cost"] == "0"
    assert rows[0]["evaluation_cost_raw"] == "0.000000000000000"
    assert rows[0]["shortname"] == "exact_match"
    assert rows[0]["metric_id"] == "1"


def test_download_keeps_full_field_values(alice_api):
    long_text = "y" * 150
    response = custom_run(
        alice_api, is_blocking=True, evaluations=[{"metrics": ["exact_match"], "data": [{"output": long_text}]}]
    )
    rows = csv_rows(alice_api.get(f"/api/v1/runs/{body(response)['id']}/download"))
    assert rows[0]["output"] == long_text


def test_download_of_a_run_without_evaluations_is_404(alice_api):
    run = alice_custom_run(alice_api)
    Evaluation.objects.filter(run_id=run["id"]).delete()
    assert alice_api.get(f"/api/v1/runs/{run['id']}/download").status_code == 404


def test_download_of_an_invisible_run_is_404(alice_api, carol_api):
    run = alice_custom_run(alice_api)
    assert carol_api.get(f"/api/v1/runs/{run['id']}/download").status_code == 404


def test_run_detail_queries_are_pinned(alice_api, django_assert_num_queries):
    run = alice_custom_run(alice_api)
    # 1 API key by prefix, 2 the caller's org, 3 the run with owner, dataset and collection (its metric count
    # and progress are stored on it), 4 the (only) chunk of evaluations with their rows.
    with django_assert_num_queries(4):
        body(get_run(alice_api, run["id"]))


def test_streamed_shape_matches_the_documented_serializers(alice_api):
    from runs.serializers import EvaluationOut, RunOut

    run = alice_custom_run(alice_api)
    assert list(run) == list(RunOut().fields)
    assert list(run["evaluations"][0]) == list(EvaluationOut().fields)
