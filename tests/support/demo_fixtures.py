"""The demo portal as pytest fixtures, and a saved session made without a browser.

Import the fixtures into a ``conftest.py`` (``from tests.support.demo_fixtures import
demo_state_dir, running_demo, demo  # noqa: F401``): one portal per test module, its
settings restored after each test.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from agol_jupyter.demo import DemoPortal
from agol_jupyter.oauth import TokenResponse
from agol_jupyter.portal import normalize_portal_url
from agol_jupyter.store import Credentials
from tests.support.signin_walk import obtain_tokens

LOOPBACK_REDIRECT_URI = "http://127.0.0.1:8888/agol/callback"


@pytest.fixture(scope="session")
def demo_state_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One certificate directory for every demo portal of the run (making certificates is slow)."""
    return tmp_path_factory.mktemp("demo-state")


@pytest.fixture(scope="module")
def running_demo(demo_state_dir: Path) -> Iterator[DemoPortal]:
    """A demo portal serving for the whole module."""
    with DemoPortal(state_dir=demo_state_dir) as portal:
        yield portal


@pytest.fixture
def demo(running_demo: DemoPortal) -> Iterator[DemoPortal]:
    """The module's demo portal; its settings are restored after the test."""
    saved = running_demo.config.as_dict()
    yield running_demo
    running_demo.config.update(saved)


def signed_in_credentials(
    demo: DemoPortal, *, redirect_uri: str = LOOPBACK_REDIRECT_URI, **fields: object
) -> Credentials:
    """Sign in as the demo user (no browser) and build the session the server would save."""
    answer = TokenResponse.from_body(
        obtain_tokens(
            demo.rest_url,
            client_id=demo.client_id,
            username=demo.username,
            password=demo.password,
            ca_path=demo.ca_path,
            redirect_uri=redirect_uri,
        )
    )
    assert answer.refresh_token and answer.refresh_expires_at
    values: dict[str, object] = {
        "portal": normalize_portal_url(demo.root_url).root,
        "client_id": demo.client_id,
        "username": answer.username,
        "access_token": answer.access_token,
        "access_expires_at": answer.access_expires_at,
        "refresh_token": answer.refresh_token,
        "refresh_expires_at": answer.refresh_expires_at,
        "redirect_uri": redirect_uri,
        "signed_in_at": time.time(),
        **fields,
    }
    return Credentials(**values)  # type: ignore[arg-type]
