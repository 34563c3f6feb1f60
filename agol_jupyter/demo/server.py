"""``DemoPortal``: the demo portal and its IdP, two HTTPS servers on loopback."""

from __future__ import annotations

import os
from pathlib import Path
from types import TracebackType
from typing import Any

from . import content
from .certs import ensure_certificates
from .config import DemoConfig
from .grants import Grants
from .httpbase import Request, Response, Served, TLSServer
from .idp import SSO_PATH, IdentityProvider
from .oauth import OAuthEndpoints
from .portal import WEB_ADAPTOR, PortalApp
from .registration import CLIENT_ID
from .rest import RestApi
from .saml import SamlKey

PORTAL_HOST = "127.0.0.1"
IDP_HOST = "localhost"  # another host name as well as another port: a distinct origin
_BIND = "127.0.0.1"


def default_state_dir() -> Path:
    """Where the demo keeps its certificates unless told otherwise."""
    base = os.environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    return Path(base) / "agol-jupyter-demo"


def _not_started(request: Request) -> Response:
    return Response(503, b"starting", "text/plain; charset=utf-8")


class DemoPortal:
    """A local ArcGIS Enterprise org with a SAML IdP, for the demo and for tests.

    >>> with DemoPortal(state_dir=tmp) as demo:          # doctest: +SKIP
    ...     demo.root_url, demo.idp_origin, demo.ca_path

    Both servers run in background threads; :meth:`stop` (or leaving the ``with``) ends them.
    """

    def __init__(
        self,
        state_dir: Path | str | None = None,
        portal_port: int = 0,
        idp_port: int = 0,
        *,
        config: DemoConfig | None = None,
    ) -> None:
        self.state_dir = Path(state_dir) if state_dir is not None else default_state_dir()
        self.config = config or DemoConfig()
        self.client_id = CLIENT_ID
        self.user = content.DemoUser()
        self.grants = Grants(self.config, CLIENT_ID)
        self._ports = (portal_port, idp_port)
        self._portal: TLSServer | None = None
        self._idp: TLSServer | None = None
        self._ca_path: Path | None = None

    # -- lifecycle ---------------------------------------------------------------------

    def start(self) -> DemoPortal:
        """Create certificates if needed, bind both ports, serve. Returns ``self``."""
        if self._portal is not None:
            return self
        certs = ensure_certificates(self.state_dir)
        self._ca_path = certs.ca_cert
        portal = TLSServer(_BIND, self._ports[0], _not_started, certs.server_pem)
        try:
            idp = TLSServer(_BIND, self._ports[1], _not_started, certs.server_pem)
        except BaseException:
            portal.server_close()
            raise
        self._portal, self._idp = portal, idp
        portal.clock = self.grants.now
        key = SamlKey()
        oauth = OAuthEndpoints(
            grants=self.grants,
            config=self.config,
            saml_key=key,
            rest_path=f"{WEB_ADAPTOR}/sharing/rest",
            rest_url=self.rest_url,
            idp_sso_url=self.idp_origin + SSO_PATH,
            org_name=content.ORG_NAME,
        )
        rest = RestApi(self.grants, oauth, self.user, self.root_url, self.rest_url)
        portal.app = PortalApp(
            rest, self.grants, self.config, self.root_url, self.rest_url, self.stats
        )
        idp.app = IdentityProvider(key, self.user.username, self.user.password, content.ORG_NAME)
        portal.start("demo-portal")
        idp.start("demo-idp")
        return self

    def stop(self) -> None:
        """Stop both servers (idempotent)."""
        for server in (self._portal, self._idp):
            if server is not None:
                server.stop()
        self._portal = self._idp = None

    def __enter__(self) -> DemoPortal:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    # -- what clients need -------------------------------------------------------------

    @property
    def portal_port(self) -> int:
        """The portal's port."""
        return self._running(self._portal).port

    @property
    def idp_port(self) -> int:
        """The IdP's port."""
        return self._running(self._idp).port

    @property
    def root_url(self) -> str:
        """The portal root, e.g. ``https://127.0.0.1:8443/portal``."""
        return f"https://{PORTAL_HOST}:{self.portal_port}{WEB_ADAPTOR}"

    @property
    def rest_url(self) -> str:
        """``root_url + "/sharing/rest"``."""
        return self.root_url + "/sharing/rest"

    @property
    def idp_origin(self) -> str:
        """The IdP's origin, e.g. ``https://localhost:8444`` (not the portal's)."""
        return f"https://{IDP_HOST}:{self.idp_port}"

    @property
    def ca_path(self) -> Path:
        """PEM of the CA that signed both servers' certificate."""
        if self._ca_path is None:
            raise RuntimeError("the demo portal is not started")
        return self._ca_path

    @property
    def username(self) -> str:
        """The demo user's name."""
        return self.user.username

    @property
    def password(self) -> str:
        """The demo user's password at the demo IdP."""
        return self.user.password

    def info(self) -> dict[str, Any]:
        """What the CLI writes to its ``--info-file``."""
        return {
            "root_url": self.root_url,
            "rest_url": self.rest_url,
            "idp_origin": self.idp_origin,
            "ca_path": str(self.ca_path),
            "client_id": self.client_id,
            "username": self.username,
            "password": self.password,
        }

    def stats(self) -> dict[str, Any]:
        """What happened so far (also at ``GET {root_url}/__demo__/stats``).

        ``token_requests``: requests to ``oauth2/token`` per ``grant_type``; ``revocations``:
        ``oauth2/revokeToken`` calls; ``counts``: ``authorize_requests``, ``signins``,
        ``cancels``, ``rest_requests``, ``invalid_token`` (498s), ``token_required`` (499s)...;
        ``issued``: every ``access_tokens``, ``refresh_tokens`` and ``codes`` ever issued, so
        that tests can check none of them leaked anywhere.
        """
        return self.grants.stats()

    def served(self, since: float = 0.0) -> list[Served]:
        """Requests the portal origin answered since ``since`` (epoch seconds): method, path
        (no query) and the time spent answering, for benchmarks and request-count tests."""
        return self._running(self._portal).journal.entries(since)

    def revoke_all(self) -> None:
        """Invalidate every code and token (as an org admin ending all sessions)."""
        self.grants.revoke_all()

    @staticmethod
    def _running(server: TLSServer | None) -> TLSServer:
        if server is None:
            raise RuntimeError("the demo portal is not started")
        return server
