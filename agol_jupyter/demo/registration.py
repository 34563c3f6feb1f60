"""The one app registered on the demo org, and how redirect URIs are matched against it."""

from __future__ import annotations

from urllib.parse import quote, urlencode, urlsplit, urlunsplit

from .config import DemoConfig

CLIENT_ID = "agoljupyterdemo"
APP_TITLE = "agol-jupyter demo"
LOOPBACK_HOSTS = ("localhost", "127.0.0.1", "::1")
CALLBACK_SUFFIX = "agol/callback"


def is_registered_redirect(uri: str, config: DemoConfig) -> bool:
    """Whether ``uri`` may receive codes for the demo app.

    A registered URI matches when scheme, host, port and path are equal (a query on either
    side is ignored, since clients keep their own query on it). With
    ``allow_loopback_redirects`` any loopback ``.../agol/callback`` on any port matches too,
    so the demo works whatever port JupyterLab picks.
    """
    try:
        parts = urlsplit(uri)
        _ = parts.port  # raises on a bad port
    except ValueError:
        return False
    if parts.scheme not in ("http", "https") or not parts.netloc or parts.fragment:
        return False
    if "@" in parts.netloc:
        return False
    for registered in config.redirect_uris:
        reg = urlsplit(registered)
        if (reg.scheme, reg.netloc.lower(), reg.path or "/") == (
            parts.scheme,
            parts.netloc.lower(),
            parts.path or "/",
        ):
            return True
    if config.allow_loopback_redirects:
        host = (parts.hostname or "").lower()
        return host in LOOPBACK_HOSTS and parts.path.endswith(CALLBACK_SUFFIX)
    return False


def with_query(uri: str, params: dict[str, str]) -> str:
    """``uri`` with ``params`` appended to the query it already has (``%20`` for spaces)."""
    parts = urlsplit(uri)
    extra = urlencode(params, quote_via=quote)
    query = f"{parts.query}&{extra}" if parts.query else extra
    return urlunsplit((parts.scheme, parts.netloc, parts.path, query, parts.fragment))
