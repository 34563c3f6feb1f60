"""The built JupyterLab extension ships in the wheel and JupyterLab finds it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SHARE = "agol_jupyter-0.1.0.data/data/share/jupyter/labextensions/agol-jupyter/"


def test_wheel_ships_the_prebuilt_labextension(tmp_path: Path) -> None:
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--quiet",
            "--no-deps",
            "--no-build-isolation",
            "--wheel-dir",
            str(tmp_path),
            str(ROOT),
        ],
        check=True,
    )
    (wheel,) = tmp_path.glob("agol_jupyter-*.whl")
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
        meta = json.loads(archive.read(SHARE + "package.json"))
    assert meta["name"] == "agol-jupyter"
    assert SHARE + "schemas/agol-jupyter/plugin.json" in names
    assert SHARE + "static/style.js" in names
    assert any(n.startswith(SHARE + "static/remoteEntry.") for n in names)
    # Sources and Node's files stay out.
    assert not any("node_modules" in n or n.endswith(".ts") for n in names)


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
