"""Helpers for the demo portal's tests: a sign-in flow and token requests."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, urlsplit

import requests

from agol_jupyter.demo import DemoPortal
from tests.support.signin_walk import authorize_url, pkce_pair, walk_signin

REDIRECT_URI = "http://127.0.0.1:8765/agol/callback"


class Flow:
    """One sign-in's PKCE pair, state and authorize URL."""

    def __init__(self, demo: DemoPortal, redirect_uri: str = REDIRECT_URI, **extra: str) -> None:
        self.demo = demo
        self.redirect_uri = redirect_uri
        self.verifier, self.challenge = pkce_pair()
        self.state = "state-" + self.verifier[:8]
        self.url = authorize_url(
            demo.rest_url,
            client_id=demo.client_id,
            redirect_uri=redirect_uri,
            state=self.state,
            code_challenge=self.challenge,
            **extra,
        )

    def code(self) -> str:
        """Sign in and return the authorization code."""
        location = walk_signin(
            self.url,
            username=self.demo.username,
            password=self.demo.password,
            ca_path=self.demo.ca_path,
        )
        query = parse_qs(urlsplit(location).query)
        assert query["state"] == [self.state]
        return query["code"][0]

    def exchange_params(self, code: str) -> dict[str, str]:
        """The token request that redeems ``code``."""
        return {
            "client_id": self.demo.client_id,
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": self.redirect_uri,
            "code_verifier": self.verifier,
            "f": "json",
        }


def token_request(http: requests.Session, demo: DemoPortal, **params: str) -> dict[str, Any]:
    """POST ``oauth2/token``; the answer is always HTTP 200 with JSON."""
    r = http.post(f"{demo.rest_url}/oauth2/token", data={"f": "json", **params})
    assert r.status_code == 200
    body: dict[str, Any] = r.json()
    return body


def signed_in(http: requests.Session, demo: DemoPortal, **extra: str) -> dict[str, Any]:
    """Sign in and exchange the code: the token endpoint's answer."""
    flow = Flow(demo, **extra)
    body = token_request(http, demo, **flow.exchange_params(flow.code()))
    assert "access_token" in body, body
    return body
