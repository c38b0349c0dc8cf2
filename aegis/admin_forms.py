"""Admin forms that write through the domain services.

The write happens in `clean()`, so a refusal (a DomainError) shows on the form, as the API would answer it, and
nothing is saved. The request is set on a subclass made per request: a form class is shared by every request.
"""

from django import forms
from django.core.exceptions import ValidationError

from aegis.errors import DomainError


class ServiceForm(forms.ModelForm):
    request = None  # the HttpRequest, on the per-request subclass made by bound_to_request()

    def apply(self, cleaned: dict) -> None:
        """Make the write through the service; raise DomainError to refuse it."""
        raise NotImplementedError

    def clean(self):
        cleaned = super().clean()
        if self.errors:
            return cleaned
        try:
            self.apply(cleaned)
        except DomainError as exc:
            raise ValidationError(exc.detail) from None
        return cleaned


def bound_to_request(form_class: type[forms.BaseForm], request) -> type[forms.BaseForm]:
    return type(form_class.__name__, (form_class,), {"request": request, "__module__": form_class.__module__})
