"""ASGI entry for an external server (``hypercorn maigie_core.asgi:app``).

``maigie serve`` does not use it: its workers build the app themselves and close
WebSockets with 1001 on SIGTERM (see ``maigie_core.workers``), which hypercorn's own
multi-worker runner does not.
"""

from maigie_core.app import create_app

app = create_app()
