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
from tests.support.chromium import browser, context  # noqa: E402, F401  (fixtures)
from tests.support.demo_fixtures import (  # noqa: E402, F401  (fixtures)
    demo,
    demo_state_dir,
    running_demo,
)


@pytest.fixture(scope="session")
def state_dir(demo_state_dir: Path) -> Path:
    """The session's certificate cache, for tests that start portals of their own."""
    return demo_state_dir


@pytest.fixture
def http(demo: DemoPortal) -> Iterator[requests.Session]:
    """A session that trusts the demo CA only and never follows redirects by itself."""
    with requests.Session() as s:
        s.trust_env = False
        s.verify = str(demo.ca_path)
        yield s
