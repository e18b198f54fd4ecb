"""What sparse recurrence rules cost the schedule plugin: one write, and one-day windows.

    python bench/schedule_rules.py [SUBSTRING ...]

For each rule: the write (``service.shape``: the rule's checks, its stored end and the
first-year overlap check) and a one-day window read (``Series.between``, what ``GET
/schedule?date=`` expands per block) a year after the start, in 2130, 2900 and 8999,
with cold caches (the first read in a process) and warm ones (the next reads): the
milliseconds, and the periods dateutil stepped through (a count that does not depend on
the machine's load). A window the block's stored ``last_end_at`` excludes is skipped,
as the SQL does.

dateutil steps through every period of a rule, empty ones too, from its DTSTART to the
first occurrence past the window, so a sparse rule (a leap day, a weekday of one) far
from its start was the expensive case. Times are wall-clock on a shared machine: run it
twice. To compare with another checkout, put its plugins first on the path:
``PYTHONPATH=/path/to/checkout/plugins python bench/schedule_rules.py``.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from maigie_schedule import recurrence
from maigie_schedule.service import shape

from maigie_core import ValidationFailed

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT / "tests"), str(ROOT / "tests" / "plugins" / "schedule")]
from schedule_support import periods_stepped  # noqa: E402

SETPOS = ";BYSETPOS=" + ",".join(str(i) for i in range(1, 120))

#: (rule, first start in UTC): sparse shapes, each once in a form accepted before the
#: checks of ``recurrence.parse`` were added and after, then common rules.
RULES = [
    ("FREQ=HOURLY;BYMONTH=2;BYMONTHDAY=29;BYHOUR=0;COUNT=1000", "2032-02-29T00:00"),
    ("FREQ=HOURLY;BYMONTH=2;BYMONTHDAY=29;BYHOUR=0;COUNT=6", "2032-02-29T00:00"),
    ("FREQ=HOURLY;BYMONTH=2;BYMONTHDAY=29;BYHOUR=0", "2032-02-29T00:00"),
    ("FREQ=HOURLY;BYMONTH=2;BYMONTHDAY=29;BYDAY=MO;BYHOUR=0", "2044-02-29T00:00"),
    ("FREQ=HOURLY;INTERVAL=23;BYMONTH=2;BYMONTHDAY=29;COUNT=20", "2032-02-29T00:00"),
    ("FREQ=DAILY;BYYEARDAY=366;COUNT=1000", "2032-12-31T09:00"),
    ("FREQ=DAILY;BYYEARDAY=366;COUNT=6", "2032-12-31T09:00"),
    ("FREQ=DAILY;BYWEEKNO=53;BYDAY=TH;COUNT=1000", "2026-12-31T09:00"),
    ("FREQ=DAILY;BYWEEKNO=53;BYDAY=TH;COUNT=4", "2026-12-31T09:00"),
    ("FREQ=DAILY;BYMONTH=2;BYMONTHDAY=-1;BYDAY=SU;COUNT=3", "2032-02-29T09:00"),
    ("FREQ=DAILY;INTERVAL=10;BYMONTH=2;BYMONTHDAY=29;BYDAY=MO", "1904-02-29T09:00"),
    ("FREQ=DAILY;INTERVAL=10;BYYEARDAY=366;BYDAY=FR", "2032-12-31T09:00"),
    ("FREQ=DAILY;INTERVAL=10;BYMONTH=2;BYMONTHDAY=29", "1904-02-29T09:00"),
    ("FREQ=DAILY;INTERVAL=10;BYMONTHDAY=13;BYDAY=FR", "2026-02-13T09:00"),
    ("FREQ=DAILY;BYMONTHDAY=13;BYDAY=FR", "2026-02-13T09:00"),
    ("FREQ=WEEKLY;BYMONTH=2;BYMONTHDAY=29;COUNT=1000", "2032-02-29T09:00"),
    ("FREQ=WEEKLY;BYMONTH=2;BYMONTHDAY=29;COUNT=20", "2032-02-29T09:00"),
    ("FREQ=MONTHLY;BYMONTH=2;BYMONTHDAY=29;COUNT=80", "2032-02-29T09:00"),
    ("FREQ=MONTHLY;BYDAY=SU;BYMONTHDAY=-1;BYMONTH=2;BYSETPOS=1;COUNT=40", "2032-02-29T09:00"),
    ("FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=29;COUNT=240", "2032-02-29T09:00"),
    ("FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=29;BYDAY=MO;BYSETPOS=1;COUNT=30", "2044-02-29T09:00"),
    ("FREQ=YEARLY;COUNT=1000", "2030-01-01T09:00"),
    ("FREQ=YEARLY;INTERVAL=1000;COUNT=10", "2030-01-01T09:00"),
    ("FREQ=HOURLY;BYEASTER=0;BYMONTH=3;BYMONTHDAY=22;BYHOUR=9", "2505-03-22T09:00"),
    ("FREQ=DAILY;BYMONTH=2;BYMONTHDAY=29;BYDAY=MO" + SETPOS, "2044-02-29T09:00"),
    (
        "FREQ=HOURLY;BYMONTH=2;BYMONTHDAY=29;BYHOUR=0;BYMINUTE="
        + ",".join(map(str, range(25)))
        + ";BYSECOND="
        + ",".join(map(str, range(40))),
        "2032-02-29T00:00",
    ),
    ("FREQ=WEEKLY;COUNT=10", "2030-01-01T09:00"),
    ("FREQ=MONTHLY;BYMONTHDAY=31;COUNT=12", "2030-01-31T09:00"),
    ("FREQ=YEARLY;COUNT=5", "2032-02-29T09:00"),
]
WINDOWS = ["+1y", "2130-06-01", "2900-02-28", "8999-12-30"]


def _timed(call: Callable[..., Any], *args: Any) -> tuple[float, int, Any]:
    """Milliseconds, periods stepped through and the result of ``call(*args)``."""
    with periods_stepped() as stepped:
        began = time.perf_counter()
        result = call(*args)
        took = (time.perf_counter() - began) * 1000
    return took, stepped[0], result


def _expand(args: tuple[Any, ...], lo: datetime, hi: datetime) -> int:
    return len(list(recurrence.series(*args).between(lo, hi)))


def _clear() -> None:
    recurrence.series.cache_clear()
    count_end = getattr(recurrence, "count_end", None)  # absent before the COUNT check
    if count_end is not None:
        count_end.cache_clear()


def run(text: str, first: str) -> str:
    name = text if len(text) <= 64 else f"{text[:52]}…(+{len(text) - 52})"
    start = datetime.fromisoformat(first).replace(tzinfo=UTC)
    length = timedelta(seconds=1) if "BYSECOND" in text else timedelta(minutes=20)
    _clear()
    try:
        took, stepped, (columns, _s) = _timed(shape, start, start + length, text, "UTC")
    except ValidationFailed as exc:
        return f"{name:65} refused: {exc.detail[0]['msg']}"
    cells = [f"{name:65} write {took:6.1f} ms {stepped:7d} p"]
    last = columns["last_end_at"]
    args = (columns["rrule"], columns["start_at"], columns["end_at"], "UTC")
    for at in WINDOWS:
        lo = start + timedelta(days=366) if at == "+1y" else datetime.fromisoformat(at)
        lo = lo.replace(tzinfo=UTC)
        hi = lo + timedelta(days=1)
        if (last is not None and last <= lo.replace(tzinfo=None)) or start >= hi:
            cells.append(f"{at}: -")
            continue
        _clear()
        cold, cold_stepped, _n = _timed(_expand, args, lo, hi)
        warm, warm_stepped, _n = _timed(_expand, args, lo, hi)
        cells.append(f"{at}: {cold:.1f}/{warm:.1f} ms {cold_stepped}/{warm_stepped} p")
    return " | ".join(cells)


def main() -> None:
    wanted = sys.argv[1:]
    print(recurrence.__file__)
    print("reads: cold/warm ms, cold/warm periods; '-': not read (the SQL excludes the block)")
    for text, first in RULES:
        if not wanted or any(part in text for part in wanted):
            print(run(text, first), flush=True)


if __name__ == "__main__":
    main()
