"""The demo identity provider: a SAML IdP on its own origin.

It answers ``GET /idp/sso`` (the portal's redirect) with a login form and ``POST /idp/sso``
with either the form again (wrong password) or an auto-submitting form that posts the SAML
response to the portal. Its pages send ``Cross-Origin-Opener-Policy: same-origin`` as real
IdPs do, which cuts ``window.opener`` for a popup that passes through them.
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass

from .httpbase import Request, Response, html_response
from .pages import error_page, idp_login_page, saml_post_page
from .saml import SamlError, SamlKey, SamlResponse

SSO_PATH = "/idp/sso"
_HEADERS = [
    ("Cross-Origin-Opener-Policy", "same-origin"),
    ("X-Frame-Options", "DENY"),
    ("Referrer-Policy", "no-referrer"),
]


@dataclass
class IdentityProvider:
    """The IdP application: one user, one service provider (the portal)."""

    key: SamlKey
    username: str
    password: str
    org_name: str

    def __call__(self, request: Request) -> Response:
        """Answer one request."""
        if request.path != SSO_PATH:
            return self._page(error_page("Not found", "This IdP only serves /idp/sso."), 404)
        saml_request = request.param("SAMLRequest") or ""
        relay_state = request.param("RelayState") or ""
        try:
            authn = self.key.decode_request(saml_request)
        except SamlError:
            return self._page(error_page("Bad SAML request", "The SAMLRequest is invalid."), 400)
        if request.method == "GET":
            return self._page(self._form(saml_request, relay_state))
        if request.method != "POST":
            return self._page(error_page("Method not allowed", "Use GET or POST."), 405)
        if request.form.get("action") == "cancel":
            status, name_id = "cancelled", None
        else:
            username = (request.form.get("username") or "").strip()
            password = request.form.get("password") or ""
            if not (
                username.lower() == self.username.lower()
                and hmac.compare_digest(password.encode(), self.password.encode())
            ):
                error = "Incorrect username or password."
                return self._page(self._form(saml_request, relay_state, error))
            status, name_id = "success", self.username
        answer = self.key.encode_response(SamlResponse(authn.request_id, status, name_id))
        return self._page(
            saml_post_page(
                acs_url=authn.acs_url,
                saml_response=answer,
                relay_state=relay_state,
                org_name=self.org_name,
            )
        )

    def _form(self, saml_request: str, relay_state: str, error: str | None = None) -> str:
        return idp_login_page(
            action_url=SSO_PATH, saml_request=saml_request, relay_state=relay_state, error=error
        )

    def _page(self, html: str, status: int = 200) -> Response:
        return html_response(html, status, _HEADERS)
