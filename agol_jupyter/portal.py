"""Portal URLs and portal information.

People paste every kind of ArcGIS URL: ``https://www.arcgis.com/home``,
``myorg.maps.arcgis.com/home/index.html``, ``https://gis.example.com/portal/sharing/rest/``.
:func:`normalize_portal_url` turns them all into one canonical portal root, so that the same org
always gets the same saved session. Pure: no Jupyter, no arcgis.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from .errors import PortalURLError
from .rest import get_json

ONLINE_HOST = "www.arcgis.com"
# Path segments that belong to the portal's apps and API, not to its web adaptor.
_APP_SEGMENTS = ("home", "sharing", "apps", "notebooks", "webadaptor", "portaladmin")
_HOST = re.compile(
    r"^(?=.{1,253}$)[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$"
)
_SEGMENT = re.compile(r"^[A-Za-z0-9._~-]{1,100}$")
MAX_URL_LENGTH = 2048


@dataclass(frozen=True)
class PortalURL:
    """A canonical portal root such as ``https://myorg.maps.arcgis.com`` or
    ``https://gis.example.com/portal`` (no trailing slash)."""

    root: str

    @property
    def rest(self) -> str:
        """The portal's REST root, ``{root}/sharing/rest``."""
        return f"{self.root}/sharing/rest"

    @property
    def host(self) -> str:
        return urlsplit(self.root).hostname or ""

    @property
    def is_online(self) -> bool:
        """True for ArcGIS Online (``www.arcgis.com`` or an org's ``*.maps.arcgis.com``)."""
        return _is_online_host(self.host)

    def __str__(self) -> str:
        return self.root


def is_loopback_host(host: str) -> bool:
    """True for ``localhost`` and loopback addresses (127.0.0.0/8, ::1)."""
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def _is_online_host(host: str) -> bool:
    return host in ("arcgis.com", ONLINE_HOST) or host.endswith(".arcgis.com")


def normalize_portal_url(url: str) -> PortalURL:
    """Turn what a person pasted into the canonical portal root.

    Raises :class:`PortalURLError` with the fix when the text cannot be a portal URL.
    """
    text = (url or "").strip()
    if not text:
        raise PortalURLError(
            "No portal URL was given.",
            "Pass the URL of your ArcGIS organization, e.g. https://myorg.maps.arcgis.com "
            "or https://gis.example.com/portal.",
        )
    if len(text) > MAX_URL_LENGTH:
        raise PortalURLError("The portal URL is too long.", "Check the portal URL.")
    if "://" not in text:
        text = "https://" + text
    parts = urlsplit(text)
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https"):
        raise PortalURLError(
            f"{url!r} is not a web address (it starts with {parts.scheme}://).",
            "Use the https:// address of your ArcGIS organization.",
        )
    if parts.username or parts.password:
        raise PortalURLError(
            "The portal URL contains a user name or password.",
            "Remove them: you sign in with your organization's login page instead.",
        )
    try:
        host = (parts.hostname or "").lower()
        port = parts.port
    except ValueError as exc:
        raise PortalURLError(f"{url!r} has an invalid port.", "Check the URL.") from exc
    if not host:
        raise PortalURLError(f"{url!r} has no host name.", "Check the URL.")
    if not _plausible_host(host):
        raise _odd_characters()

    segments = [s for s in parts.path.split("/") if s]
    if "rest" in segments and "services" in segments and "sharing" not in segments:
        raise PortalURLError(
            f"{url!r} looks like an ArcGIS Server services URL, not a portal.",
            "Use the URL of the portal (ArcGIS Online or ArcGIS Enterprise) that federates it.",
        )
    cut = next(
        (i for i, s in enumerate(segments) if s.lower() in _APP_SEGMENTS or "." in s),
        len(segments),
    )
    segments = segments[:cut]
    if not all(_SEGMENT.match(s) for s in segments):
        raise _odd_characters()

    if _is_online_host(host):
        # ArcGIS Online has no web adaptor path; arcgis.com itself is www.arcgis.com.
        segments = []
        if host == "arcgis.com":
            host = ONLINE_HOST
    # ArcGIS only serves OAuth over HTTPS; plain http is kept for loopback test portals.
    if scheme == "http" and not is_loopback_host(host):
        scheme = "https"
    netloc = f"[{host}]" if ":" in host else host
    if port is not None and not (scheme == "https" and port == 443):
        if not (scheme == "http" and port == 80):
            netloc = f"{netloc}:{port}"
    path = "".join("/" + s for s in segments)
    return PortalURL(f"{scheme}://{netloc}{path}")


def _plausible_host(host: str) -> bool:
    if _HOST.match(host):
        return True
    try:
        ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return False
    return True


def _odd_characters() -> PortalURLError:
    # No echo of the text: it may come from a page and end up in HTML or logs.
    return PortalURLError(
        "The portal URL has characters a portal address cannot have.",
        "Copy the portal's address from the browser's address bar, e.g. "
        "https://myorg.maps.arcgis.com or https://gis.example.com/portal "
        "(internationalized host names in their xn-- form).",
    )


@dataclass(frozen=True)
class PortalInfo:
    """What a sign-in button needs to know about an org, from ``portals/self``."""

    portal: PortalURL
    name: str
    url_key: str = ""
    is_portal: bool = False
    can_sign_in_idp: bool = False
    supports_oauth: bool = True
    thumbnail_url: str | None = None
    raw: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def from_portals_self(cls, portal: PortalURL, body: dict[str, Any]) -> PortalInfo:
        name = (
            body.get("name")
            or body.get("portalName")
            or ("ArcGIS Online" if portal.is_online else portal.host)
        )
        thumbnail = body.get("thumbnail")
        thumbnail_url = f"{portal.rest}/portals/self/resources/{thumbnail}" if thumbnail else None
        return cls(
            portal=portal,
            name=str(name),
            url_key=str(body.get("urlKey") or ""),
            is_portal=bool(body.get("isPortal")),
            can_sign_in_idp=bool(body.get("canSignInIDP")),
            supports_oauth=body.get("supportsOAuth", True) is not False,
            thumbnail_url=thumbnail_url,
            raw=body,
        )


def fetch_portal_info(
    portal: PortalURL, *, ca_bundle: str | None = None, timeout: float = 10
) -> PortalInfo:
    """Read ``{rest}/portals/self`` anonymously: the org's name, logo and login options."""
    body = get_json(f"{portal.rest}/portals/self", ca_bundle=ca_bundle, timeout=timeout)
    return PortalInfo.from_portals_self(portal, body)
