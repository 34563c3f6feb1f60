"""The server extension's settings, and the checks that turn a request's values into a flow.

Every setting is a traitlet read from the Jupyter server's config (``c.AgolJupyter.portal_url``
in ``jupyter_server_config.py``, or ``--AgolJupyter.portal_url=...`` on the command line); the
portal, client id and CA bundle fall back to environment variables.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from typing import Any

from jupyter_server.utils import url_path_join
from traitlets import Float, Integer, List, Unicode, default, validate
from traitlets.config import Configurable

from .. import locations
from ..errors import ConfigurationError, PortalURLError
from ..portal import PortalURL, normalize_portal_url
from ..store import DEFAULT_PROFILE

CALLBACK_PATH = "agol/callback"
HUB_PREFIX_ENV = "JUPYTERHUB_SERVICE_PREFIX"
HUB_BASE_ENV = "JUPYTERHUB_BASE_URL"

_CLIENT_ID = re.compile(r"^[A-Za-z0-9._~-]{1,128}$")
_PROFILE = re.compile(r"^[A-Za-z0-9._-]{1,64}$")


class PortalNotAllowed(ConfigurationError):
    """The portal is not one of ``AgolJupyter.allowed_portals``."""


class AgolJupyter(Configurable):
    """Settings of the agol-jupyter server extension."""

    portal_url = Unicode(
        help="""URL of the ArcGIS portal to sign in to by default, e.g.
        https://myorg.maps.arcgis.com or https://gis.example.com/portal.
        Default: the AGOL_PORTAL_URL environment variable.""",
    ).tag(config=True)

    client_id = Unicode(
        help="""Client id of the OAuth app registered in the portal (an Application item).
        Default: the AGOL_CLIENT_ID environment variable.""",
    ).tag(config=True)

    ca_bundle = Unicode(
        help="""Path of a PEM file with the certificate authorities to trust for the portal
        (ArcGIS Enterprise with an internal PKI). Empty: the system's trust store.
        Default: the AGOL_CA_BUNDLE environment variable.""",
    ).tag(config=True)

    redirect_uri = Unicode(
        help="""The redirect URI to send to the portal. Empty (the default) computes it for each
        request: {protocol}://{host}{base_url}agol/callback, or under JupyterHub
        {protocol}://{host}{hub base url}hub/user-redirect/agol/callback so that one URI serves
        every user of the hub. It must be registered on the portal's app item.""",
    ).tag(config=True)

    allowed_portals = List(
        Unicode(),
        help="""Portals that sign-in may be started for (any URL form; compared after
        normalization). Empty: any HTTPS portal, or a portal on loopback. The configured
        portal_url is always allowed.""",
    ).tag(config=True)

    flow_timeout = Float(
        600.0,
        help="Seconds a started sign-in stays valid, from the click to the portal's answer.",
    ).tag(config=True)

    portal_timeout = Float(
        15.0,
        help="Seconds to wait for the portal on each request the server makes to it.",
    ).tag(config=True)

    refresh_token_minutes = Integer(
        None,
        allow_none=True,
        help="""Life of the refresh token in minutes, sent as `expiration` to the portal
        (ArcGIS: at most 90 days, capped by the org's policy). None: the portal's default
        (two weeks).""",
    ).tag(config=True)

    @default("portal_url")
    def _portal_url_default(self) -> str:
        return os.environ.get(locations.PORTAL_ENV, "")

    @default("client_id")
    def _client_id_default(self) -> str:
        return os.environ.get(locations.CLIENT_ID_ENV, "")

    @default("ca_bundle")
    def _ca_bundle_default(self) -> str:
        return self._absolute(os.environ.get(locations.CA_BUNDLE_ENV, ""))

    @validate("ca_bundle")
    def _ca_bundle_absolute(self, proposal: Any) -> str:
        # Kernels start in the notebook's folder: a relative path would point elsewhere there.
        return self._absolute(str(proposal["value"]))

    @staticmethod
    def _absolute(path: str) -> str:
        return os.path.abspath(os.path.expanduser(path)) if path.strip() else ""

    # -- values a request asks for -----------------------------------------------------------
    def configured_portal(self) -> PortalURL | None:
        """The configured default portal, or None when none (or an unusable one) is set."""
        try:
            return normalize_portal_url(self.portal_url) if self.portal_url else None
        except PortalURLError:
            return None

    def resolve_portal(self, requested: str | None) -> PortalURL:
        """The portal a request means (its own, else the default), checked against the list."""
        text = (requested or "").strip() or self.portal_url
        if not text:
            raise ConfigurationError(
                "No portal URL was given and none is configured.",
                "Pass the portal URL (e.g. login('https://myorg.maps.arcgis.com')) or set "
                "c.AgolJupyter.portal_url in the Jupyter server config (or AGOL_PORTAL_URL).",
            )
        # normalize_portal_url keeps http:// only for loopback portals (test and demo ones).
        portal = normalize_portal_url(text)
        allowed = self._allowed_roots()
        if allowed and portal.root not in allowed:
            raise PortalNotAllowed(
                f"Signing in to {portal.root} is not allowed on this Jupyter server.",
                "Use one of the allowed portals ("
                + ", ".join(sorted(allowed))
                + "), or ask the server's administrator to add it to "
                "c.AgolJupyter.allowed_portals.",
            )
        return portal

    def _allowed_roots(self) -> set[str]:
        roots = set()
        for url in [*self.allowed_portals, *([self.portal_url] if self.allowed_portals else [])]:
            try:
                roots.add(normalize_portal_url(url).root)
            except PortalURLError:
                continue
        return roots

    def resolve_client_id(self, requested: str | None) -> str:
        """The client id a request means (its own, else the configured one), checked."""
        client_id = (requested or "").strip() or self.client_id.strip()
        if not client_id:
            raise ConfigurationError(
                "No client id was given and none is configured.",
                "Register an app in the portal (Content > New item > Application) and pass "
                "its client id, or set c.AgolJupyter.client_id (or AGOL_CLIENT_ID).",
            )
        if not _CLIENT_ID.match(client_id):
            raise ConfigurationError(
                "The client id contains characters a client id cannot have.",
                "Copy the client id from the app item's Settings > Registered Info.",
            )
        return client_id

    def redirect_uri_for(self, protocol: str, host: str, base_url: str) -> str:
        """The redirect URI for a request that reached this server at ``protocol://host``."""
        if self.redirect_uri:
            return self.redirect_uri
        if os.environ.get(HUB_PREFIX_ENV):
            hub_base = os.environ.get(HUB_BASE_ENV) or "/"
            path = url_path_join(hub_base, "hub/user-redirect", CALLBACK_PATH)
        else:
            path = url_path_join(base_url, CALLBACK_PATH)
        return f"{protocol}://{host}{path}"


def resolve_profile(requested: str | None) -> str:
    """The credential-store profile a request means, checked (it is part of the store key)."""
    profile = (requested or "").strip() or DEFAULT_PROFILE
    if not _PROFILE.match(profile):
        raise ConfigurationError(
            "The profile name may only contain letters, digits, '.', '_' and '-'.",
            "Use a short name such as 'default' or 'prod'.",
        )
    return profile


@dataclass(frozen=True)
class FlowTarget:
    """Where a sign-in goes: the checked portal, client id and profile."""

    portal: PortalURL
    client_id: str
    profile: str


def resolve_target(
    settings: AgolJupyter, portal: str | None, client_id: str | None, profile: str | None
) -> FlowTarget:
    """Check all three values a request gives; raises the first problem found."""
    return FlowTarget(
        portal=settings.resolve_portal(portal),
        client_id=settings.resolve_client_id(client_id),
        profile=resolve_profile(profile),
    )
