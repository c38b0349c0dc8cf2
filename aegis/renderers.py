from django.utils.html import escape
from rest_framework import renderers


class BrowsableAPIRenderer(renderers.BrowsableAPIRenderer):
    """DRF's browsable API, with field help shown as the text it is: DRF's form templates print help text as HTML,
    so a help text naming a placeholder (`{"<metric id>": ...}`) would lose it to the browser."""

    def render_form_for_serializer(self, serializer):
        for field in getattr(serializer, "fields", {}).values():
            if field.help_text:
                field.help_text = escape(field.help_text)
        return super().render_form_for_serializer(serializer)
