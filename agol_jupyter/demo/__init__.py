"""A local stand-in for an ArcGIS Enterprise org and its SAML identity provider.

Used by ``agol-jupyter-demo`` (``python -m agol_jupyter.demo``) and by the tests. It speaks
HTTPS on loopback with its own CA, serves the OAuth 2.0 authorization-code + PKCE flow through
a SAML IdP on another origin, and the REST endpoints ``arcgis`` needs to build a ``GIS``.
It imports nothing else from ``agol_jupyter``.
"""

from __future__ import annotations

from .config import DemoConfig
from .server import DemoPortal

__all__ = ["DemoConfig", "DemoPortal"]
