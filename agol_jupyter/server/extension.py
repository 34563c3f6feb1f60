"""Loading the agol-jupyter server extension into a Jupyter server.

Enabled by ``jupyter-config/jupyter_server_config.d/agol_jupyter.json``; the package's
``_jupyter_server_extension_points`` names this module.
"""

from __future__ import annotations

import os
from typing import Any

from .. import __version__, locations
from .config import AgolJupyter
from .flows import FlowRegistry
from .handlers import CONTEXT_KEY, ServerContext, handlers


def _load_jupyter_server_extension(serverapp: Any) -> None:
    """Register the ``{base_url}agol/`` endpoints and tell future kernels the settings."""
    settings = AgolJupyter(parent=serverapp)
    web_app = serverapp.web_app
    base_url: str = web_app.settings.get("base_url", "/")
    store_dir = locations.store_directory()
    web_app.settings[CONTEXT_KEY] = ServerContext(
        settings=settings, flows=FlowRegistry(settings.flow_timeout), store_dir=store_dir
    )
    web_app.add_handlers(".*$", handlers(base_url))

    # Kernels inherit this process's environment: that is how login() in a notebook finds
    # the portal, client id and store this server uses.
    configured = settings.configured_portal()
    os.environ[locations.SERVER_ENV] = locations.ServerSettings(
        portal_url=configured.root if configured else settings.portal_url,
        client_id=settings.client_id,
        ca_bundle=settings.ca_bundle,
        base_url=base_url,
        store_dir=str(store_dir),
    ).to_env()
    if settings.ca_bundle and not os.path.isfile(settings.ca_bundle):
        serverapp.log.warning(
            "agol-jupyter: the CA bundle %s does not exist; sign-ins will fail until "
            "AgolJupyter.ca_bundle (or AGOL_CA_BUNDLE) names your CA's PEM file.",
            settings.ca_bundle,
        )
    serverapp.log.info(
        "agol-jupyter %s loaded: portal %s, client id %s, endpoints at %sagol/",
        __version__,
        (configured.root if configured else settings.portal_url) or "(none configured)",
        settings.client_id or "(none configured)",
        base_url,
    )


# jupyter_server before 2 looked for the name without the underscore.
load_jupyter_server_extension = _load_jupyter_server_extension
