"""`import agol_jupyter` must not drag in arcgis, widgets or the server."""

import json
import subprocess
import sys

HEAVY = ["arcgis", "ipywidgets", "anywidget", "tornado", "jupyter_server", "IPython", "requests"]


def test_import_pulls_in_no_heavy_module() -> None:
    code = (
        "import json, sys, agol_jupyter; "
        f"print(json.dumps([m for m in {HEAVY!r} if m in sys.modules]))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert json.loads(out.stdout) == []


def test_public_names() -> None:
    import agol_jupyter

    assert callable(agol_jupyter.login)
    assert agol_jupyter._jupyter_server_extension_points() == [
        {"module": "agol_jupyter.server.extension"}
    ]
