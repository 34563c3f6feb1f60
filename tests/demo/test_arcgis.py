"""The real ``arcgis`` package against the demo portal."""

from __future__ import annotations

import base64
import hashlib
import secrets
from urllib.parse import parse_qs, urlsplit

import arcgis.gis as arcgis_gis
import pytest
import requests
from arcgis.auth import EsriSession, EsriUserTokenAuth
from demo_helpers import REDIRECT_URI, token_request

from agol_jupyter.demo import DemoPortal
from tests.support.signin_walk import authorize_url, walk_signin

ALL_TITLES = {"Field Office Overview", "Field Sites", "Inspection Log 2024", "Survey Analysis"}


@pytest.fixture
def tokens(demo: DemoPortal, http: requests.Session) -> dict[str, str]:
    """A sign-in through the pages and a real code exchange, PKCE computed here."""
    verifier = base64.urlsafe_b64encode(secrets.token_bytes(32)).rstrip(b"=").decode()
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    challenge = base64.urlsafe_b64encode(digest).rstrip(b"=").decode()
    state = secrets.token_urlsafe(12)
    url = authorize_url(
        demo.rest_url,
        client_id=demo.client_id,
        redirect_uri=REDIRECT_URI,
        state=state,
        code_challenge=challenge,
    )
    location = walk_signin(
        url, username=demo.username, password=demo.password, ca_path=demo.ca_path
    )
    query = parse_qs(urlsplit(location).query)
    assert query["state"] == [state]
    body = token_request(
        http,
        demo,
        client_id=demo.client_id,
        grant_type="authorization_code",
        code=query["code"][0],
        redirect_uri=REDIRECT_URI,
        code_verifier=verifier,
    )
    return {k: str(v) for k, v in body.items()}


def test_gis_with_a_token(demo: DemoPortal, tokens: dict[str, str]) -> None:
    gis = arcgis_gis.GIS(
        demo.root_url,
        token=tokens["access_token"],
        verify_cert=True,
        ca_bundles=str(demo.ca_path),
        set_active=False,
    )
    assert gis.users.me.username == "alice"
    assert gis.properties.name == "Demo Field Office"
    assert {item.title for item in gis.content.search("*")} == ALL_TITLES
    assert [i.title for i in gis.content.search("title:Field", item_type="Web Map")] == [
        "Field Office Overview"
    ]
    item = gis.content.get("0d3f1c0e6a2b4c8d9e0f1a2b3c4d5e03")
    assert item.title == "Inspection Log 2024"
    assert gis.version == [2024, 1]


def test_gis_with_a_dead_token_is_silently_anonymous(demo: DemoPortal) -> None:
    # The arcgis quirk that makes the project validate tokens itself.
    before = demo.stats()["counts"].get("invalid_token", 0)
    gis = arcgis_gis.GIS(
        demo.root_url,
        token="no-such-token",
        verify_cert=True,
        ca_bundles=str(demo.ca_path),
        set_active=False,
    )
    assert gis.users.me is None
    assert {item.title for item in gis.content.search("*")} == {"Field Office Overview"}
    assert demo.stats()["counts"]["invalid_token"] > before


def test_gis_with_an_esri_session(demo: DemoPortal, tokens: dict[str, str]) -> None:
    session = EsriSession(
        auth=EsriUserTokenAuth(token=tokens["access_token"]),
        verify_cert=True,
        ca_bundles=str(demo.ca_path),
    )
    before = demo.stats()["counts"]["rest_requests"]
    gis = arcgis_gis.GIS(demo.root_url, session=session, set_active=False)
    assert gis.users.me.username == "alice"
    assert demo.stats()["counts"]["rest_requests"] - before <= 8
    assert len(gis.content.search("*")) == 4


def test_arcgis_own_refresh_path(demo: DemoPortal, tokens: dict[str, str]) -> None:
    # GIS(url, client_id=..., password=<refresh token>) refreshes with grant_type=refresh_token.
    before = demo.stats()["token_requests"].get("refresh_token", 0)
    gis = arcgis_gis.GIS(
        demo.root_url,
        client_id=demo.client_id,
        password=tokens["refresh_token"],
        verify_cert=True,
        ca_bundles=str(demo.ca_path),
        set_active=False,
    )
    assert gis.users.me.username == "alice"
    assert demo.stats()["token_requests"]["refresh_token"] > before
