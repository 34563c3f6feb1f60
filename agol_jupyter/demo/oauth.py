"""The portal's OAuth 2.0 endpoints: ``{rest}/oauth2/...``.

``authorize`` validates the request and shows the org's sign-in page; the enterprise button
goes through ``saml/authorize`` to the IdP, whose answer comes back to ``saml/signin``, which
redirects to the app with a code (or ``access_denied``). ``token`` and ``revokeToken`` speak
ArcGIS's JSON, errors included (HTTP 200 with an error body).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from urllib.parse import urlencode

from .config import DemoConfig
from .grants import AuthorizationRequest, GrantError, Grants, expiration_minutes, is_valid_challenge
from .httpbase import Request, Response, arcgis_error, html_response, json_response, redirect
from .pages import error_page, signin_page
from .registration import APP_TITLE, CLIENT_ID, is_registered_redirect, with_query
from .saml import SamlError, SamlKey, SamlRequest

DENIED = {"error": "access_denied", "error_description": "The user has denied your request"}


@dataclass
class OAuthEndpoints:
    """Routes ``oauth2/<name>`` requests of the portal."""

    grants: Grants
    config: DemoConfig
    saml_key: SamlKey
    rest_path: str
    """Path of the REST root, e.g. ``/portal/sharing/rest``."""
    rest_url: str
    """Absolute REST root, e.g. ``https://127.0.0.1:8443/portal/sharing/rest``."""
    idp_sso_url: str
    org_name: str

    def __call__(self, request: Request, name: str) -> Response:
        """Answer ``oauth2/<name>``."""
        routes = {
            "authorize": self.authorize,
            "cancel": self.cancel,
            "saml/authorize": self.saml_authorize,
            "saml/signin": self.saml_signin,
            "token": self.token,
            "revokeToken": self.revoke_token,
        }
        handler = routes.get(name)
        if handler is None:
            return arcgis_error(400, f"Unable to find oauth2 operation '{name}'")
        return handler(request)

    # -- browser steps -----------------------------------------------------------------

    def authorize(self, request: Request) -> Response:
        """Validate an authorize request, then show the org's sign-in page."""
        p = request.params
        if p.get("client_id") != CLIENT_ID:
            return _error_page("Invalid client_id", "No app with this client_id is registered.")
        redirect_uri = p.get("redirect_uri", "")
        if not redirect_uri or not is_registered_redirect(redirect_uri, self.config):
            return _error_page(
                "Invalid redirect_uri",
                "The redirect_uri is not registered on the app (Settings > Registered Info).",
            )
        if p.get("response_type") != "code":
            return _error_page("Invalid response_type", "This demo supports response_type=code.")
        if p.get("code_challenge_method") != "S256":
            return _error_page("Invalid code_challenge_method", "Use code_challenge_method=S256.")
        if not is_valid_challenge(p.get("code_challenge", "")):
            return _error_page("Invalid code_challenge", "Send an S256 code_challenge (PKCE).")
        try:
            minutes = expiration_minutes(p.get("expiration"), self.config)
        except ValueError:
            return _error_page("Invalid expiration", "expiration must be a number of minutes.")
        oauth_state = self.grants.begin(
            AuthorizationRequest(
                client_id=CLIENT_ID,
                redirect_uri=redirect_uri,
                state=p.get("state"),
                code_challenge=p["code_challenge"],
                expiration_minutes=minutes,
                created_at=self.grants.now(),
                force_login=p.get("force_login", "").lower() == "true",
            )
        )
        query = urlencode({"oauth_state": oauth_state})
        return html_response(
            signin_page(
                org_name=self.org_name,
                logo_url=f"{self.rest_path}/portals/self/resources/thumbnail.png",
                app_title=APP_TITLE,
                enterprise_url=f"{self.rest_path}/oauth2/saml/authorize?{query}",
                cancel_url=f"{self.rest_path}/oauth2/cancel?{query}",
            ),
            headers=[("X-Frame-Options", "SAMEORIGIN")],
        )

    def cancel(self, request: Request) -> Response:
        """The sign-in page's Cancel: back to the app with ``access_denied``."""
        pending = self.grants.take(request.param("oauth_state") or "")
        if pending is None:
            return _expired_page()
        self.grants.count("cancels")
        return redirect(_result_url(pending, DENIED))

    def saml_authorize(self, request: Request) -> Response:
        """The enterprise button: send the browser to the IdP with a SAML request."""
        oauth_state = request.param("oauth_state") or ""
        pending = self.grants.pending(oauth_state)
        if pending is None:
            return _expired_page()
        saml_request = self.saml_key.encode_request(
            SamlRequest(
                pending.saml_request_id, f"{self.rest_url}/oauth2/saml/signin", pending.force_login
            )
        )
        query = urlencode({"SAMLRequest": saml_request, "RelayState": oauth_state})
        return redirect(f"{self.idp_sso_url}?{query}")

    def saml_signin(self, request: Request) -> Response:
        """The IdP's POST back: issue a code and redirect to the app."""
        if request.method != "POST":
            return _error_page("Invalid request", "The SAML response must be POSTed.")
        try:
            answer = self.saml_key.decode_response(request.form.get("SAMLResponse", ""))
        except SamlError:
            return _error_page(
                "Invalid SAML response", "The identity provider's answer is invalid."
            )
        pending = self.grants.take(
            request.form.get("RelayState", ""), saml_request_id=answer.in_response_to
        )
        if pending is None:
            return _expired_page()
        if answer.status != "success" or not answer.name_id:
            self.grants.count("cancels")
            return redirect(_result_url(pending, DENIED))
        self.grants.count("signins")
        code = self.grants.issue_code(pending, answer.name_id)
        return redirect(_result_url(pending, {"code": code}))

    # -- JSON endpoints ----------------------------------------------------------------

    def token(self, request: Request) -> Response:
        """``oauth2/token``: form-encoded POST only (parameters in the body, never the URL)."""
        if request.method != "POST":
            self.grants.count("token_get_refused")
            return arcgis_error(
                405, "Method not supported", error="invalid_request", description="Use POST"
            )
        try:
            response = json_response(self.grants.token(request.form))
        except GrantError as e:
            response = arcgis_error(e.code, e.description, error=e.error, description=e.description)
        if self.config.delay_seconds:
            time.sleep(self.config.delay_seconds)
        return response

    def revoke_token(self, request: Request) -> Response:
        """``oauth2/revokeToken``: ``{"success": true}``."""
        if request.method != "POST":
            return arcgis_error(
                405, "Method not supported", error="invalid_request", description="Use POST"
            )
        try:
            self.grants.revoke(request.form)
        except GrantError as e:
            return arcgis_error(e.code, e.description, error=e.error, description=e.description)
        return json_response({"success": True})


def _error_page(what: str, detail: str) -> Response:
    return html_response(error_page(f"Error 400: {what}", detail), 400)


def _expired_page() -> Response:
    return _error_page(
        "Sign-in request expired", "This sign-in page is no longer valid. Start the sign-in again."
    )


def _result_url(pending: AuthorizationRequest, params: dict[str, str]) -> str:
    if pending.state is not None:
        params = {**params, "state": pending.state}
    return with_query(pending.redirect_uri, params)
