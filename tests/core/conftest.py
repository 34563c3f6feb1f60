"""The pure core (portal, oauth, refresh) against the demo portal: real HTTPS, real errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from agol_jupyter.demo import DemoPortal
from agol_jupyter.oauth import OAuthClient
from agol_jupyter.portal import PortalURL, normalize_portal_url
from agol_jupyter.store import Credentials
from tests.support.demo_fixtures import (  # noqa: F401  (fixtures)
    LOOPBACK_REDIRECT_URI,
    demo,
    demo_state_dir,
    running_demo,
    signed_in_credentials,
)

REDIRECT_URI = LOOPBACK_REDIRECT_URI


@pytest.fixture
def portal(demo: DemoPortal) -> PortalURL:
    return normalize_portal_url(demo.root_url)


@pytest.fixture
def client(demo: DemoPortal, portal: PortalURL) -> OAuthClient:
    return OAuthClient(portal, demo.client_id, ca_bundle=str(demo.ca_path))


@pytest.fixture
def session(demo: DemoPortal) -> Credentials:
    return signed_in_credentials(demo)


@pytest.fixture
def store_dir(tmp_path: Path) -> Path:
    return tmp_path / "store"
