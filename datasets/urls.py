from django.urls import path

from datasets.views import (
    DatasetAllPartialView,
    DatasetDetailView,
    DatasetListCreateView,
    DatasetRecordsView,
    DatasetTypeListView,
)

urlpatterns = [
    path("datasets", DatasetListCreateView.as_view(), name="dataset-list"),
    path("datasets/all-partial", DatasetAllPartialView.as_view(), name="dataset-all-partial"),
    path("datasets/<objid:id>", DatasetDetailView.as_view(), name="dataset-detail"),
    path("datasets/<objid:id>/records", DatasetRecordsView.as_view(), name="dataset-records"),
    path("dataset-types", DatasetTypeListView.as_view(), name="dataset-type-list"),
]
