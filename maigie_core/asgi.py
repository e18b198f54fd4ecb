"""ASGI entry for an external server (``hypercorn maigie_core.asgi:app``).

``maigie serve`` does not use it: its workers build the app themselves and close
WebSockets with 1001 on SIGTERM (see ``maigie_core.workers``), which hypercorn's own
multi-worker runner does not. Logging is configured here as ``maigie serve`` does it
(JSON lines in production, every line redacted): each hypercorn worker imports this.
"""

from maigie_core.app import create_app
from maigie_core.logs import configure_logging
from maigie_core.settings import load_settings

settings = load_settings()
configure_logging(settings)
app = create_app(settings)
