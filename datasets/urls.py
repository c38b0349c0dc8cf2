from django.urls import path

from datasets.version_views import DatasetVersionCreateView
from datasets.views import (
    DatasetAllPartialView,
    DatasetDetailView,
    DatasetDownloadView,
    DatasetListCreateView,
    DatasetRecordsView,
    DatasetTypeListView,
)

urlpatterns = [
    path("datasets", DatasetListCreateView.as_view(), name="dataset-list"),
    path("datasets/all-partial", DatasetAllPartialView.as_view(), name="dataset-all-partial"),
    path("datasets/<objid:id>", DatasetDetailView.as_view(), name="dataset-detail"),
    path("datasets/<objid:id>/download", DatasetDownloadView.as_view(), name="dataset-download"),
    path("datasets/<objid:id>/records", DatasetRecordsView.as_view(), name="dataset-records"),
    path("datasets/<objid:id>/versions", DatasetVersionCreateView.as_view(), name="dataset-versions"),
    path("dataset-types", DatasetTypeListView.as_view(), name="dataset-type-list"),
]
