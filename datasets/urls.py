from django.urls import path

from datasets.views import DatasetAllPartialView, DatasetDetailView, DatasetListCreateView, DatasetTypeListView

urlpatterns = [
    path("datasets", DatasetListCreateView.as_view(), name="dataset-list"),
    path("datasets/all-partial", DatasetAllPartialView.as_view(), name="dataset-all-partial"),
    path("datasets/<objid:id>", DatasetDetailView.as_view(), name="dataset-detail"),
    path("dataset-types", DatasetTypeListView.as_view(), name="dataset-type-list"),
]
