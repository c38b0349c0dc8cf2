import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "aegis.settings")
application = get_wsgi_application()

from aegis.uploads import whole_bodies  # noqa: E402  (needs the settings that get_wsgi_application loaded)

application = whole_bodies(application)
