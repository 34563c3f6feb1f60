"""The portal origin: the REST API under ``/portal/sharing/rest``, the probes ``arcgis`` makes
at the web-adaptor root, a tiny home page, and the loopback-only control API ``/__demo__``."""

from __future__ import annotations

import ipaddress
import json
from collections.abc import Callable
from dataclasses import dataclass
from html import escape
from typing import Any

from . import content
from .config import DemoConfig
from .grants import Grants
from .httpbase import Request, Response, arcgis_error, html_response, json_response, redirect
from .pages import error_page
from .rest import RestApi, sharing_info

WEB_ADAPTOR = "/portal"


@dataclass
class PortalApp:
    """Routes every request to the portal origin."""

    rest: RestApi
    grants: Grants
    config: DemoConfig
    root_url: str
    rest_url: str
    stats: Callable[[], dict[str, Any]]

    def __call__(self, request: Request) -> Response:
        """Answer one request."""
        path = request.path
        if path == "/":
            return redirect(f"{WEB_ADAPTOR}/home/")
        if path != WEB_ADAPTOR and not path.startswith(WEB_ADAPTOR + "/"):
            return html_response(error_page("Not found", "The portal lives under /portal."), 404)
        sub = path[len(WEB_ADAPTOR) :]
        if sub == "/sharing/rest" or sub.startswith("/sharing/rest/"):
            return self.rest(request, sub[len("/sharing/rest") :])
        if sub.startswith("/__demo__/"):
            return self._control(request, sub[len("/__demo__/") :])
        if sub.rstrip("/") in ("/info", "/rest/info"):
            return json_response(sharing_info(self.root_url, self.rest_url))
        if sub in ("", "/") or sub.startswith("/home"):
            return html_response(_home_page(self.rest_url))
        # Includes {root}/rest/services: an error, never a "folders" list, or arcgis would
        # take the site for an ArcGIS Server.
        return arcgis_error(400, f"Could not find resource or operation '{sub}' on the system.")

    def _control(self, request: Request, name: str) -> Response:
        if not ipaddress.ip_address(request.client_host).is_loopback:
            return json_response({"error": "the control API answers loopback only"}, 403)
        if name == "config":
            if request.method == "POST":
                try:
                    changes = json.loads(request.body or b"{}")
                    if not isinstance(changes, dict):
                        raise ValueError("send a JSON object")
                    return json_response(self.config.update(changes))
                except ValueError as e:
                    return json_response({"error": str(e)}, 400)
            return json_response(self.config.as_dict())
        if name == "stats":
            return json_response(self.stats())
        if name == "revoke_all" and request.method == "POST":
            self.grants.revoke_all()
            return json_response({"success": True})
        return json_response({"error": f"unknown control {name!r}"}, 404)


def _home_page(rest_url: str) -> str:
    name = escape(content.ORG_NAME)
    return (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
        f'<title>{name}</title></head><body style="font-family:system-ui,sans-serif">'
        f'<img src="{escape(rest_url)}/portals/self/resources/thumbnail.png" width="64" alt="">'
        f"<h1>{name}</h1><p>A demo ArcGIS Enterprise portal for agol-jupyter. Sign in from a "
        "notebook with <code>agol_jupyter.login()</code>.</p></body></html>"
    )
