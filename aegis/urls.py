from django.contrib import admin
from django.urls import include, path, register_converter
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerView

from aegis.routing import ObjectIdConverter

register_converter(ObjectIdConverter, "objid")

api_v1 = [
    path("", include("metrics.urls")),
    path("", include("collections_app.urls")),
    path("", include("datasets.urls")),
    path("", include("runs.urls")),
]

urlpatterns = [
    path("api/v1/", include(api_v1)),
    path("api/schema", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs", SpectacularSwaggerView.as_view(url_name="schema"), name="swagger-ui"),
    path("api/redoc", SpectacularRedocView.as_view(url_name="schema"), name="redoc"),
    path("api-auth/", include("rest_framework.urls")),
    path("admin/", admin.site.urls),
]

handler400 = "aegis.exceptions.bad_request_handler"
handler403 = "aegis.exceptions.permission_denied_handler"
handler404 = "aegis.exceptions.not_found_handler"
handler500 = "aegis.exceptions.server_error_handler"
