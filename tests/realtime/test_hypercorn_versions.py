"""The hypercorn and wsproto releases whose internals ``hypercorn_ws`` subclasses."""

from __future__ import annotations

from importlib.metadata import version

from maigie_core.realtime.hypercorn_ws import COMPATIBLE, incompatible


def test_the_installed_releases_are_the_checked_ones() -> None:
    assert incompatible({dist: version(dist) for dist in COMPATIBLE}) is None


def test_another_release_series_is_refused_with_what_to_check() -> None:
    reason = incompatible({"hypercorn": "0.19.0", "wsproto": "1.3.2"})
    assert reason is not None
    assert reason.startswith("hypercorn 0.19.0 is not 0.18.x")
    assert "hypercorn_ws.py" in reason
    assert incompatible({"hypercorn": "0.18.0", "wsproto": "2.0.0"}) is not None
