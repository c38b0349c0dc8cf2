from rest_framework import authentication, exceptions

from accounts.services import api_key_authenticate


class ApiKeyAuthentication(authentication.BaseAuthentication):
    """`Authorization: Bearer sk_<32 hex>`. Any other Authorization header is refused, never ignored."""

    keyword = "Bearer"

    def authenticate(self, request):
        header = request.META.get("HTTP_AUTHORIZATION")
        if header is None:
            return None
        parts = header.split()
        if len(parts) != 2 or parts[0].lower() != self.keyword.lower():
            raise exceptions.AuthenticationFailed("Malformed Authorization header: expected 'Bearer sk_...'.")
        key = api_key_authenticate(parts[1])
        if key is None:
            raise exceptions.AuthenticationFailed("Invalid, revoked or expired API key.")
        if not key.user.is_active:
            raise exceptions.AuthenticationFailed("This account is inactive.")
        return key.user, key

    def authenticate_header(self, request):
        return f'{self.keyword} realm="api"'
