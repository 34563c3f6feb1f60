"""Fixtures for the GIS factory tests: the demo portal, a signed-in saved session, and a
record of every HTTP request that leaves this process."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import requests.adapters

from agol_jupyter.demo import DemoPortal
from agol_jupyter.refresh import StoredTokenSource
from tests.gis.gis_helpers import HttpLog, SentRequest, sign_in


@pytest.fixture(scope="session")
def demo_state(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One certificate directory for every demo portal of the run (certificates are slow)."""
    return tmp_path_factory.mktemp("demo-state")


@pytest.fixture
def demo(demo_state: Path) -> Iterator[DemoPortal]:
    """A fresh demo portal (own tokens, own settings) for each test."""
    with DemoPortal(state_dir=demo_state, portal_port=0, idp_port=0) as portal:
        yield portal


@pytest.fixture
def tokens(demo: DemoPortal, tmp_path: Path) -> StoredTokenSource:
    """A token source for a fresh sign-in at ``demo`` (30-minute access tokens)."""
    return sign_in(demo, tmp_path / "store")


@pytest.fixture
def http_log(monkeypatch: pytest.MonkeyPatch) -> HttpLog:
    """Records requests on their way out; they are still sent as they are."""
    log = HttpLog()
    send = requests.adapters.HTTPAdapter.send

    def recording_send(self: Any, request: Any, *args: Any, **kwargs: Any) -> Any:
        log.sent.append(
            SentRequest(
                request.method,
                request.url,
                urlsplit(request.url).path,
                "X-Esri-Authorization" in request.headers,
            )
        )
        return send(self, request, *args, **kwargs)

    monkeypatch.setattr(requests.adapters.HTTPAdapter, "send", recording_send)
    return log
