from django.urls import path

from metrics.views import MetricDetailView, MetricListView

urlpatterns = [
    path("metrics", MetricListView.as_view(), name="metric-list"),
    path("metrics/<objid:id>", MetricDetailView.as_view(), name="metric-detail"),
]
