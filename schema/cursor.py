"""Opaque keyset cursors: the last row's (timestamp, eventId), signed and bound to the filters.

Keyset paging (never OFFSET) keeps every page one index seek and means events recorded while a
client walks the pages are neither skipped nor repeated. The HMAC makes a tampered cursor, or one
replayed against other filters, a clear 400 instead of a silently different page.
"""

import base64
import binascii
import hmac
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from uuid import UUID

from schema.errors import InvalidCursor

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MAC_BYTES = 16
_VERSION = "1"
_URL_SAFE = bytes.maketrans(b"+/", b"-_")


@dataclass(frozen=True)
class CursorPosition:
    """The last event of a page: the next page starts strictly after it."""

    timestamp: datetime
    event_id: str


def query_fingerprint(
    user_id: str, event_types: Iterable[str], start: datetime | None, end: datetime | None
) -> bytes:
    """What a cursor is bound to: the same user and filters must come with it. The event types
    are a set (order and repeats do not change the filter); one type reads as it always did,
    so cursors made before several types were allowed stay valid."""
    types = "\x1e".join(sorted(set(event_types)))
    parts = [user_id, types, _micros_text(start), _micros_text(end)]
    return "\x1f".join(parts).encode()


def encode_cursor(position: CursorPosition, fingerprint: bytes, secret: bytes) -> str:
    micros = _to_micros(position.timestamp)
    payload = f"{_VERSION}.{micros}.{position.event_id}".encode()
    mac = _mac(payload, fingerprint, secret)
    return f"{_b64(payload)}.{_b64(mac)}"


def decode_cursor(token: str, fingerprint: bytes, secret: bytes) -> CursorPosition:
    try:
        encoded_payload, encoded_mac = token.split(".")
        payload, mac = _unb64(encoded_payload), _unb64(encoded_mac)
    except (ValueError, binascii.Error) as exc:
        raise InvalidCursor from exc
    if not hmac.compare_digest(mac, _mac(payload, fingerprint, secret)):
        raise InvalidCursor
    try:
        version, micros, event_id = payload.decode().split(".")
        timestamp = _EPOCH + timedelta(microseconds=int(micros))
        canonical_id = str(UUID(event_id))
    except (ValueError, OverflowError) as exc:
        raise InvalidCursor from exc
    if version != _VERSION:
        raise InvalidCursor
    return CursorPosition(timestamp, canonical_id)


def _mac(payload: bytes, fingerprint: bytes, secret: bytes) -> bytes:
    return hmac.digest(secret, payload + b"\x00" + fingerprint, "sha256")[:_MAC_BYTES]


def _to_micros(moment: datetime) -> int:
    return (moment - _EPOCH) // timedelta(microseconds=1)


def _micros_text(moment: datetime | None) -> str:
    return "" if moment is None else str(_to_micros(moment))


def _b64(raw: bytes) -> str:
    """URL-safe base64 without padding (`base64.urlsafe_b64encode`, its two layers of Python
    calls left out: a page writes 42 of these)."""
    return binascii.b2a_base64(raw, newline=False).translate(_URL_SAFE).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    """The bytes of `text` only if `text` is how `_b64` writes them: base64 ignores unused
    bits and padding, so `...A` and `...B` (or a trailing `=`) could decode alike, and an
    altered cursor would still be accepted."""
    raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    if _b64(raw) != text:
        raise ValueError("not the canonical spelling")
    return raw
