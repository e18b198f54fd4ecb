"""The span of calendar time the API accepts: 1900-01-01 to 8999-12-31 (UTC).

Python's datetimes end at years 1 and 9999, and PostgreSQL refuses UTC offsets past
±15:59. A date-time at either end (``9999-12-31T23:59:59-14:00``, or a day a recurrence,
a week plan or a time-zone conversion moves past year 9999) raised ``OverflowError``
deep in a service: a 500. Inputs are checked against this span where they enter
(request models, query strings, cursors), so everything computed from them stays
centuries away from the edge and a client gets the 422 envelope naming the field.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Annotated

from pydantic import AfterValidator, AwareDatetime

EARLIEST = datetime(1900, 1, 1, tzinfo=UTC)
LATEST = datetime(9000, 1, 1, tzinfo=UTC)  # exclusive
OUT_OF_RANGE = "must be between 1900-01-01 and 8999-12-31"


def within_range(value: datetime) -> datetime:
    """``value`` (aware, or naive UTC) if it lies in the span; ``ValueError`` otherwise.

    Comparing aware datetimes never overflows, whatever their offsets.
    """
    aware = value if value.tzinfo is not None else value.replace(tzinfo=UTC)
    if not EARLIEST <= aware < LATEST:
        raise ValueError(OUT_OF_RANGE)
    return value


def date_within_range(value: date) -> date:
    """``value`` if its year is in the span; ``ValueError`` otherwise."""
    if not EARLIEST.year <= value.year < LATEST.year:
        raise ValueError(OUT_OF_RANGE)
    return value


#: An ISO 8601 date-time with an offset, inside the span.
BoundedAwareDatetime = Annotated[AwareDatetime, AfterValidator(within_range)]
#: A date-time (with or without an offset), inside the span.
BoundedDatetime = Annotated[datetime, AfterValidator(within_range)]
#: A calendar date inside the span.
BoundedDate = Annotated[date, AfterValidator(date_within_range)]
