"""Where agol-jupyter keeps its files, and how a Jupyter server tells its kernels its settings.

The server extension and the kernels never import each other: they meet at the credential
store (a directory found the same way on both sides) and at the server's HTTP endpoints.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

STORE_DIR_ENV = "AGOL_JUPYTER_STORE_DIR"
SERVER_ENV = "AGOL_JUPYTER_SERVER"
PORTAL_ENV = "AGOL_PORTAL_URL"
CLIENT_ID_ENV = "AGOL_CLIENT_ID"
CA_BUNDLE_ENV = "AGOL_CA_BUNDLE"


def store_directory() -> Path:
    """``$AGOL_JUPYTER_STORE_DIR``, else ``agol_jupyter/`` in the user's Jupyter data directory."""
    override = os.environ.get(STORE_DIR_ENV)
    if override:
        return Path(override)
    from jupyter_core.paths import jupyter_data_dir

    return Path(jupyter_data_dir()) / "agol_jupyter"


@dataclass(frozen=True)
class ServerSettings:
    """What the Jupyter server extension tells the kernels it starts (no secrets).

    The extension puts this JSON in the ``AGOL_JUPYTER_SERVER`` environment variable of its
    own process; kernels started by that server inherit it.
    """

    portal_url: str = ""
    client_id: str = ""
    ca_bundle: str = ""
    base_url: str = "/"
    store_dir: str = ""

    def to_env(self) -> str:
        return json.dumps(self.__dict__)

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None) -> ServerSettings | None:
        raw = (os.environ if environ is None else environ).get(SERVER_ENV)
        if not raw:
            return None
        try:
            data: dict[str, Any] = json.loads(raw)
        except ValueError:
            return None
        names = set(cls.__dataclass_fields__)
        return cls(**{k: str(v) for k, v in data.items() if k in names and v is not None})
