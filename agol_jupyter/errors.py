"""Exceptions that say what happened and what to do about it.

Every error a person can run into carries a ``remedy``: the next step, in words. ``str(error)``
is the message followed by the remedy, so a notebook traceback or a log line is enough on its own.
No exception here ever holds a token or an authorization code.
"""

from __future__ import annotations

import re


class AgolJupyterError(Exception):
    """Base class: ``message`` says what happened, ``remedy`` what to do next."""

    def __init__(self, message: str, remedy: str = "") -> None:
        self.message = message
        self.remedy = remedy
        super().__init__(message)

    def __str__(self) -> str:
        return f"{self.message} {self.remedy}".strip()

    def _render_traceback_(self) -> list[str]:
        """What IPython shows instead of a traceback: a sign-in problem needs no stack."""
        lines = [f"{type(self).__name__}: {self.message}"]
        if self.remedy:
            lines.append(self.remedy)
        return lines


class ConfigurationError(AgolJupyterError):
    """The portal URL or client id is missing or not allowed."""


class PortalURLError(AgolJupyterError, ValueError):
    """A portal URL that cannot be turned into an ArcGIS portal root."""


class PortalUnreachable(AgolJupyterError):
    """The portal did not answer (DNS, TLS, connection, timeout)."""


class PortalResponseError(AgolJupyterError):
    """The portal answered with ArcGIS's error envelope or an error page."""

    def __init__(
        self,
        message: str,
        remedy: str = "",
        *,
        code: int | None = None,
        error: str = "",
        description: str = "",
    ) -> None:
        super().__init__(message, remedy)
        self.code = code
        self.error = error
        self.description = description


class InvalidClientId(PortalResponseError):
    """The portal does not know the client id (no such registered app)."""


class InvalidRedirectUri(PortalResponseError):
    """The redirect URI is not registered on the portal's app item."""

    def __init__(self, message: str, remedy: str = "", *, redirect_uri: str = "", **kw: object):
        super().__init__(message, remedy, **kw)  # type: ignore[arg-type]
        self.redirect_uri = redirect_uri


class InvalidGrant(PortalResponseError):
    """An authorization code that is unknown, used already, expired, or fails PKCE."""


class RefreshTokenExpired(PortalResponseError):
    """The saved session's refresh token has expired or was revoked."""


class InvalidToken(PortalResponseError):
    """The portal rejected an access token (ArcGIS code 498) or wants one (499)."""


class SignInCancelled(AgolJupyterError):
    """The person cancelled at the portal or the identity provider."""


class SignInInterrupted(SignInCancelled):
    """The person stopped the wait (Ctrl+C, or the kernel was interrupted)."""


class LoopbackPortUnavailable(AgolJupyterError):
    """The loopback listener cannot listen on the port asked for."""


class SignInTimeout(AgolJupyterError):
    """Nobody finished signing in before the wait ran out."""


class NotSignedIn(AgolJupyterError):
    """There is no saved session for this portal (never signed in, or signed out)."""


class SessionExpired(AgolJupyterError):
    """The saved session can no longer be refreshed: sign in again."""


class StoreCorrupt(AgolJupyterError):
    """The credential file cannot be read."""


class ArcGISNotInstalled(AgolJupyterError):
    """The optional ``arcgis`` package is missing."""


def error_kind(exc: BaseException) -> str:
    """A short, stable name for an error, as the server reports it to kernels and pages:
    ``InvalidRedirectUri`` -> ``invalid_redirect_uri``."""
    kind = getattr(exc, "kind", None)
    if isinstance(kind, str):
        return kind
    return _snake(type(exc).__name__)


def error_class(kind: str) -> type[AgolJupyterError]:
    """The exception class a reported error ``kind`` stands for (the base class if unknown)."""
    for candidate in _all_error_classes():
        if _snake(candidate.__name__) == kind:
            return candidate
    return AgolJupyterError


def _all_error_classes() -> list[type[AgolJupyterError]]:
    found: list[type[AgolJupyterError]] = []
    pending: list[type[AgolJupyterError]] = [AgolJupyterError]
    while pending:
        cls = pending.pop()
        found.append(cls)
        pending.extend(cls.__subclasses__())
    return found


def _snake(name: str) -> str:
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])", "_", name).lower()
