"""Fixtures for saved-session tests: a demo portal per module, a saved session made without a
browser, and the environment a scheduled job (a subprocess) runs with."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from agol_jupyter import locations
from agol_jupyter.demo import DemoPortal
from agol_jupyter.store import CredentialStore
from tests.sessions.session_helpers import save_session


@pytest.fixture(scope="session")
def demo_certs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One certificate directory for every demo portal of the run (certificates are slow)."""
    return tmp_path_factory.mktemp("demo-certs")


@pytest.fixture(scope="module")
def running_demo(demo_certs: Path) -> Iterator[DemoPortal]:
    with DemoPortal(state_dir=demo_certs, portal_port=0, idp_port=0) as portal:
        yield portal


@pytest.fixture
def demo(running_demo: DemoPortal) -> Iterator[DemoPortal]:
    """The module's demo portal; settings changed by a test are put back after it."""
    saved = running_demo.config.as_dict()
    yield running_demo
    running_demo.config.update(saved)


@pytest.fixture
def store_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, demo: DemoPortal) -> Path:
    """A private credential store, configured for this process the way a job's environment
    would be (portal, client id, CA bundle, store directory; no Jupyter server)."""
    directory = tmp_path / "store"
    for name, value in job_env(demo, directory).items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv(locations.SERVER_ENV, raising=False)
    return directory


@pytest.fixture
def store(store_dir: Path) -> CredentialStore:
    return CredentialStore(store_dir)


@pytest.fixture
def signed_in(demo: DemoPortal, store: CredentialStore) -> str:
    """Sign in as the demo user and save the session; returns its store key."""
    return save_session(demo, store).key


def job_env(demo: DemoPortal, store_dir: Path) -> dict[str, str]:
    """What a scheduled job's environment says about ArcGIS: nothing about a Jupyter server."""
    return {
        locations.PORTAL_ENV: demo.root_url,
        locations.CLIENT_ID_ENV: demo.client_id,
        locations.CA_BUNDLE_ENV: str(demo.ca_path),
        locations.STORE_DIR_ENV: str(store_dir),
    }


def subprocess_env(demo: DemoPortal, store_dir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != locations.SERVER_ENV}
    return {**env, **job_env(demo, store_dir), "PYTHONUNBUFFERED": "1"}
