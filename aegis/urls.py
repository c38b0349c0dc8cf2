from django.contrib import admin
from django.urls import include, path, register_converter
from django.views.generic import RedirectView
from drf_spectacular.views import SpectacularAPIView

from aegis.routing import ObjectIdConverter
from aegis.views import ApiRootView, RedocView, SwaggerView

register_converter(ObjectIdConverter, "objid")

api_v1 = [
    path("", include("metrics.urls")),
    path("", include("collections_app.urls")),
    path("", include("datasets.urls")),
    path("", include("runs.urls")),
]

urlpatterns = [
    path("", RedirectView.as_view(url="/api/docs/", permanent=False), name="home"),
    # The API root answers with and without its slashes (the middleware strips a trailing one below /api/).
    path("api", ApiRootView.as_view()),
    path("api/", ApiRootView.as_view()),
    path("api/v1", ApiRootView.as_view(), name="api-root"),
    path("api/v1/", include(api_v1)),
    path("api/schema", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs", SwaggerView.as_view(url_name="schema"), name="swagger-ui"),
    path("api/redoc", RedocView.as_view(url_name="schema"), name="redoc"),
    path("api-auth/", include("rest_framework.urls")),
    path("admin/", admin.site.urls),
]

handler400 = "aegis.exceptions.bad_request_handler"
handler403 = "aegis.exceptions.permission_denied_handler"
handler404 = "aegis.exceptions.not_found_handler"
handler500 = "aegis.exceptions.server_error_handler"
