from django.urls import path

from runs.views import (
    EvaluateView,
    LlmModelListView,
    RunCustomCreateView,
    RunDatasetCreateView,
    RunDetailView,
    RunDownloadView,
)

urlpatterns = [
    path("runs/dataset", RunDatasetCreateView.as_view(), name="run-create-dataset"),
    path("runs/custom", RunCustomCreateView.as_view(), name="run-create-custom"),
    path("runs/<objid:id>", RunDetailView.as_view(), name="run-detail"),
    path("runs/<objid:id>/download", RunDownloadView.as_view(), name="run-download"),
    path("evaluate", EvaluateView.as_view(), name="evaluate"),
    path("models", LlmModelListView.as_view(), name="model-list"),
]
