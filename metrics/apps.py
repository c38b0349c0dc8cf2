from django.apps import AppConfig
from django.db.models.signals import post_migrate


class MetricsConfig(AppConfig):
    name = "metrics"
    verbose_name = "Metric catalog"

    def ready(self):
        from metrics.catalog import sync_after_migrate

        # Sent once per migrate (sender is this app), after every migration ran, including test database setup.
        post_migrate.connect(sync_after_migrate, sender=self, dispatch_uid="metrics.sync_catalog")
