from django.urls import path

from runs.compare_views import RunCompareRecordsView, RunCompareView
from runs.views import (
    EvaluateView,
    LlmModelListView,
    RunCancelView,
    RunCustomCreateView,
    RunDatasetCreateView,
    RunDetailView,
    RunDownloadView,
    RunEvaluationsView,
    RunListView,
    RunReportView,
    RunRetryView,
)

urlpatterns = [
    path("runs", RunListView.as_view(), name="run-list"),
    path("runs/dataset", RunDatasetCreateView.as_view(), name="run-create-dataset"),
    path("runs/custom", RunCustomCreateView.as_view(), name="run-create-custom"),
    path("runs/compare", RunCompareView.as_view(), name="run-compare"),
    path("runs/compare/records", RunCompareRecordsView.as_view(), name="run-compare-records"),
    path("runs/<objid:id>", RunDetailView.as_view(), name="run-detail"),
    path("runs/<objid:id>/download", RunDownloadView.as_view(), name="run-download"),
    path("runs/<objid:id>/report", RunReportView.as_view(), name="run-report"),
    path("runs/<objid:id>/evaluations", RunEvaluationsView.as_view(), name="run-evaluations"),
    path("runs/<objid:id>/cancel", RunCancelView.as_view(), name="run-cancel"),
    path("runs/<objid:id>/retry", RunRetryView.as_view(), name="run-retry"),
    path("evaluate", EvaluateView.as_view(), name="evaluate"),
    path("models", LlmModelListView.as_view(), name="model-list"),
]
