"""Which portal, app and CA bundle a kernel signs in with.

In order: the arguments given to ``login()`` / ``connect()``, what the Jupyter server extension
passed down (``AGOL_JUPYTER_SERVER``), then the ``AGOL_PORTAL_URL`` / ``AGOL_CLIENT_ID`` /
``AGOL_CA_BUNDLE`` environment variables. When no portal or client id is configured at all, the
one saved session of the profile (if there is exactly one) says which: a scheduled job then
needs no settings beyond a sign-in made once.
"""

from __future__ import annotations

import dataclasses
import os
import re
from dataclasses import dataclass
from pathlib import Path

from .. import locations
from ..errors import ConfigurationError
from ..portal import PortalURL, normalize_portal_url
from ..store import DEFAULT_PROFILE, Credentials, CredentialStore

_PROFILE = re.compile(r"^[A-Za-z0-9._-]{1,64}$")


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

    @property
    def store(self) -> CredentialStore:
        return CredentialStore(self.store_dir)

    def with_saved_ca(self, creds: Credentials) -> SignInTarget:
        """This target trusting the CA bundle its saved session was made with, when none is
        configured here (a cron job's environment is usually bare)."""
        if self.ca_bundle or not creds.ca_bundle or not Path(creds.ca_bundle).is_file():
            return self
        return dataclasses.replace(self, ca_bundle=creds.ca_bundle)


def check_profile(profile: str | None) -> str:
    """The profile name to use (``default`` when none), or a clear error: it is part of the
    saved session's key and of file and command-line names."""
    name = (profile or "").strip() or DEFAULT_PROFILE
    if not _PROFILE.match(name):
        raise ConfigurationError(
            f"The profile name {name!r} may only contain letters, digits, '.', '_' and '-'.",
            "Use a short name such as 'default', 'field' or 'prod'.",
        )
    return name


def resolve_target(
    portal: str | None = None,
    client_id: str | None = None,
    *,
    ca_bundle: str | None = None,
    profile: str | None = None,
) -> SignInTarget:
    """Work out the portal, client id and CA bundle, or say how to configure them."""
    server = locations.ServerSettings.from_env()
    profile_name = check_profile(profile)
    store_dir = (Path(server.store_dir) if server and server.store_dir else None) or (
        locations.store_directory()
    )
    portal_text = (
        portal or (server.portal_url if server else "") or os.environ.get(locations.PORTAL_ENV, "")
    )
    client = (
        client_id
        or (server.client_id if server else "")
        or os.environ.get(locations.CLIENT_ID_ENV, "")
    )
    if not portal_text or not client:
        only = _only_saved_session(store_dir, profile_name, portal_text, client)
        if only is not None:
            portal_text, client = only.portal, only.client_id
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
    return SignInTarget(
        portal=normalize_portal_url(portal_text),
        client_id=client.strip(),
        ca_bundle=bundle or None,
        profile=profile_name,
        store_dir=store_dir,
        server=server,
    )


def _only_saved_session(
    store_dir: Path, profile: str, portal: str, client_id: str
) -> Credentials | None:
    """The one saved session of ``profile`` that fits what is known, if there is exactly one."""
    root = normalize_portal_url(portal).root if portal else ""
    fitting = [
        creds
        for creds in CredentialStore(store_dir).all()
        if creds.profile == profile
        and (not root or creds.portal == root)
        and (not client_id or creds.client_id == client_id)
    ]
    return fitting[0] if len(fitting) == 1 else None
