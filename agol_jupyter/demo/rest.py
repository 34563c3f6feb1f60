"""The portal's REST API (``{root}/sharing/rest/...``) as far as ``arcgis`` and the project use it.

Tokens are read from ``X-Esri-Authorization: Bearer``, ``Authorization: Bearer`` or a
``token`` parameter. A token that is unknown, expired or revoked gets ``498 Invalid token.``
on any resource; a private resource asked for without one gets ``499 Token Required``. Every
answer, errors and unknown paths included, is HTTP 200 with a JSON body, as ArcGIS does
(a 4xx would make ``arcgis`` drop its token).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from . import content
from .grants import Grants
from .httpbase import Request, Response, arcgis_error, json_response
from .logo import logo_png
from .oauth import OAuthEndpoints
from .registration import APP_TITLE, CLIENT_ID

_NO_TOKEN_CHECK = ("oauth2/", "info", "generateToken")


@dataclass
class Caller:
    """Who is asking: ``username`` is ``None`` for anonymous requests."""

    username: str | None


@dataclass
class RestApi:
    """Routes ``{root}/sharing/rest/<path>``."""

    grants: Grants
    oauth: OAuthEndpoints
    user: content.DemoUser
    root_url: str
    rest_url: str

    def __call__(self, request: Request, path: str) -> Response:
        """Answer ``path`` (relative to the REST root, no leading slash)."""
        path = path.strip("/")
        self.grants.count("rest_requests")
        if path.startswith("oauth2/"):
            return self.oauth(request, path[len("oauth2/") :])
        caller = Caller(None)
        if not path.startswith(_NO_TOKEN_CHECK):
            token = bearer_token(request)
            if token is not None:
                username = self.grants.user_for_token(token)
                if username is None:
                    self.grants.count("invalid_token")
                    return arcgis_error(498, "Invalid token.")
                caller = Caller(username)
        handler, needs_user = self._route(path)
        if needs_user and caller.username is None:
            self.grants.count("token_required")
            return arcgis_error(499, "Token Required")
        return handler(request, caller, path)

    def _route(self, path: str) -> tuple[Callable[[Request, Caller, str], Response], bool]:
        parts = path.split("/")
        exact: dict[str, tuple[Callable[[Request, Caller, str], Response], bool]] = {
            "": (self._root, False),
            "info": (self._info, False),
            "generateToken": (self._generate_token, False),
            "portals/self": (self._portal_self, False),
            "portals/self/roles": (self._roles, True),
            "portals/self/servers": (self._servers, True),
            "community/self": (self._community_self, True),
            "community/users": (self._user_search, True),
            "community/groups": (self._group_search, False),
            "search": (self._search, False),
        }
        if path in exact:
            return exact[path]
        if path.startswith(("portals/self/resources/", f"portals/{content.ORG_ID}/resources/")):
            return self._resource, False
        if len(parts) >= 4 and parts[:3] == ["portals", "self", "roles"]:
            return self._role, True
        if len(parts) >= 3 and parts[:2] == ["community", "users"]:
            return self._user, True
        if len(parts) >= 3 and parts[:2] == ["content", "items"]:
            return self._item, False
        if len(parts) >= 3 and parts[:2] == ["content", "users"]:
            return self._user_content, True
        return self._unknown, False

    # -- handlers ----------------------------------------------------------------------

    def _root(self, request: Request, caller: Caller, path: str) -> Response:
        return json_response({"currentVersion": content.CURRENT_VERSION})

    def _info(self, request: Request, caller: Caller, path: str) -> Response:
        return json_response(sharing_info(self.root_url, self.rest_url))

    def _generate_token(self, request: Request, caller: Caller, path: str) -> Response:
        # The demo user exists only at the IdP (a SAML login): no built-in password works.
        return json_response(
            {
                "error": {
                    "code": 400,
                    "message": "Unable to generate token.",
                    "details": ["Invalid username or password."],
                }
            }
        )

    def _portal_self(self, request: Request, caller: Caller, path: str) -> Response:
        data = portal_self(self.root_url)
        if caller.username is not None:
            data["user"] = self.user.profile()
            data["appInfo"] = {
                "appId": CLIENT_ID,
                "itemId": "a9900000000000000000000000000a99",
                "appOwner": self.user.username,
                "orgId": content.ORG_ID,
                "appTitle": APP_TITLE,
                "appType": "multiple",
                "privileges": [],
            }
        return json_response(data)

    def _resource(self, request: Request, caller: Caller, path: str) -> Response:
        if path.rsplit("/", 1)[-1] == "thumbnail.png":
            return Response(200, logo_png(), "image/png")
        return arcgis_error(400, "Resource does not exist or is inaccessible.")

    def _roles(self, request: Request, caller: Caller, path: str) -> Response:
        return json_response(
            {"total": 1, "start": 1, "num": 10, "nextStart": -1, "roles": [content.ROLE]}
        )

    def _role(self, request: Request, caller: Caller, path: str) -> Response:
        parts = path.split("/")
        if parts[3] != content.ROLE_ID:
            return arcgis_error(400, "Role does not exist or is inaccessible.")
        if parts[4:] == ["privileges"]:
            return json_response({"privileges": list(content.PRIVILEGES)})
        if parts[4:]:
            return self._unknown(request, caller, path)
        return json_response(content.ROLE)

    def _servers(self, request: Request, caller: Caller, path: str) -> Response:
        return json_response({"servers": []})

    def _community_self(self, request: Request, caller: Caller, path: str) -> Response:
        return json_response(self.user.profile())

    def _user(self, request: Request, caller: Caller, path: str) -> Response:
        parts = path.split("/")
        if parts[2].lower() != self.user.username.lower() or parts[3:]:
            return arcgis_error(400, f"User '{parts[2]}' does not exist or is inaccessible.")
        return json_response(self.user.profile(private=caller.username == self.user.username))

    def _user_search(self, request: Request, caller: Caller, path: str) -> Response:
        results = [self.user.profile(private=False)]
        return json_response(_page(request, results, query=request.param("q") or ""))

    def _group_search(self, request: Request, caller: Caller, path: str) -> Response:
        return json_response(_page(request, [], query=request.param("q") or ""))

    def _search(self, request: Request, caller: Caller, path: str) -> Response:
        query = request.param("q") or ""
        found = content.search(query, self._visible(caller))
        sort_field = request.param("sortField")
        if sort_field:
            found.sort(
                key=lambda i: str(i.get(sort_field, "")),
                reverse=(request.param("sortOrder") or "asc").lower() == "desc",
            )
        return json_response(_page(request, found, query=query))

    def _item(self, request: Request, caller: Caller, path: str) -> Response:
        parts = path.split("/")
        all_items = {i["id"]: i for i in content.items(self.user.username, self.root_url)}
        item = all_items.get(parts[2])
        if item is None:
            return arcgis_error(400, "Item does not exist or is inaccessible.")
        if item not in content.visible_items(list(all_items.values()), caller.username):
            if caller.username is None:
                return arcgis_error(499, "Token Required")
            return arcgis_error(
                403,
                "You do not have permissions to access this resource or perform this operation.",
            )
        rest = parts[3:]
        if not rest:
            return json_response(item)
        if rest == ["data"]:
            return _item_data(item)
        return self._unknown(request, caller, path)

    def _user_content(self, request: Request, caller: Caller, path: str) -> Response:
        parts = path.split("/")
        if parts[2] != caller.username:
            return arcgis_error(
                403,
                "You do not have permissions to access this resource or perform this operation.",
            )
        if parts[3:]:
            return self._unknown(request, caller, path)
        owned = [i for i in self._visible(caller) if i["owner"] == caller.username]
        return json_response(
            {
                "username": caller.username,
                "total": len(owned),
                "start": 1,
                "num": len(owned),
                "nextStart": -1,
                "currentFolder": None,
                "items": owned,
                "folders": [],
            }
        )

    def _unknown(self, request: Request, caller: Caller, path: str) -> Response:
        return arcgis_error(400, f"Could not find resource or operation '{path}' on the system.")

    def _visible(self, caller: Caller) -> list[dict[str, Any]]:
        return content.visible_items(
            content.items(self.user.username, self.root_url), caller.username
        )


def bearer_token(request: Request) -> str | None:
    """The token a request carries, from its headers or its ``token`` parameter."""
    for header in ("X-Esri-Authorization", "Authorization"):
        value = request.headers.get(header) or ""
        scheme, _, token = value.strip().partition(" ")
        if scheme.lower() == "bearer" and token.strip():
            return token.strip()
    return request.param("token") or None


def sharing_info(root_url: str, rest_url: str) -> dict[str, Any]:
    """``{rest}/info``: where tokens come from."""
    return {
        "owningSystemUrl": root_url,
        "authInfo": {"tokenServicesUrl": f"{rest_url}/generateToken", "isTokenBasedSecurity": True},
    }


def portal_self(root_url: str) -> dict[str, Any]:
    """``portals/self`` as an anonymous caller sees it."""
    host = root_url.split("://", 1)[1]
    return {
        "id": content.ORG_ID,
        "name": content.ORG_NAME,
        "portalName": "ArcGIS Enterprise",
        "urlKey": content.URL_KEY,
        "customBaseUrl": host.split("/", 1)[0],
        "portalHostname": host,
        "isPortal": True,
        "portalMode": "singletenant",
        "currentVersion": content.CURRENT_VERSION,
        "access": "private",
        "allSSL": True,
        "httpPort": 80,
        "httpsPort": int(host.split("/", 1)[0].rsplit(":", 1)[-1]) if ":" in host else 443,
        "supportsOAuth": True,
        "canSignInArcGIS": False,
        "canSignInIDP": True,
        "canSignInOIDC": False,
        "canSignInSocial": False,
        "canSearchPublic": True,
        "canSharePublic": True,
        "canListPreProvisionedItems": False,
        "canProvisionDirectPurchase": False,
        "commentsEnabled": True,
        "thumbnail": "thumbnail.png",
        "description": "A local stand-in for an ArcGIS Enterprise org, for demos and tests.",
        "culture": "en",
        "region": "US",
        "units": "english",
        "created": content.CREATED_MS,
        "modified": content.MODIFIED_MS,
        "featuredGroups": [],
        "featuredItemsGroupQuery": "",
        "defaultBasemap": content.WEB_MAP_DATA["baseMap"],
        "defaultExtent": {
            "xmin": -13654000,
            "ymin": 4532000,
            "xmax": -13600000,
            "ymax": 4573000,
            "spatialReference": {"wkid": 102100},
        },
        "helperServices": {},
        "ipCntryCode": "US",
        "mfaEnabled": False,
        "metadataEditable": False,
        "portalProperties": {"links": {"contactUs": {"url": "mailto:admin@demo-idp.example"}}},
        "rotatorPanels": [],
        "showHomePageDescription": False,
        "supportsHostedServices": True,
        "maxTokenExpirationMinutes": -1,
        "authorizedCrossOriginDomains": [],
        "allowedRedirectUris": [],
        "samlEnabled": True,
        "idp": {"name": "Demo IdP", "type": "saml"},
        "isVerified": False,
    }


def _page(request: Request, results: list[dict[str, Any]], *, query: str) -> dict[str, Any]:
    try:
        start = max(1, int(request.param("start") or 1))
        num = max(0, min(100, int(request.param("num") or 10)))
    except ValueError:
        start, num = 1, 10
    chunk = results[start - 1 : start - 1 + num]
    next_start = start + num if start - 1 + num < len(results) else -1
    return {
        "query": query,
        "total": len(results),
        "start": start,
        "num": num,
        "nextStart": next_start,
        "results": chunk,
    }


def _item_data(item: dict[str, Any]) -> Response:
    if item["type"] == "Web Map":
        return json_response(content.WEB_MAP_DATA)
    if item["type"] == "CSV":
        rows = "site,date,result\nNorth Gate,2024-03-01,ok\nRiver Bend,2024-03-02,repair\n"
        return Response(200, rows.encode(), "text/csv; charset=utf-8")
    if item["type"] == "Notebook":
        notebook = {"cells": [], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}
        return Response(200, json.dumps(notebook).encode())
    return json_response({})
