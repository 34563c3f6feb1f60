"""agol-jupyter: one-click ArcGIS sign-in from Jupyter notebooks.

Importing this package is cheap: it pulls in neither ``arcgis`` nor ``ipywidgets``
nor ``tornado``. The public functions import what they need when called.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"
__all__ = ["__version__", "login"]

if TYPE_CHECKING:
    from arcgis.gis import GIS


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
    A saved session that is still good is used at once; otherwise a sign-in button appears and
    the call returns once you have signed in in the popup. Errors say what to do next.
    """
    from .kernel.login import login as _login

    return _login(
        portal, client_id, timeout=timeout, profile=profile, ca_bundle=ca_bundle, force=force
    )


def _jupyter_server_extension_points() -> list[dict[str, str]]:
    return [{"module": "agol_jupyter.server.extension"}]


def load_ipython_extension(ipython: Any) -> None:
    """``%load_ext agol_jupyter``: registers the ``%agol_login`` magic."""
    from .kernel.magic import register

    register(ipython)
