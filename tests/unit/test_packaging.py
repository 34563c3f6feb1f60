"""The wheel carries what `pip install` needs to work with no further step."""

import subprocess
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_wheel_enables_the_server_extension_and_ships_the_widget(tmp_path: Path) -> None:
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
    names = set(zipfile.ZipFile(wheel).namelist())
    data = "agol_jupyter-0.1.0.data/data/"
    assert data + "etc/jupyter/jupyter_server_config.d/agol_jupyter.json" in names
    for shipped in (
        "agol_jupyter/static/widget.js",
        "agol_jupyter/static/widget.css",
        "agol_jupyter/demo/__main__.py",
        "agol_jupyter/server/extension.py",
    ):
        assert shipped in names
    assert not any("tests/" in n or ".venv" in n for n in names)
