"""JupyterLab finds the installed extension (the wheel's contents: tests/unit/test_packaging.py)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SHARE = "agol_jupyter-0.1.0.data/data/share/jupyter/labextensions/agol-jupyter/"


def test_labextension_list_shows_it_enabled_and_ok() -> None:
    bin_dir = Path(sys.executable).parent
    env = {**os.environ, "PATH": f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}"}
    result = subprocess.run(
        [str(bin_dir / "jupyter"), "labextension", "list"],
        capture_output=True,
        text=True,
        env=env,
        check=True,
    )
    listing = result.stdout + result.stderr
    line = next(line for line in listing.splitlines() if "agol-jupyter" in line)
    assert "enabled" in line and "OK" in line, line
