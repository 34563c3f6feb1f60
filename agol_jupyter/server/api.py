"""The JSON endpoints under ``{base_url}agol/api/``: start a flow, status, sign out.

The widget and the JupyterLab extension call these; none of them ever answers a token.
"""

from __future__ import annotations

import asyncio
import time

from tornado import web

from .. import __version__, errors
from ..portal import normalize_portal_url
from ..store import Credentials, credential_key
from .base import MAX_ARG, ApiHandler
from .config import resolve_profile


class FlowsHandler(ApiHandler):
    """``POST agol/api/flows``: begin a sign-in; answers the URL the popup should open."""

    @web.authenticated
    def post(self) -> None:
        try:
            flow = self.create_flow(self.json_body())
        except errors.AgolJupyterError as exc:
            self.fail_with(exc)
            return
        self.finish(
            {
                "start_url": self.start_url(flow),
                "redirect_uri": flow.redirect_uri,
                "expires_in": self.agol.flows.timeout,
            }
        )


class StatusHandler(ApiHandler):
    """``GET agol/api/status``: the configuration and the saved sessions, never a token."""

    @web.authenticated
    def get(self) -> None:
        settings = self.agol.settings
        try:
            portal = self.get_query_argument("portal", "")[:MAX_ARG].strip()
            root = normalize_portal_url(portal).root if portal else ""
            client_id = self.get_query_argument("client_id", "")[:MAX_ARG].strip()
            profile = self.get_query_argument("profile", "")[:MAX_ARG].strip()
            if profile:
                resolve_profile(profile)
            sessions = [
                creds.public_summary()
                for creds in self.agol.store.all()
                if (not root or creds.portal == root)
                and (not client_id or creds.client_id == client_id)
                and (not profile or creds.profile == profile)
            ]
        except errors.AgolJupyterError as exc:
            self.fail_with(exc)
            return
        configured = settings.configured_portal()
        self.finish(
            {
                "configured": {
                    "portal": configured.root if configured else "",
                    "client_id": settings.client_id,
                },
                "redirect_uri": self.redirect_uri(),
                "sessions": sessions,
                "version": __version__,
            }
        )


class LogoutHandler(ApiHandler):
    """``POST agol/api/logout``: revoke the session at the portal and forget it here."""

    @web.authenticated
    async def post(self) -> None:
        settings = self.agol.settings
        try:
            body = self.json_body()
            portal = normalize_portal_url(body.get("portal") or settings.portal_url)
            client_id = settings.resolve_client_id(body.get("client_id"))
            profile = resolve_profile(body.get("profile"))
        except errors.AgolJupyterError as exc:
            self.fail_with(exc)
            return
        key = credential_key(portal.root, client_id, profile)
        try:
            creds = await asyncio.to_thread(self.agol.store.delete, key)
        except errors.AgolJupyterError as exc:
            self.fail_with(exc)
            return
        if creds is None:
            self.finish(
                {
                    "signed_out": True,
                    "revoked": False,
                    "message": f"There was no saved session for {portal.root}.",
                }
            )
            return
        revoked, message = await self._revoke(creds)
        self.log.info("agol-jupyter: signed out %s at %s", creds.username, creds.portal)
        self.finish({"signed_out": True, "revoked": revoked, "message": message})

    async def _revoke(self, creds: Credentials) -> tuple[bool, str]:
        client = self.agol.client(creds.portal, creds.client_id, creds.ca_bundle)
        token, hint = (
            (creds.refresh_token, "refresh_token")
            if creds.refresh_token
            else (creds.access_token, "access_token")
        )
        try:
            await asyncio.to_thread(client.revoke, token, hint)
        except errors.AgolJupyterError as exc:
            until = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime(creds.session_expires_at()))
            return False, (
                f"Signed out of {creds.portal} here (the saved session of {creds.username} is "
                f"deleted), but the portal could not be told: {exc.message} Tokens already "
                f"issued keep working until they expire (at the latest {until})."
            )
        return (
            True,
            f"Signed out {creds.username} of {creds.portal}; the portal revoked the session.",
        )
