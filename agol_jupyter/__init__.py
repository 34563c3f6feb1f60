"""agol-jupyter: one-click ArcGIS sign-in from Jupyter notebooks.

Importing this package is cheap: it pulls in neither ``arcgis`` nor ``ipywidgets``
nor ``tornado``. The public functions import what they need when called.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"
__all__ = ["__version__", "connect", "login", "logout", "sessions"]

if TYPE_CHECKING:
    from arcgis.gis import GIS

    from .kernel.connect import SessionInfo, SignOutResult


def login(
    portal: str | None = None,
    client_id: str | None = None,
    *,
    timeout: float = 300,
    profile: str | None = None,
    ca_bundle: str | None = None,
    force: bool = False,
) -> GIS:
    """Sign in to an ArcGIS portal with your organization's login and return a ``GIS``.

    With no arguments it uses the portal and client id the Jupyter server is configured with.
    A saved session that is still good is used at once, with no click; otherwise (or with
    ``force=True``) a sign-in button appears and the call returns once you have signed in in
    the popup. ``profile="field"`` keeps a separate session (another org or user). Errors say
    what to do next.
    """
    from .kernel.login import login as _login

    return _login(
        portal, client_id, timeout=timeout, profile=profile, ca_bundle=ca_bundle, force=force
    )


def connect(
    portal: str | None = None,
    client_id: str | None = None,
    *,
    profile: str | None = None,
    ca_bundle: str | None = None,
) -> GIS:
    """A signed-in ``GIS`` from the saved session, for scheduled notebooks and scripts.

    Never shows a widget or waits for a click: it returns at once, or raises at once
    (``errors.NotSignedIn``, ``errors.SessionExpired``...) saying when the session ended and
    the command that signs in again. Settings as for :func:`login`; with none, the profile's
    only saved session is used.
    """
    from .kernel.connect import connect as _connect

    return _connect(portal, client_id, profile=profile, ca_bundle=ca_bundle)


def sessions(portal: str | None = None, *, profile: str | None = None) -> list[SessionInfo]:
    """The saved sessions (no secrets): profile, portal, user, and until when each lasts."""
    from .kernel.connect import sessions as _sessions

    return _sessions(portal, profile=profile)


def logout(
    portal: str | None = None, client_id: str | None = None, *, profile: str | None = None
) -> SignOutResult:
    """Sign out: the portal revokes the saved session and it is forgotten here. A ``GIS`` still
    using it raises ``errors.NotSignedIn`` on its next request."""
    from .kernel.connect import logout as _logout

    return _logout(portal, client_id, profile=profile)


def _jupyter_server_extension_points() -> list[dict[str, str]]:
    return [{"module": "agol_jupyter.server.extension"}]


def _jupyter_labextension_paths() -> list[dict[str, str]]:
    # The built front end (labextension/ compiled into agol_jupyter/labextension/); used by
    # `jupyter labextension develop`. The wheel installs it through shared-data instead.
    return [{"src": "labextension", "dest": "agol-jupyter"}]


def load_ipython_extension(ipython: Any) -> None:
    """``%load_ext agol_jupyter``: registers the ``%agol_login`` magic."""
    from .kernel.magic import register

    register(ipython)
