"""The metric admin switches metrics on and off through the catalog service, which holds the activation rule."""

import dataclasses

import pytest

from metrics.models import Metric
from metrics.registry import REGISTRY
from metrics.services import can_score, metrics_activate, metrics_deactivate


@pytest.fixture
def unscorable(monkeypatch, db):
    monkeypatch.setitem(REGISTRY, 24, dataclasses.replace(REGISTRY[24], scorer=None, judge_scorer=None))
    Metric.objects.filter(pk=24).update(is_active=False)
    return 24


def test_the_rule_a_metric_without_a_scorer_cannot_be_switched_on(unscorable):
    assert not can_score(REGISTRY[unscorable]) and can_score(REGISTRY[1]) and not can_score(None)
    Metric.objects.filter(pk=1).update(is_active=False)
    assert metrics_activate(metric_ids=[1, unscorable]) == (1, 1)
    assert dict(Metric.objects.filter(pk__in=[1, unscorable]).values_list("pk", "is_active")) == {
        1: True,
        unscorable: False,
    }
    assert metrics_deactivate(metric_ids=[1]) == 1
    assert Metric.objects.get(pk=1).is_active is False


def test_the_change_form_keeps_an_unscorable_metric_off_and_says_why(staff_client, unscorable):
    response = staff_client.post(f"/admin/metrics/metric/{unscorable}/change/", {"is_active": "on"}, follow=True)
    assert Metric.objects.get(pk=unscorable).is_active is False
    assert any("no scorer" in str(message) for message in response.context["messages"])


def test_the_change_form_switches_a_scorable_metric_off_and_on(staff_client):
    staff_client.post("/admin/metrics/metric/1/change/", {})
    assert Metric.objects.get(pk=1).is_active is False
    staff_client.post("/admin/metrics/metric/1/change/", {"is_active": "on"})
    assert Metric.objects.get(pk=1).is_active is True


def test_the_activate_action_reports_what_it_skipped(staff_client, unscorable):
    response = staff_client.post(
        "/admin/metrics/metric/", {"action": "activate", "_selected_action": [1, unscorable]}, follow=True
    )
    shown = [str(message) for message in response.context["messages"]]
    assert "Activated 1 metric(s)." in shown and any("1 metric(s) have no scorer" in m for m in shown)
