"""Every fixed limit of the API, in one place, named with its unit.

Limits an operator may tune (body size, clock skew) have their defaults here and live in
`Limits`, which the rules receive instead of reading settings themselves.
"""

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal

MAX_USER_ID_CHARS = 128
MAX_EVENT_TYPE_CHARS = 64
USER_ID_PATTERN = rf"^[A-Za-z0-9._:@+|=-]{{1,{MAX_USER_ID_CHARS}}}$"
EVENT_TYPE_PATTERN = rf"^[A-Za-z][A-Za-z0-9_.:-]{{0,{MAX_EVENT_TYPE_CHARS - 1}}}$"

# DynamoDB nests documents at most 32 levels deep; the details object itself is level 1.
MAX_DETAILS_DEPTH = 32
DEFAULT_MAX_DETAILS_BYTES = 64 * 1024
MAX_DETAILS_BYTES_CEILING = 350 * 1024
# AWS rejects items over 409,600 bytes and moto over 405,000; we stop well below both and keep
# room for the item's other attributes (eventId, userId, hash, writer claims).
MAX_DETAILS_ITEM_BYTES = 400_000 - 8 * 1024
# DynamoDB attribute names, map keys included, are at most 64 KiB - 1 of UTF-8.
MAX_KEY_BYTES = 65_535
# DynamoDB numbers: 38 significant digits, magnitude in [1E-130, 1E+126).
MAX_NUMBER_DIGITS = 38
MIN_NUMBER_MAGNITUDE = Decimal("1E-130")
MAX_NUMBER_MAGNITUDE = Decimal("9.9999999999999999999999999999999999999E+125")
# A validation answer lists every offending field, up to this many (a bound on response size).
MAX_REPORTED_ERRORS = 100

EARLIEST_TIMESTAMP = datetime(1970, 1, 1, tzinfo=UTC)
DEFAULT_MAX_FUTURE_SECONDS = 24 * 60 * 60
# A year: more is no clock skew, and an unbounded skew overflows the calendar (year 9999).
MAX_FUTURE_SECONDS_CEILING = 366 * 24 * 60 * 60

# How long a request body may take to arrive, and a request's store calls to end (defaults of
# EVENTLOG_BODY_READ_TIMEOUT_SECONDS and EVENTLOG_REQUEST_TIMEOUT_SECONDS).
DEFAULT_BODY_READ_TIMEOUT_SECONDS = 10.0
DEFAULT_REQUEST_TIMEOUT_SECONDS = 15.0

# `POST /events/batch`: events a batch may hold, and the bytes its body may take. Lambda takes at
# most 6 MB of request payload (the whole event, headers included) and API Gateway 10 MB: a
# ceiling of 5 MiB leaves room for the rest.
MAX_BATCH_EVENTS = 500
DEFAULT_MAX_BATCH_BODY_BYTES = 1024 * 1024
MAX_BATCH_BODY_BYTES_CEILING = 5 * 1024 * 1024
# `DELETE /events/{userId}`: events one call erases, so that a call ends well inside Lambda's
# time limit; a client repeats while `more` is true.
MAX_ERASE_EVENTS = 1000

DEFAULT_PAGE_LIMIT = 100
MAX_PAGE_LIMIT = 1000
# Event types one listing may ask for at once (an OR filter, one bound parameter each).
MAX_EVENT_TYPES = 10


@dataclass(frozen=True)
class Limits:
    """The tunable limits, handed to the rules by whoever owns the settings."""

    max_details_bytes: int = DEFAULT_MAX_DETAILS_BYTES
    max_future_seconds: int = DEFAULT_MAX_FUTURE_SECONDS
    max_batch_events: int = MAX_BATCH_EVENTS
    max_batch_body_bytes: int = DEFAULT_MAX_BATCH_BODY_BYTES
    max_erase_events: int = MAX_ERASE_EVENTS

    @property
    def max_future_skew(self) -> timedelta:
        return timedelta(seconds=self.max_future_seconds)

    @property
    def max_body_bytes(self) -> int:
        """A request body may carry details in escaped form (\\uXXXX) and some whitespace."""
        return 2 * self.max_details_bytes + 16 * 1024


# A bearer token larger than this is refused unread. Real access tokens stay far below it (large
# Entra ID tokens with many groups reach ~6 KB), and API Gateway caps all headers at 10 KB.
MAX_TOKEN_CHARS = 8 * 1024
