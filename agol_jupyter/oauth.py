"""OAuth 2.0 with an ArcGIS portal: authorization code + PKCE for a public client.

PKCE follows RFC 7636 (S256 only); the endpoints and their quirks follow ArcGIS's REST API
(``oauth2/authorize``, ``oauth2/token``, ``oauth2/revokeToken``). Pure functions plus a small
client over ``requests``: no Jupyter, no arcgis.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from . import errors, rest
from .portal import PortalURL

# RFC 7636 section 4.1: 43 to 128 characters from the unreserved set.
_VERIFIER_BYTES = 48


def make_code_verifier() -> str:
    """A fresh PKCE code verifier (RFC 7636 section 4.1), 64 URL-safe characters."""
    return secrets.token_urlsafe(_VERIFIER_BYTES)


def s256_challenge(verifier: str) -> str:
    """``BASE64URL(SHA256(verifier))`` without padding (RFC 7636 section 4.2)."""
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def make_state() -> str:
    """An unguessable, URL-safe ``state`` value."""
    return secrets.token_urlsafe(32)


def authorize_url(
    portal: PortalURL,
    *,
    client_id: str,
    redirect_uri: str,
    state: str,
    code_challenge: str,
    expiration_minutes: int | None = None,
    force_login: bool = False,
    locale: str | None = None,
) -> str:
    """The portal's ``oauth2/authorize`` URL for the authorization code grant with PKCE.

    ``expiration_minutes`` sets the refresh token's life (ArcGIS: default two weeks, at most
    90 days, capped by the org's policy).
    """
    params: dict[str, str] = {
        "client_id": client_id,
        "response_type": "code",
        "redirect_uri": redirect_uri,
        "state": state,
        "code_challenge": code_challenge,
        "code_challenge_method": "S256",
    }
    if expiration_minutes is not None:
        params["expiration"] = str(int(expiration_minutes))
    if force_login:
        params["force_login"] = "true"
    if locale:
        params["locale"] = locale
    return f"{portal.rest}/oauth2/authorize?{urlencode(params)}"


@dataclass(frozen=True)
class TokenResponse:
    """What ``oauth2/token`` returned; times are absolute (epoch seconds)."""

    access_token: str
    access_expires_at: float
    username: str
    ssl: bool = True
    refresh_token: str | None = None
    refresh_expires_at: float | None = None

    def __repr__(self) -> str:  # never show the tokens
        return (
            f"TokenResponse(username={self.username!r}, access_expires_at={self.access_expires_at})"
        )

    @classmethod
    def from_body(cls, body: dict[str, Any], *, now: float | None = None) -> TokenResponse:
        now = time.time() if now is None else now
        token = body.get("access_token")
        if not token:
            raise errors.PortalResponseError(
                "The portal's token answer had no access token.",
                "Start the sign-in again; if it persists, ask your ArcGIS administrator.",
            )
        refresh = body.get("refresh_token") or None
        refresh_in = body.get("refresh_token_expires_in")
        return cls(
            access_token=str(token),
            access_expires_at=now + float(body.get("expires_in") or 1800),
            username=str(body.get("username") or ""),
            ssl=bool(body.get("ssl", True)),
            refresh_token=str(refresh) if refresh else None,
            refresh_expires_at=(now + float(refresh_in)) if refresh and refresh_in else None,
        )


class OAuthClient:
    """The OAuth endpoints of one portal for one registered app (a public client)."""

    def __init__(
        self,
        portal: PortalURL,
        client_id: str,
        *,
        ca_bundle: str | None = None,
        timeout: float = 15,
    ) -> None:
        self.portal = portal
        self.client_id = client_id
        self.ca_bundle = ca_bundle
        self.timeout = timeout

    def _token(self, data: dict[str, str]) -> TokenResponse:
        body = rest.post_json(
            f"{self.portal.rest}/oauth2/token",
            {"client_id": self.client_id, **data},
            ca_bundle=self.ca_bundle,
            timeout=self.timeout,
        )
        return TokenResponse.from_body(body)

    def exchange_code(self, code: str, redirect_uri: str, code_verifier: str) -> TokenResponse:
        """Trade an authorization code (and the PKCE verifier) for tokens."""
        return self._token(
            {
                "grant_type": "authorization_code",
                "code": code,
                "redirect_uri": redirect_uri,
                "code_verifier": code_verifier,
            }
        )

    def refresh(self, refresh_token: str) -> TokenResponse:
        """A new access token from the refresh token (the refresh token stays the same)."""
        return self._token({"grant_type": "refresh_token", "refresh_token": refresh_token})

    def exchange_refresh_token(self, refresh_token: str, redirect_uri: str) -> TokenResponse:
        """A new refresh token (and access token); the old refresh token stops working."""
        return self._token(
            {
                "grant_type": "exchange_refresh_token",
                "refresh_token": refresh_token,
                "redirect_uri": redirect_uri,
            }
        )

    def revoke(self, token: str, token_type_hint: str = "refresh_token") -> None:  # noqa: S107
        """Revoke a token at the portal; revoking a refresh token ends its access tokens."""
        rest.post_json(
            f"{self.portal.rest}/oauth2/revokeToken",
            {"auth_token": token, "token_type_hint": token_type_hint, "client_id": self.client_id},
            ca_bundle=self.ca_bundle,
            timeout=self.timeout,
        )

    def community_self(self, access_token: str) -> dict[str, Any]:
        """The signed-in user (``community/self``): username, fullName, orgId, role..."""
        return rest.get_json(
            f"{self.portal.rest}/community/self",
            headers={"X-Esri-Authorization": f"Bearer {access_token}"},
            ca_bundle=self.ca_bundle,
            timeout=self.timeout,
        )

    def check_authorize(self, redirect_uri: str) -> None:
        """Ask the portal's authorize page whether it accepts this client id and redirect URI.

        An unregistered redirect URI or unknown client id makes the portal show an error page
        inside the sign-in popup, on the portal's origin, where nothing can read it. Asking
        first lets us show a page that names the exact URI to register instead. The probe's
        state and challenge are throwaway values: no flow starts from it.
        """
        url = authorize_url(
            self.portal,
            client_id=self.client_id,
            redirect_uri=redirect_uri,
            state=make_state(),
            code_challenge=s256_challenge(make_code_verifier()),
        )
        response = rest.request(
            "GET", url, ca_bundle=self.ca_bundle, timeout=self.timeout, allow_redirects=False
        )
        if 300 <= response.status_code < 400:
            return
        text = response.text[:20000].lower()
        if "invalid redirect_uri" in text or "invalid redirect uri" in text:
            raise errors.InvalidRedirectUri(
                f"The portal {self.portal.root} does not accept the redirect URI {redirect_uri}.",
                f"Add {redirect_uri} as a redirect URI on the app item (client id "
                f"{self.client_id}) in the portal: the item's Settings > Registered Info > "
                "Redirect URLs. Then sign in again.",
                redirect_uri=redirect_uri,
                code=response.status_code,
            )
        if "invalid client_id" in text or "invalid client id" in text:
            raise errors.InvalidClientId(
                f"The portal {self.portal.root} does not know the client id {self.client_id!r}.",
                "Copy the client id from the app item's Settings > Registered Info in the "
                "portal, and configure it (the client_id setting or AGOL_CLIENT_ID).",
                code=response.status_code,
            )
        if response.status_code >= 400:
            raise errors.PortalResponseError(
                f"The portal's sign-in page answered HTTP {response.status_code}.",
                "Check the portal URL (for ArcGIS Enterprise it usually ends in /portal) "
                "and that the portal is up.",
                code=response.status_code,
            )
