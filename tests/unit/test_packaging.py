"""The wheel carries what `pip install` needs to work with no further step: the server
extension enabled, the widget's front end, and the prebuilt JupyterLab extension (no Node)."""

import json
import subprocess
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DATA = "agol_jupyter-0.1.0.data/data/"
LABEXTENSION = DATA + "share/jupyter/labextensions/agol-jupyter/"


def test_wheel_contents(tmp_path: Path) -> None:
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
        meta = json.loads(archive.read(LABEXTENSION + "package.json"))
    assert DATA + "etc/jupyter/jupyter_server_config.d/agol_jupyter.json" in names
    for shipped in (
        "agol_jupyter/static/widget.js",
        "agol_jupyter/static/widget.css",
        "agol_jupyter/demo/__main__.py",
        "agol_jupyter/server/extension.py",
    ):
        assert shipped in names
    assert meta["name"] == "agol-jupyter"
    assert LABEXTENSION + "schemas/agol-jupyter/plugin.json" in names
    assert LABEXTENSION + "static/style.js" in names
    assert any(n.startswith(LABEXTENSION + "static/remoteEntry.") for n in names)
    # Tests, the venv, TypeScript sources and Node's files stay out.
    assert not any(n.startswith("tests/") or ".venv" in n for n in names)
    assert not any("node_modules" in n or n.endswith(".ts") for n in names)
