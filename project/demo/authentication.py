"""The demo's Basic authentication: DRF's, minus a way to crash it."""

from rest_framework import authentication, exceptions


class BasicAuthentication(authentication.BasicAuthentication):
    """Refuses credentials with a NUL byte, which PostgreSQL cannot even compare (a DataError, a 500)."""

    def authenticate_credentials(self, userid, password, request=None):
        if "\x00" in userid or "\x00" in password:
            raise exceptions.AuthenticationFailed()
        return super().authenticate_credentials(userid, password, request)
