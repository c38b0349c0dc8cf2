import pytest

from metrics.catalog import catalog_row
from metrics.models import Metric
from metrics.registry import REGISTRY
from metrics.tests.judged import use_judged_spec, without_provider_keys

JUDGED_IDS = range(24, 48)


def test_catalog_rows_match_the_registry(db):
    rows = {metric.id: metric for metric in Metric.objects.all()}
    assert set(rows) == set(REGISTRY)
    for metric_id, spec in REGISTRY.items():
        row = rows[metric_id]
        assert {field: getattr(row, field) for field in catalog_row(spec)} == catalog_row(spec)
        # Judged metrics were switched on once (metrics 0007); whether one is usable is decided per request.
        assert row.is_active == (spec.is_active or metric_id in JUDGED_IDS)


def test_catalog_fixes_the_spec_ids(db):
    assert Metric.objects.get(pk=1).shortname == "exact_match"
    assert Metric.objects.get(pk=2).shortname == "json_equal"
    assert Metric.objects.get(pk=24).shortname == "ans_corr"
    assert Metric.objects.filter(is_active=True).count() == len(REGISTRY)


def test_metrics_list(alice_api):
    data = alice_api.get("/api/v1/metrics").json()
    assert len(data) == len(REGISTRY)
    exact = data[0]
    assert list(exact) == [
        "id", "shortname", "name", "category", "description", "is_active", "inactive_reason", "default_threshold",
        "args",
    ]  # fmt: skip
    assert exact["id"] == 1 and exact["shortname"] == "exact_match"
    assert (exact["is_active"], exact["inactive_reason"]) == (True, None)
    assert {arg["name"]: arg["default"] for arg in exact["args"]} == {"case_sensitive": True, "strip_whitespace": False}
    assert set(exact["args"][0]) == {"name", "type", "default", "required", "description"}


def test_every_argument_shows_its_full_declaration(alice_api):
    shown = {metric["id"]: metric["args"] for metric in alice_api.get("/api/v1/metrics").json()}
    assert shown == {metric_id: [arg.as_json() for arg in spec.args] for metric_id, spec in REGISTRY.items()}
    by_name = {(metric_id, arg["name"]): arg for metric_id, args in shown.items() for arg in args}
    assert by_name[(15, "validator")]["choices"] == ["Draft7Validator", "Draft202012Validator"]
    assert by_name[(8, "allowed_formats")]["item_type"] == "string"
    assert by_name[(6, "min_count")]["minimum"] == 0
    assert "choices" not in by_name[(6, "min_count")]


def test_metric_detail_and_404(alice_api):
    assert alice_api.get("/api/v1/metrics/2").json()["shortname"] == "json_equal"
    assert alice_api.get("/api/v1/metrics/999").status_code == 404
    assert alice_api.get("/api/v1/metrics/abc").status_code == 422


def test_metrics_need_a_key(anon_api, db):
    assert anon_api.get("/api/v1/metrics").status_code == 401


# Availability of judged metrics follows the default model's configuration.


@pytest.fixture
def judged(monkeypatch):
    without_provider_keys(monkeypatch)
    return use_judged_spec(monkeypatch)


def metric_by_id(client, metric_id: int) -> dict:
    return {metric["id"]: metric for metric in client.get("/api/v1/metrics").json()}[metric_id]


def test_judged_metric_without_the_default_models_key_is_inactive_and_says_what_to_set(alice_api, judged):
    shown = metric_by_id(alice_api, judged.id)
    assert shown["is_active"] is False
    assert shown["inactive_reason"] == "inactive: set OPENAI_API_KEY to enable LLM-judged metrics with model gpt-4o"
    detail = alice_api.get(f"/api/v1/metrics/{judged.id}").json()
    assert (detail["is_active"], detail["inactive_reason"]) == (shown["is_active"], shown["inactive_reason"])


def test_judged_metric_is_active_once_the_key_is_set(alice_api, judged, monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-not-a-real-key")
    shown = metric_by_id(alice_api, judged.id)
    assert (shown["is_active"], shown["inactive_reason"]) == (True, None)


def test_an_empty_key_counts_as_unset(alice_api, judged, monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", "  ")
    assert metric_by_id(alice_api, judged.id)["is_active"] is False


@pytest.mark.parametrize("key_set", [False, True])
def test_structural_metrics_never_depend_on_the_key(alice_api, judged, monkeypatch, key_set):
    if key_set:
        monkeypatch.setenv("OPENAI_API_KEY", "sk-test-not-a-real-key")
    structural = [metric for metric in alice_api.get("/api/v1/metrics").json() if metric["category"] == "Structural"]
    assert len(structural) == 23
    assert all(metric["is_active"] and metric["inactive_reason"] is None for metric in structural)


def test_a_metric_switched_off_by_staff_says_so(alice_api, judged, monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-not-a-real-key")
    Metric.objects.filter(pk__in=[1, judged.id]).update(is_active=False)
    for metric_id in (1, judged.id):
        shown = metric_by_id(alice_api, metric_id)
        assert shown["is_active"] is False
        assert shown["inactive_reason"] == "inactive: switched off by an administrator"


def test_metrics_list_reads_the_default_route_once(alice_api, judged, django_assert_num_queries):
    alice_api.get("/api/v1/metrics")  # warm up: the key's last_used_at write is at most once a minute
    # 1 API key by prefix (with its user), 2 the metrics, 3 the default model's route, once for all judged ones.
    with django_assert_num_queries(3):
        assert alice_api.get("/api/v1/metrics").status_code == 200
