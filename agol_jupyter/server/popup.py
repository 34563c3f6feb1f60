"""The pages the sign-in popup goes through: the fallback form, start, and the callback.

``start`` checks the app registration with the portal before sending the browser there, so a
wrong redirect URI or client id is explained on our page instead of the portal's. ``callback``
exchanges the code, saves the session and tells the notebook.
"""

from __future__ import annotations

import asyncio
from typing import Any

from jupyter_server.utils import url_path_join
from tornado import web

from .. import errors, oauth
from ..portal import PortalURL
from ..signin import complete_sign_in, save_session
from ..store import Credentials, valid_request_id
from . import pages
from .base import (
    InvalidRequest,
    InvalidRequestId,
    PageHandler,
    error_result,
    error_text,
    status_for,
)
from .config import resolve_target
from .flows import FlowRejected, PendingFlow


class LoginPageHandler(PageHandler):
    """``GET agol/login``: a page with one button (the fallback when a popup was blocked);
    its POST starts the flow. A GET alone never starts one (no login CSRF)."""

    def _values(self) -> dict[str, str]:
        return {name: self.arg(name) for name in ("request_id", "portal", "client_id", "profile")}

    def _refuse(self, exc: errors.AgolJupyterError) -> None:
        self.error_page(status_for(exc), "Sign-in could not start", exc.message, exc.remedy)

    @web.authenticated
    def get(self) -> None:
        values = self._values()
        try:
            if not valid_request_id(values["request_id"]):
                raise InvalidRequestId(
                    "This sign-in link is incomplete (it has no valid request id).",
                    "Start the sign-in from the notebook (agol_jupyter.login() or %agol_login).",
                )
            target = resolve_target(
                self.agol.settings, values["portal"], values["client_id"], values["profile"]
            )
        except errors.AgolJupyterError as exc:
            self._refuse(exc)
            return
        self.page(
            200,
            pages.sign_in_form_page(
                portal=target.portal.root,
                client_id=target.client_id,
                profile=target.profile,
                request_id=values["request_id"],
                action=url_path_join(self.base_url, "agol/login"),
                xsrf_html=self.xsrf_form_html(),
            ),
        )

    @web.authenticated
    def post(self) -> None:
        try:
            flow = self.create_flow(self._values())
        except errors.AgolJupyterError as exc:
            self._refuse(exc)
            return
        self.redirect(self.start_url(flow), status=303)


_START_TITLES = {
    errors.InvalidRedirectUri: "Register this Jupyter server's redirect URI",
    errors.InvalidClientId: "The portal does not know this app",
    errors.PortalUnreachable: "The portal did not answer",
}


class StartHandler(PageHandler):
    """``GET agol/start?flow=``: where the popup lands; checks the app registration with the
    portal, then sends the browser to the portal's sign-in page."""

    @web.authenticated
    async def get(self) -> None:
        try:
            flow = self.agol.flows.start(self.arg("flow"), self.username)
        except FlowRejected as rejected:
            if rejected.request_id:
                self.record(rejected.request_id, _rejection_result(rejected), only_if_new=True)
            self.error_page(
                rejected.status,
                "This sign-in link cannot be used",
                rejected.message,
                rejected.remedy,
                request_id=rejected.request_id,
            )
            return
        client = self.agol.client(flow.portal, flow.client_id)
        try:
            await asyncio.to_thread(client.check_authorize, flow.redirect_uri)
        except Exception as exc:
            self.agol.flows.discard(flow)
            self._failed(flow, exc)
            return
        settings = self.agol.settings
        self.redirect(
            oauth.authorize_url(
                PortalURL(flow.portal),
                client_id=flow.client_id,
                redirect_uri=flow.redirect_uri,
                state=flow.state,
                code_challenge=flow.code_challenge,
                expiration_minutes=settings.refresh_token_minutes,
            )
        )

    def _failed(self, flow: PendingFlow, exc: Exception) -> None:
        if not isinstance(exc, errors.AgolJupyterError):
            self.log.error("agol-jupyter: checking the portal failed", exc_info=exc)
        message, remedy = error_text(exc)
        self.log.warning("agol-jupyter: sign-in to %s could not start: %s", flow.portal, message)
        self.record(flow.request_id, error_result(exc, flow))
        title = next(
            (t for cls, t in _START_TITLES.items() if isinstance(exc, cls)),
            "Sign-in could not start",
        )
        details = [("Portal", flow.portal), ("Client id", flow.client_id)]
        if isinstance(exc, errors.InvalidRedirectUri):
            details.insert(0, ("Redirect URI to register", flow.redirect_uri))
        self.error_page(
            status_for(exc), title, message, remedy, details=details, request_id=flow.request_id
        )


def _rejection_result(rejected: FlowRejected) -> dict[str, Any]:
    return {
        "status": "error",
        "error": rejected.kind,
        "message": rejected.message,
        "remedy": rejected.remedy,
    }


class CallbackHandler(PageHandler):
    """``GET agol/callback?code=&state=``: the portal's answer. Exchanges the code, saves the
    session, and shows a page that tells the notebook and closes."""

    def get_login_url(self) -> str:
        # No redirect to Jupyter's login page: it would carry (and log) the code in `next`.
        raise web.HTTPError(403)

    @web.authenticated
    async def get(self) -> None:
        state = self.arg("state")
        if not state:
            self.error_page(
                400,
                "This is not a sign-in answer",
                "The portal's answer is missing its state value.",
                "Start the sign-in from the notebook.",
            )
            return
        try:
            flow = self.agol.flows.take(state, self.username)
        except FlowRejected as rejected:
            if rejected.request_id:
                self.record(rejected.request_id, _rejection_result(rejected), only_if_new=True)
            self.error_page(
                rejected.status,
                "This sign-in cannot be finished",
                rejected.message,
                rejected.remedy,
                request_id=rejected.request_id,
            )
            return
        error = self.arg("error")
        if error:
            self._portal_refused(flow, error, self.arg("error_description"))
            return
        code = self.arg("code")
        if not code:
            self._failed(
                flow,
                InvalidRequest(
                    "The portal's answer has no authorization code.", "Start the sign-in again."
                ),
            )
            return
        try:
            creds = await asyncio.to_thread(self._finish, flow, code)
        except Exception as exc:
            self._failed(flow, exc)
            return
        self._signed_in(flow, creds)

    def _finish(self, flow: PendingFlow, code: str) -> Credentials:
        """Runs in a worker thread: code -> tokens -> who -> saved session."""
        client = self.agol.client(flow.portal, flow.client_id)
        creds = complete_sign_in(
            client,
            code=code,
            redirect_uri=flow.redirect_uri,
            code_verifier=flow.code_verifier,
            profile=flow.profile,
        )
        save_session(self.agol.store, creds, client)
        return creds

    def _signed_in(self, flow: PendingFlow, creds: Credentials) -> None:
        self.log.info("agol-jupyter: signed in %s at %s", creds.username, creds.portal)
        self.record(
            flow.request_id,
            {
                "status": "ok",
                "key": creds.key,
                "portal": creds.portal,
                "client_id": creds.client_id,
                "profile": creds.profile,
                "username": creds.username,
                "full_name": creds.full_name,
                "org_name": creds.org_name,
                "session_expires_at": creds.session_expires_at(),
            },
        )
        notify = {
            "request_id": flow.request_id,
            "status": "ok",
            "message": f"Signed in as {creds.username}.",
        }
        self.page(
            200,
            pages.signed_in_page(
                creds.username, creds.full_name, creds.org_name, nonce=self.nonce, notify=notify
            ),
        )

    def _portal_refused(self, flow: PendingFlow, error: str, description: str) -> None:
        if error == "access_denied":
            message = f"Sign-in was cancelled at {flow.portal}."
            remedy = "Click the sign-in button to try again."
            self.log.info("agol-jupyter: sign-in to %s was cancelled", flow.portal)
            self.record(
                flow.request_id, {"status": "cancelled", "message": message, "remedy": remedy}
            )
            self.error_page(
                400,
                "Sign-in cancelled",
                message,
                remedy,
                request_id=flow.request_id,
                tone="cancelled",
                close=True,
            )
            return
        said = (description or error)[:300]
        self._failed(
            flow,
            errors.PortalResponseError(
                f"The portal ended the sign-in with an error: {said}",
                "Click the sign-in button to try again; if it happens again, ask your ArcGIS "
                "administrator.",
                error=error[:100],
                description=said,
            ),
            status=400,
        )

    def _failed(self, flow: PendingFlow, exc: Exception, status: int | None = None) -> None:
        if not isinstance(exc, errors.AgolJupyterError):
            self.log.error("agol-jupyter: finishing the sign-in failed", exc_info=exc)
        message, remedy = error_text(exc)
        self.log.warning("agol-jupyter: sign-in to %s failed: %s", flow.portal, message)
        self.record(flow.request_id, error_result(exc, flow))
        self.error_page(
            status or status_for(exc),
            "Sign-in did not finish",
            message,
            remedy,
            details=[("Portal", flow.portal), ("Client id", flow.client_id)],
            request_id=flow.request_id,
        )
