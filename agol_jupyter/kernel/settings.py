"""Which portal, app and CA bundle a kernel signs in with.

In order: the arguments given to ``login()``, what the Jupyter server extension passed down
(``AGOL_JUPYTER_SERVER``), then the ``AGOL_PORTAL_URL`` / ``AGOL_CLIENT_ID`` /
``AGOL_CA_BUNDLE`` environment variables.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from .. import locations
from ..errors import ConfigurationError
from ..portal import PortalURL, normalize_portal_url
from ..store import DEFAULT_PROFILE


@dataclass(frozen=True)
class SignInTarget:
    """Everything a sign-in needs to know, none of it secret."""

    portal: PortalURL
    client_id: str
    ca_bundle: str | None
    profile: str
    store_dir: Path
    server: locations.ServerSettings | None

    @property
    def in_jupyter_server(self) -> bool:
        """True when a Jupyter server with the agol-jupyter extension started this kernel."""
        return self.server is not None


def resolve_target(
    portal: str | None = None,
    client_id: str | None = None,
    *,
    ca_bundle: str | None = None,
    profile: str | None = None,
) -> SignInTarget:
    """Work out the portal, client id and CA bundle, or say how to configure them."""
    server = locations.ServerSettings.from_env()
    portal_text = (
        portal or (server.portal_url if server else "") or os.environ.get(locations.PORTAL_ENV, "")
    )
    client = (
        client_id
        or (server.client_id if server else "")
        or os.environ.get(locations.CLIENT_ID_ENV, "")
    )
    if not portal_text:
        raise ConfigurationError(
            "No ArcGIS portal is configured.",
            "Pass it: agol_jupyter.login('https://myorg.maps.arcgis.com', client_id='...'), "
            "or set c.AgolJupyter.portal_url in the Jupyter server's config, or the "
            f"{locations.PORTAL_ENV} environment variable.",
        )
    if not client:
        raise ConfigurationError(
            "No OAuth client id is configured.",
            "Register an application item in your portal (Content > New item > Application), "
            "then pass client_id='...' or set c.AgolJupyter.client_id / "
            f"{locations.CLIENT_ID_ENV}.",
        )
    bundle = (
        ca_bundle
        or (server.ca_bundle if server else "")
        or os.environ.get(locations.CA_BUNDLE_ENV, "")
    )
    if bundle and not Path(bundle).is_file():
        raise ConfigurationError(
            f"The CA bundle {bundle} does not exist.",
            "Point ca_bundle (or AGOL_CA_BUNDLE) at the PEM file of your organization's "
            "certificate authority.",
        )
    store_dir = Path(server.store_dir) if server and server.store_dir else None
    return SignInTarget(
        portal=normalize_portal_url(portal_text),
        client_id=client.strip(),
        ca_bundle=bundle or None,
        profile=profile or DEFAULT_PROFILE,
        store_dir=store_dir or locations.store_directory(),
        server=server,
    )
