"""Where every serving process of this instance reads the realtime event sequence.

With ``maigie serve --workers N`` the processes share ``PROMETHEUS_MULTIPROC_DIR`` (set
up by the CLI for the request metrics). Each one's Redis backplane keeps the newest
event id it has read in an 8-byte file of its own there (``realtime-read-<pid>-<hub>``),
written on every read: one store into a shared memory map (≈0.2 µs), no lock, no system
call. The process answering ``/metrics`` reads every live process's position and asks
Redis how long the oldest event the *slowest* of them has not read has waited.

Why not a prometheus_client multiprocess gauge (``multiprocess_mode="livemax"``) that
each process sets to its own lag: a process only updates it when its event loop runs,
and a process that reads behind is usually one whose loop is busy or stuck, so it
would report the lag it had *before* falling behind. A position only moves when the
process reads, so a stale position is an accurate one, and the lag computed from it at
scrape time is current. (A gauge's mode is also per metric, not per label value: the
event id's ``of=sequence`` wants the newest, ``of=read`` the oldest.)
"""

from __future__ import annotations

import contextlib
import mmap
import os
import struct
from pathlib import Path

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"
PREFIX = "realtime-read-"
_ID = struct.Struct("q")  # native: an aligned 8-byte store, never seen half-written


def shared_dir() -> Path | None:
    """The directory this instance's processes share, or None (a single process)."""
    path = os.environ.get(MULTIPROC_ENV)
    return Path(path) if path else None


class ReadPositions:
    """This process's position file (written) and every live process's (read)."""

    def __init__(self, directory: Path, hub_id: str) -> None:
        self.directory = directory
        self.path = directory / f"{PREFIX}{os.getpid()}-{hub_id}"
        with self.path.open("wb+") as file:
            file.write(bytes(_ID.size))  # 0: not subscribed yet
            file.flush()
            self._map = mmap.mmap(file.fileno(), _ID.size)
        self._view = memoryview(self._map).cast("q")  # a store: half pack_into's cost

    def write(self, event_id: int) -> None:
        self._view[0] = event_id

    def others(self) -> list[int]:
        """The positions of the other live processes (not this one's, nor unsubscribed)."""
        found = []
        for path in self.directory.glob(PREFIX + "*"):
            if path == self.path:
                continue
            pid = int(path.name[len(PREFIX) :].split("-", 1)[0])
            if not _alive(pid):
                with contextlib.suppress(OSError):  # killed before it could remove it
                    path.unlink()
                continue
            with contextlib.suppress(OSError), path.open("rb") as file:
                raw = file.read(_ID.size)
                if len(raw) == _ID.size and (position := _ID.unpack(raw)[0]) > 0:
                    found.append(position)
        return found

    def close(self) -> None:
        self._view.release()
        self._map.close()
        with contextlib.suppress(OSError):
            self.path.unlink()


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's: not one of this instance's processes
        return False
    return True


def remove_stale(directory: Path) -> None:
    """Before any process of this instance starts: positions left by an earlier run."""
    for path in directory.glob(PREFIX + "*"):
        with contextlib.suppress(OSError):
            path.unlink()
