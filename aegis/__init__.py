# Loaded with Django so that @shared_task functions bind to the project's Celery app.
from aegis.celery import app as celery_app

__all__ = ["celery_app"]
