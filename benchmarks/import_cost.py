"""How much `import agol_jupyter` costs, and which heavy modules it pulls in.

Run: .venv/bin/python benchmarks/import_cost.py
Prints the median wall time of a fresh-interpreter import over several runs, the baseline of an
empty interpreter, and whether any heavy module (arcgis, ipywidgets, tornado, requests, ...)
was imported.
"""

from __future__ import annotations

import json
import statistics
import subprocess
import sys

HEAVY = [
    "arcgis",
    "ipywidgets",
    "anywidget",
    "tornado",
    "jupyter_server",
    "requests",
    "IPython",
    "traitlets",
    "numpy",
    "pandas",
]
RUNS = 9

PROBE = """
import json, sys, time
t = time.perf_counter()
{stmt}
dt = time.perf_counter() - t
print(json.dumps({{"seconds": dt, "heavy": [m for m in {heavy!r} if m in sys.modules]}}))
"""


def measure(stmt: str) -> tuple[float, list[str]]:
    times, heavy = [], []
    for _ in range(RUNS):
        out = subprocess.run(
            [sys.executable, "-c", PROBE.format(stmt=stmt, heavy=HEAVY)],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        data = json.loads(out)
        times.append(data["seconds"])
        heavy = data["heavy"]
    return statistics.median(times), heavy


def main() -> None:
    base, _ = measure("pass")
    ours, heavy = measure("import agol_jupyter")
    gis, _ = measure("from arcgis.gis import GIS")
    print(f"import agol_jupyter     : {ours * 1000:7.1f} ms (median of {RUNS} runs)")
    print(f"empty interpreter       : {base * 1000:7.1f} ms")
    print(f"heavy modules pulled in : {', '.join(heavy) or 'none'}")
    print(f"for scale, arcgis GIS   : {gis * 1000:7.1f} ms")


if __name__ == "__main__":
    main()
