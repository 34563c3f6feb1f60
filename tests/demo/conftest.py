"""Fixtures for the demo portal's own tests: one running portal per module, fresh settings
for each test."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:  # so that `tests.support` imports under the pytest script
    sys.path.insert(0, str(ROOT))

from agol_jupyter.demo import DemoPortal  # noqa: E402


@pytest.fixture(scope="session")
def state_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One certificate cache for the whole session."""
    return tmp_path_factory.mktemp("demo-state")


@pytest.fixture(scope="module")
def running_demo(state_dir: Path) -> Iterator[DemoPortal]:
    """A demo portal serving for the whole module."""
    with DemoPortal(state_dir=state_dir) as demo:
        yield demo


@pytest.fixture
def demo(running_demo: DemoPortal) -> Iterator[DemoPortal]:
    """The module's demo portal, its settings reset after the test."""
    saved = running_demo.config.as_dict()
    yield running_demo
    running_demo.config.update(saved)


@pytest.fixture
def http(demo: DemoPortal) -> Iterator[requests.Session]:
    """A session that trusts the demo CA only and never follows redirects by itself."""
    with requests.Session() as s:
        s.trust_env = False
        s.verify = str(demo.ca_path)
        yield s
