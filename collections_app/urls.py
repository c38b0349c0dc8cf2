from django.urls import path

from collections_app.views import DataCollectionDetailView, DataCollectionListCreateView

urlpatterns = [
    path("data-collections", DataCollectionListCreateView.as_view(), name="collection-list"),
    path("data-collections/<objid:id>", DataCollectionDetailView.as_view(), name="collection-detail"),
]
