"""ASGI entry for hypercorn worker processes (``maigie serve --workers N``)."""

from maigie_core.app import create_app

app = create_app()
