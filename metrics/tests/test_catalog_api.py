from metrics.catalog import catalog_row
from metrics.models import Metric
from metrics.registry import REGISTRY


def test_catalog_rows_match_the_registry(db):
    rows = {metric.id: metric for metric in Metric.objects.all()}
    assert set(rows) == set(REGISTRY)
    for metric_id, spec in REGISTRY.items():
        row = rows[metric_id]
        assert {field: getattr(row, field) for field in catalog_row(spec)} == catalog_row(spec)
        assert row.is_active == spec.is_active


def test_catalog_fixes_the_spec_ids(db):
    assert Metric.objects.get(pk=1).shortname == "exact_match"
    assert Metric.objects.get(pk=2).shortname == "json_equal"
    assert Metric.objects.filter(is_active=True).count() == 23
    assert not Metric.objects.get(shortname="ans_corr").is_active


def test_metrics_list(alice_api):
    data = alice_api.get("/api/v1/metrics").json()
    assert len(data) == len(REGISTRY)
    exact = data[0]
    assert list(exact) == [
        "id", "shortname", "name", "category", "description", "is_active", "default_threshold", "args",
    ]  # fmt: skip
    assert exact["id"] == 1 and exact["shortname"] == "exact_match"
    assert {arg["name"]: arg["default"] for arg in exact["args"]} == {"case_sensitive": True, "strip_whitespace": False}
    assert set(exact["args"][0]) == {"name", "type", "default", "required", "description"}


def test_metric_detail_and_404(alice_api):
    assert alice_api.get("/api/v1/metrics/2").json()["shortname"] == "json_equal"
    assert alice_api.get("/api/v1/metrics/999").status_code == 404
    assert alice_api.get("/api/v1/metrics/abc").status_code == 422


def test_metrics_need_a_key(anon_api, db):
    assert anon_api.get("/api/v1/metrics").status_code == 401
