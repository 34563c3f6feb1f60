"""A scheduled ArcGIS job as a plain script (cron, systemd timers, Task Scheduler).

Sign in once where a person can (``agol_jupyter.login()`` in a notebook, or
``agol-jupyter login`` in a shell); from then on this script uses the saved session, which
refreshes itself, and never waits for a click. When the session is gone it exits at once with
status 2 and says when it ended and how to sign in again.

    AGOL_PORTAL_URL=https://myorg.maps.arcgis.com AGOL_CLIENT_ID=... python job.py "owner:alice"
"""

from __future__ import annotations

import sys

import agol_jupyter
from agol_jupyter import errors


def main(argv: list[str]) -> int:
    query = argv[1] if len(argv) > 1 else "*"
    try:
        gis = agol_jupyter.connect()
        items = gis.content.search(query, max_items=20)
    except errors.AgolJupyterError as exc:
        print(f"job.py: {exc}", file=sys.stderr)
        return 2
    print(f"Connected as {gis.users.me.username}")
    for item in items:
        print(f"{item.type:<20} {item.title}")
    print(f"{len(items)} items")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
