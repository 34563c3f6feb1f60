"""The pure core (portal, oauth, refresh) against the demo portal: real HTTPS, real errors."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from agol_jupyter.demo import DemoPortal
from agol_jupyter.oauth import OAuthClient, TokenResponse
from agol_jupyter.portal import PortalURL, normalize_portal_url
from agol_jupyter.store import Credentials
from tests.support.signin_walk import obtain_tokens

REDIRECT_URI = "http://127.0.0.1:8888/agol/callback"


@pytest.fixture(scope="module")
def running_demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DemoPortal]:
    with DemoPortal(state_dir=tmp_path_factory.mktemp("demo")) as demo:
        yield demo


@pytest.fixture
def demo(running_demo: DemoPortal) -> Iterator[DemoPortal]:
    saved = running_demo.config.as_dict()
    yield running_demo
    running_demo.config.update(saved)


@pytest.fixture
def portal(demo: DemoPortal) -> PortalURL:
    return normalize_portal_url(demo.root_url)


@pytest.fixture
def client(demo: DemoPortal, portal: PortalURL) -> OAuthClient:
    return OAuthClient(portal, demo.client_id, ca_bundle=str(demo.ca_path))


def signed_in(demo: DemoPortal, portal: PortalURL) -> Credentials:
    """A session saved the way the server's callback saves one."""
    answer = TokenResponse.from_body(
        obtain_tokens(
            demo.rest_url,
            client_id=demo.client_id,
            username=demo.username,
            password=demo.password,
            ca_path=demo.ca_path,
            redirect_uri=REDIRECT_URI,
        )
    )
    assert answer.refresh_token and answer.refresh_expires_at
    return Credentials(
        portal=portal.root,
        client_id=demo.client_id,
        username=answer.username,
        access_token=answer.access_token,
        access_expires_at=answer.access_expires_at,
        refresh_token=answer.refresh_token,
        refresh_expires_at=answer.refresh_expires_at,
        redirect_uri=REDIRECT_URI,
        signed_in_at=time.time(),
    )


@pytest.fixture
def session(demo: DemoPortal, portal: PortalURL) -> Credentials:
    return signed_in(demo, portal)


@pytest.fixture
def store_dir(tmp_path: Path) -> Path:
    return tmp_path / "store"
